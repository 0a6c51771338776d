import { isTerminalRunState, Spacelift, type Run } from 'spacelift-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSimulator, type RunStateWebhookPayload, type Simulator } from '../src/index.js';
import type { SeedStackInput } from '../src/spacelift/seed-schema.js';
import { runCli } from './cli-helpers.js';
import { post } from './http-helpers.js';
import { receiver, type Receiver } from './webhook-helpers.js';

/*
 * A run's outcome decides its delta and its stack's outputs, seen over HTTP the way a client
 * sees them: the webhook payload's run.delta, the API's Run.delta and the outputs query.
 */

const vpc = { id: 'vpc_id', value: 'vpc-0a1b2c', description: 'The VPC' };
const password = { id: 'password', value: 'hunter2', sensitive: true };
/** A zero delta under the API's names. */
const NOTHING_CHANGED = { addCount: 0, changeCount: 0, deleteCount: 0 };

let sim: Simulator | undefined;
let hook: Receiver | undefined;
let client: Spacelift;

afterEach(async () => {
  await sim?.close();
  await hook?.close();
  sim = hook = undefined;
});

async function simulate(stacks: SeedStackInput[]): Promise<Simulator> {
  hook = await receiver();
  sim = await startSimulator({ seed: { stacks }, stateDurationMs: 0, webhooks: { urls: [hook.url] } });
  client = new Spacelift({ baseUrl: sim.baseUrl, keyId: sim.apiKey.id, keySecret: sim.apiKey.secret });
  return sim;
}

interface RunSeen {
  /** The API's read of the run once it ended. */
  run: Run;
  /** Its deliveries, in order. */
  deliveries: RunStateWebhookPayload[];
}

/** Triggers a tracked run through the API and waits until it has ended and its deliveries went out. */
async function runToEnd(stack: string): Promise<RunSeen> {
  const { id } = await client.triggerRun(stack);
  await vi.waitFor(() => expect(isTerminalRunState(sim!.store.runs.get(stack, id)!.state)).toBe(true), {
    interval: 5,
  });
  await sim!.webhooksIdle();
  const deliveries = hook!.received
    .map((r) => JSON.parse(r.body) as RunStateWebhookPayload)
    .filter((p) => p.run.id === id);
  return { run: (await client.getRun(stack, id))!, deliveries };
}

/** The run's delta under the webhook's names, as the API read it. */
const asWebhookDelta = ({ delta }: Run) =>
  delta && {
    added: delta.addCount,
    changed: delta.changeCount,
    deleted: delta.deleteCount,
    resources: delta.resources,
  };
const changed = (d: { added: number; changed: number; deleted: number } | null) =>
  d ? d.added + d.changed + d.deleted : null;

const setBehaviour = (stack: string, input: Record<string, unknown>) =>
  post(
    sim!,
    `mutation($stack: ID!, $input: SimulatorStackBehaviourInput!) {
      simulatorSetStackBehaviour(stack: $stack, input: $input) { stackId outcome changesOutputs resources }
    }`,
    { stack, input },
  );

describe('run outcomes decide deltas and outputs, over HTTP', () => {
  it('NO_CHANGES: a zero delta in the webhook and the run read; outputs unchanged', async () => {
    await simulate([{ id: 'same', outcome: 'NO_CHANGES', changesOutputs: true, outputs: [vpc] }]);
    const { run, deliveries } = await runToEnd('same');
    expect(run.state).toBe('FINISHED');
    expect(run.delta).toEqual({ addCount: 0, changeCount: 0, deleteCount: 0, resources: 10 });
    const finished = deliveries.at(-1)!;
    expect(finished.state).toBe('FINISHED');
    expect(finished.run.delta).toEqual({ added: 0, changed: 0, deleted: 0, resources: 10 });
    // No delta before planning has ended, as in a real delivery.
    expect(deliveries.filter((d) => d.run.delta === null).map((d) => d.state)).toEqual([
      'QUEUED',
      'READY',
      'PREPARING',
      'INITIALIZING',
      'PLANNING',
    ]);
    expect(await client.getStackOutputs('same')).toEqual([{ ...vpc, sensitive: false }]);
  });

  it('FINISHED with changesOutputs: a non-zero delta, and the outputs read after the run show a new value', async () => {
    await simulate([{ id: 'net', changesOutputs: true, outputs: [vpc] }]);
    const first = await runToEnd('net');
    const delta = first.deliveries.at(-1)!.run.delta!;
    expect(changed(delta)).toBeGreaterThan(0);
    expect(asWebhookDelta(first.run)).toEqual(delta);
    expect(delta.resources).toBe(10 + delta.added - delta.deleted);
    // Every delivery after planning carries the plan's delta.
    const planned = first.deliveries.filter((d) => d.run.delta !== null);
    expect(planned.map((d) => d.state)).toEqual(['CONFIRMED', 'PREPARING_APPLY', 'APPLYING', 'FINISHED']);
    for (const d of planned) expect(d.run.delta).toEqual(delta);
    const [output] = (await client.getStackOutputs('net'))!;
    expect(output).toEqual({ ...vpc, sensitive: false, value: expect.stringMatching(/^vpc-[0-9a-f]{6}$/) });
    expect(output!.value).not.toBe(vpc.value);

    // The next run starts from the new total and gives the output another value.
    const second = await runToEnd('net');
    expect(second.run.delta!.resources).toBe(
      delta.resources + second.run.delta!.addCount - second.run.delta!.deleteCount,
    );
    expect((await client.getStackOutputs('net'))![0]!.value).not.toBe(output!.value);
  });

  it('OUTPUTS_ONLY: a zero delta through the apply path, a new output value (a sensitive one stays hidden)', async () => {
    await simulate([
      { id: 'tags', outcome: 'OUTPUTS_ONLY', outputs: [vpc] },
      { id: 'secret', outcome: 'OUTPUTS_ONLY', outputs: [password] },
    ]);
    const { run, deliveries } = await runToEnd('tags');
    expect(run.delta).toEqual({ addCount: 0, changeCount: 0, deleteCount: 0, resources: 10 });
    expect(deliveries.map((d) => d.state)).toContain('APPLYING');
    expect(deliveries.at(-1)!.run.delta).toEqual({ added: 0, changed: 0, deleted: 0, resources: 10 });
    expect((await client.getStackOutputs('tags'))![0]!.value).not.toBe(vpc.value);

    await runToEnd('secret');
    expect(sim!.store.getStack('secret')!.outputs[0]!.value).not.toBe(password.value);
    expect(await client.getStackOutputs('secret')).toEqual([
      { id: 'password', sensitive: true, description: null, value: null },
    ]);
  });

  it('a proposed run shows its delta but changes neither resources nor outputs', async () => {
    await simulate([{ id: 'net', changesOutputs: true, outputs: [vpc] }]);
    const { id } = await client.triggerRun('net', { runType: 'PROPOSED' });
    await vi.waitFor(() => expect(sim!.store.runs.get('net', id)!.state).toBe('FINISHED'), { interval: 5 });
    expect(changed(asWebhookDelta((await client.getRun('net', id))!))).toBeGreaterThan(0);
    expect(sim!.store.getStack('net')!.resources).toBe(10);
    expect(await client.getStackOutputs('net')).toEqual([{ ...vpc, sensitive: false }]);
  });

  it('a failure carries a zero delta, as before', async () => {
    await simulate([{ id: 'broken', outcome: 'FAILED', outputs: [vpc] }]);
    const { run, deliveries } = await runToEnd('broken');
    expect(run.state).toBe('FAILED');
    expect(deliveries.at(-1)!.run.delta).toEqual({ added: 0, changed: 0, deleted: 0, resources: 10 });
    expect(await client.getStackOutputs('broken')).toEqual([{ ...vpc, sensitive: false }]);
  });

  it('the same --fault-seed replays the same deltas and output values', async () => {
    const seen = async () => {
      await simulate([{ id: 'net', changesOutputs: 0.5, outputs: [vpc] }]);
      const runs: Array<[Run['delta'], string]> = [];
      for (let i = 0; i < 4; i++) {
        const { run } = await runToEnd('net');
        runs.push([run.delta, (await client.getStackOutputs('net'))![0]!.value!]);
      }
      await sim!.close();
      await hook!.close();
      sim = hook = undefined;
      return runs;
    };
    expect(await seen()).toEqual(await seen());
  });
});

describe('simulatorSetStackBehaviour (simulator-only, no JWT)', () => {
  it('fixes a failing stack so that its re-run finishes, and makes a stack start changing outputs', async () => {
    await simulate([{ id: 'warehouse', outcome: 'FAILED', outputs: [vpc] }]);
    expect((await runToEnd('warehouse')).run.state).toBe('FAILED');

    const { body } = await setBehaviour('warehouse', { outcome: 'FINISHED', changesOutputs: 1 });
    expect(body).toEqual({
      data: {
        simulatorSetStackBehaviour: {
          stackId: 'warehouse',
          outcome: 'FINISHED',
          changesOutputs: 1,
          resources: 10,
        },
      },
    });
    const fixed = await runToEnd('warehouse');
    expect(fixed.run.state).toBe('FINISHED');
    expect(changed(fixed.deliveries.at(-1)!.run.delta)).toBeGreaterThan(0);
    expect((await client.getStackOutputs('warehouse'))![0]!.value).not.toBe(vpc.value);

    // Knobs left out keep their value.
    await setBehaviour('warehouse', { outcome: 'NO_CHANGES' });
    expect(sim!.store.getStack('warehouse')).toMatchObject({ outcome: 'NO_CHANGES', changesOutputs: 1 });
    expect((await runToEnd('warehouse')).run.delta).toMatchObject(NOTHING_CHANGED);
  });

  it('refuses what cannot be, with Spacelift-like errors', async () => {
    await simulate([{ id: 'bare' }]);
    const errors = async (stack: string, input: Record<string, unknown>) =>
      (await setBehaviour(stack, input)).body.errors?.map((e) => [e.message, e.extensions?.code]);
    expect(await errors('bare', { changesOutputs: 1.5 })).toEqual([
      ['changesOutputs must be a probability from 0 to 1 (or true or false), not 1.5', 'INVALID_INPUT'],
    ]);
    expect(await errors('bare', { outcome: 'OUTPUTS_ONLY' })).toEqual([
      [
        'stack "bare" has no outputs for OUTPUTS_ONLY to change; give it some first (seed outputs, store.stacks.setOutputs)',
        'INVALID_INPUT',
      ],
    ]);
    expect(await errors('nope', { outcome: 'FAILED' })).toEqual([['stack "nope" not found', 'NOT_FOUND']]);
    expect((await errors('bare', { outcome: 'BROKEN' }))![0]![0]).toContain('"BROKEN"');
  });
});

describe('spacelift-simulator behave', () => {
  it('sets a stack behaviour at run time: a failing stack fixed and re-run, at SIMULATOR_PORT or --url', async () => {
    await simulate([
      { id: 'warehouse', outcome: 'FAILED', outputs: [vpc] },
      { id: 'network', outputs: [vpc] },
    ]);
    expect((await runToEnd('warehouse')).run.state).toBe('FAILED');

    const [fix, outputs] = await Promise.all([
      runCli(['behave', 'warehouse', '--outcome', 'finished'], { SIMULATOR_PORT: String(sim!.port) }),
      runCli(['behave', 'network', '--url', sim!.baseUrl, '--changes-outputs', '0.5']),
    ]);
    expect(fix).toMatchObject({ code: 0, stderr: '' });
    expect(fix.stdout).toBe(
      'warehouse: its next runs end FINISHED: apply changes (a non-zero delta), changing an output with probability 0 (10 resources now)\n',
    );
    expect(outputs.stdout).toContain('network: its next runs end FINISHED');
    expect(outputs.stdout).toContain('changing an output with probability 0.5');
    expect(sim!.store.getStack('network')).toMatchObject({ outcome: 'FINISHED', changesOutputs: 0.5 });

    const rerun = await runToEnd('warehouse');
    expect(rerun.run.state).toBe('FINISHED');
    expect(changed(asWebhookDelta(rerun.run))).toBeGreaterThan(0);

    const noChanges = await runCli(['behave', 'warehouse', '--url', sim!.baseUrl, '--outcome', 'no-changes']);
    expect(noChanges.stdout).toContain(
      'its next runs end NO_CHANGES: change nothing (a zero delta, outputs kept)',
    );
    expect((await runToEnd('warehouse')).run.delta).toMatchObject(NOTHING_CHANGED);
  });

  it('exits with code 2 on a bad outcome, a bad probability, no knob or a refusal', async () => {
    await simulate([{ id: 'bare' }]);
    const url = ['--url', sim!.baseUrl];
    const [outcome, probability, none, refused] = await Promise.all([
      runCli(['behave', 'bare', ...url, '--outcome', 'sideways']),
      runCli(['behave', 'bare', ...url, '--changes-outputs', '2']),
      runCli(['behave', 'bare', ...url]),
      runCli(['behave', 'bare', ...url, '--outcome', 'outputs-only']),
    ]);
    for (const r of [outcome, probability, none, refused]) expect(r.code).toBe(2);
    expect(outcome.stderr).toContain(
      'expected one of finished, failed, unconfirmed, no-changes, outputs-only.',
    );
    expect(probability.stderr).toContain('expected a probability from 0 to 1 (or true or false).');
    expect(none.stderr).toContain('behave needs --outcome, --changes-outputs or both.');
    expect(refused.stderr).toContain(
      'the simulator refused: stack "bare" has no outputs for OUTPUTS_ONLY to change',
    );
    expect(sim!.store.getStack('bare')).toMatchObject({ outcome: 'FINISHED', changesOutputs: 0 });
  });
});
