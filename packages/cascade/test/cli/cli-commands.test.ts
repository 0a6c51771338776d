import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type Worker } from '@temporalio/worker';
import { Spacelift } from 'spacelift-client';
import { startSimulator, type Simulator } from 'spacelift-simulator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CascadeSummary, CascadeView } from '../../src/cascade-contract.js';
import { createCascadeWorker, workflowsEntryPath } from '../../src/worker/index.js';
import { cliSandbox, type CliResult, type CliSandbox } from './cli-harness.js';

const TASK_QUEUE = `cli-commands-${randomUUID()}`;
const ESTATE_ID = `estate-${randomUUID()}`;
const KEY = { id: 'cli-test-key', secret: `cli-test-secret-${randomUUID()}` };

/**
 * A diamond under `network`, a failing stack under `billing`, an unconfirmed one under `gate`
 * (its cascade stays running), a cycle and a dangling label off to the side.
 */
const SEED = {
  stacks: [
    { id: 'network', name: 'Network' },
    { id: 'database', name: 'Database', labels: ['dependsOn:network'] },
    { id: 'cache', name: 'Cache', labels: ['dependsOn:network'] },
    { id: 'app', name: 'App', labels: ['dependsOn:database', 'dependsOn:cache'] },
    { id: 'billing', name: 'Billing' },
    { id: 'ledger', name: 'Ledger', labels: ['dependsOn:billing'], outcome: 'FAILED' as const },
    { id: 'invoices', name: 'Invoices', labels: ['dependsOn:ledger'] },
    { id: 'receipts', name: 'Receipts', labels: ['dependsOn:billing'] },
    { id: 'gate', name: 'Gate' },
    { id: 'gate-child', name: 'Gate child', labels: ['dependsOn:gate'], outcome: 'UNCONFIRMED' as const },
    { id: 'gate-grandchild', name: 'Gate grandchild', labels: ['dependsOn:gate-child'] },
    { id: 'loop-a', name: 'Loop A', labels: ['dependsOn:loop-b'] },
    { id: 'loop-b', name: 'Loop B', labels: ['dependsOn:loop-a'] },
    { id: 'edge', name: 'Edge' },
    { id: 'edge-child', name: 'Edge child', labels: ['dependsOn:edge', 'dependsOn:ghost'] },
  ],
};

const quiet = () => undefined;
const quietLogger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

let simulator: Simulator;
let nativeConnection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;
let cli: CliSandbox;

beforeAll(async () => {
  simulator = await startSimulator({ seed: SEED, apiKey: KEY, stateDurationMs: 0 });
  const address = inject('temporalAddress');
  nativeConnection = await NativeConnection.connect({ address });
  worker = await createCascadeWorker({
    connection: nativeConnection,
    taskQueue: TASK_QUEUE,
    api: new Spacelift({ baseUrl: simulator.baseUrl, keyId: KEY.id, keySecret: KEY.secret }),
    identity: `api::${KEY.id}`,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: workflowsEntryPath(), logger: quietLogger }),
  });
  workerRun = worker.run();
  cli = await cliSandbox({
    SPACELIFT_BASE_URL: simulator.baseUrl,
    SPACELIFT_KEY_ID: KEY.id,
    SPACELIFT_KEY_SECRET: KEY.secret,
    TEMPORAL_ADDRESS: address,
    CASCADE_TASK_QUEUE: TASK_QUEUE,
    CASCADE_ESTATE_ID: ESTATE_ID,
    CASCADE_POLL_INTERVAL_MS: '100',
  });
});

afterAll(async () => {
  // The coordinator outlives its worker: end it, so nothing of this file lingers on the server.
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  await new Client({ connection }).workflow
    .getHandle(ESTATE_ID)
    .terminate('tests over')
    .catch(() => undefined);
  await connection.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRun;
  await nativeConnection?.close();
  await simulator?.close();
  await cli?.dispose();
});

const json = <T>(result: CliResult): T => JSON.parse(result.out) as T;

/** Runs `cascades status --json` until `done` holds (the cascade moves on its own). */
async function statusUntil(id: string, done: (s: CascadeView) => boolean): Promise<CascadeView> {
  let last: CliResult | null = null;
  for (let i = 0; i < 300; i++) {
    last = await cli.run(['--json', 'cascades', 'status', id]);
    if (last.code === 0) {
      const status = json<CascadeView>(last);
      if (done(status)) return status;
    }
    await sleep(100);
  }
  throw new Error(`cascade ${id} never reached the expected state; last: ${JSON.stringify(last)}`);
}

describe('graph', () => {
  it('tree: every stack under its upstream, the diamond once, cycle and dangling label warned on stderr', async () => {
    const { code, out, err } = await cli.run(['graph']);
    expect(code).toBe(0);
    expect(out).toContain(['network', '  cache', '    app', '  database', '    app (see above)'].join('\n'));
    expect(out).toContain(['billing', '  ledger', '    invoices', '  receipts'].join('\n'));
    expect(out).toContain('(in a cycle, no root: loop-a, loop-b)');
    expect(err).toMatch(
      /^warning: cycle: loop-a -> loop-b -> loop-a$|^warning: cycle: loop-b -> loop-a -> loop-b$/m,
    );
    expect(err).toContain('warning: dangling label: edge-child depends on unknown stack ghost');
    expect(err.split('\n')).toHaveLength(2);
  });

  it('--root keeps only that stack and what is downstream of it', async () => {
    const { code, out } = await cli.run(['graph', '--root', 'network']);
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toEqual([
      'network',
      '  cache',
      '    app',
      '  database',
      '    app (see above)',
    ]);
  });

  it('mermaid', async () => {
    const { code, out } = await cli.run(['graph', '--format', 'mermaid', '--root', 'network']);
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('flowchart TD');
    const key = (id: string) => /^ {2}(s\d+)\["/.exec(lines.find((l) => l.includes(`["${id}"]`)) ?? '')?.[1];
    for (const [from, to] of [
      ['network', 'database'],
      ['network', 'cache'],
      ['database', 'app'],
      ['cache', 'app'],
    ] as const)
      expect(lines).toContain(`  ${key(from)} --> ${key(to)}`);
    expect(lines).toHaveLength(1 + 4 + 4);
  });

  it('dot, with the unknown stack drawn dashed', async () => {
    const { code, out } = await cli.run(['graph', '--format', 'dot']);
    expect(code).toBe(0);
    expect(out).toMatch(/^digraph stacks \{/);
    expect(out).toContain('  "network" -> "database";');
    expect(out).toContain('  "cache" -> "app";');
    expect(out).toContain('  "loop-a" -> "loop-b";');
    expect(out).toContain('  "ghost" [style=dashed];');
  });

  it.each([
    // --format json is data on stdout; warnings still go to stderr, out of its way.
    ['--format json', ['graph', '--format', 'json', '--root', 'network'], true],
    ['--json', ['--json', 'graph', '--root', 'network'], false],
  ])('%s parses, with dependsOn and dependents', async (_name, argv, warns) => {
    const { code, out, err } = await cli.run(argv);
    expect(code).toBe(0);
    expect(err.includes('warning: cycle: ')).toBe(warns);
    const graph = JSON.parse(out) as {
      stacks: Array<{ id: string; dependsOn: string[]; dependents: string[] }>;
    };
    const byId = Object.fromEntries(graph.stacks.map((s) => [s.id, s]));
    expect(Object.keys(byId).sort()).toEqual(['app', 'cache', 'database', 'network']);
    expect(byId.app?.dependsOn.sort()).toEqual(['cache', 'database']);
    expect(byId.network?.dependents.sort()).toEqual(['cache', 'database']);
  });

  it('--json of the whole graph lists the dangling label', async () => {
    const { code, out } = await cli.run(['--json', 'graph']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      unknownDependencies: [{ stackId: 'edge-child', dependsOn: 'ghost' }],
    });
  });

  it('an unknown --root is a usage error naming the stack', async () => {
    const { code, out, err } = await cli.run(['graph', '--root', 'nope']);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain('Stack "nope" does not exist');
  });
});

describe('plan', () => {
  it('waves in order, parallel stacks marked, nothing triggered', async () => {
    const { code, out } = await cli.run(['plan', 'network']);
    expect(code).toBe(0);
    expect(out.split('\n')).toEqual([
      'A finished tracked run of network would trigger 3 stack(s):',
      '  wave 1: cache, database (in parallel)',
      '  wave 2: app',
      '  at most: a run that changes nothing (no resource delta, the same outputs) stops the cascade there (early cutoff)',
    ]);
    expect(simulator.store.stackRuns('app')).toEqual([]);
  });

  it('--json, with the dangling label of a stack in the cascade', async () => {
    const result = await cli.run(['--json', 'plan', 'edge']);
    expect(result.code).toBe(0);
    expect(json(result)).toEqual({
      root: 'edge',
      waves: [['edge-child']],
      cycles: [],
      unknownDependencies: [{ stackId: 'edge-child', dependsOn: 'ghost' }],
    });
  });

  it('a cycle is refused with exit 1', async () => {
    const { code, out } = await cli.run(['plan', 'loop-a']);
    expect(code).toBe(1);
    expect(out).toMatch(/refused: cycle loop-[ab] -> loop-[ab] -> loop-[ab] \(nothing would be triggered\)/);
  });

  it('a stack with no dependents says so in words', async () => {
    const { code, out } = await cli.run(['plan', 'app']);
    expect(code).toBe(0);
    expect(out).toBe('app has no dependents: a finished run of it triggers nothing.');
  });

  it('an unknown stack is a usage error', async () => {
    const { code, err } = await cli.run(['plan', 'nope']);
    expect(code).toBe(2);
    expect(err).toContain('Stack "nope" does not exist');
  });
});

describe('trigger --follow and cascades', () => {
  let diamondRunId = '';

  it('runs the diamond, each dependent once, and exits 0', async () => {
    const { code, out } = await cli.run(['trigger', 'network', '--follow']);
    expect(code).toBe(0);
    const [, runId] = /^Triggered run (\S+) of stack network\.$/m.exec(out) ?? [];
    expect(runId).toBeTruthy();
    diamondRunId = runId!;
    expect(out).toContain(`cascade cascade-${runId} from network: completed`);
    expect(out).toContain('[completed] 3/3 done: 3 finished, 0 running, 0 waiting, 0 failed, 0 blocked');
    // The simulator saw one run of the root (this trigger) and exactly one of each dependent.
    expect(simulator.store.stackRuns('network')?.map((r) => r.id)).toEqual([runId]);
    for (const id of ['database', 'cache', 'app']) {
      const runs = simulator.store.stackRuns(id) ?? [];
      expect(runs.map((r) => [r.state, r.triggeredBy])).toEqual([['FINISHED', `api::${KEY.id}`]]);
      expect(out).toContain(
        `${id}: finished (run ${runs[0]!.id}) ${simulator.baseUrl}/stack/${id}/run/${runs[0]!.id}`,
      );
    }
    // app waited for both sides of the diamond.
    const app = simulator.store.stackRuns('app')![0]!;
    for (const id of ['database', 'cache'])
      expect(app.createdAt).toBeGreaterThanOrEqual(simulator.store.stackRuns(id)![0]!.updatedAt);
  });

  it('--json: a failed stack blocks its dependents, its siblings go on, and the exit code is 3', async () => {
    const result = await cli.run(['--json', 'trigger', 'billing', '--follow']);
    expect(result.code).toBe(3);
    const report = json<{ runId: string; kind: string; view: CascadeView }>(result);
    expect(report.kind).toBe('cascade');
    expect(report.view.id).toBe(`cascade-${report.runId}`);
    expect(report.view.phase).toBe('blocked');
    expect(report.view.stacks).toMatchObject({
      ledger: { state: 'failed', runState: 'FAILED' },
      invoices: { state: 'blocked', blockedBy: 'ledger' },
      receipts: { state: 'finished' },
    });
    expect(simulator.store.stackRuns('ledger')?.map((r) => r.state)).toEqual(['FAILED']);
    expect(simulator.store.stackRuns('receipts')?.map((r) => r.state)).toEqual(['FINISHED']);
    expect(simulator.store.stackRuns('invoices')).toEqual([]);
  });

  it('cascades list shows the cascades, blocked and completed, and --limit caps it', async () => {
    const list = json<CascadeSummary[]>(await cli.run(['--json', 'cascades', 'list', '--limit', '100']));
    expect(list.find((e) => e.id === `cascade-${diamondRunId}`)).toMatchObject({
      phase: 'completed',
      roots: ['network'],
      total: 3,
    });
    // Blocked ones (they wait for a person) come before completed ones.
    expect(list.map((e) => e.phase).indexOf('blocked')).toBeLessThan(
      list.map((e) => e.phase).indexOf('completed'),
    );
    expect(json<unknown[]>(await cli.run(['--json', 'cascades', 'list', '--limit', '1']))).toHaveLength(1);
    const text = await cli.run(['cascades', 'list']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(
      new RegExp(
        `^cascade-${diamondRunId} {2}completed +\\S+ {2}from network {2}3/3 finished, ended after \\d+ s$`,
        'm',
      ),
    );
  });

  it.each(['run id', 'cascade id'])('cascades status by %s shows each stack', async (kind) => {
    const id = kind === 'run id' ? diamondRunId : `cascade-${diamondRunId}`;
    const { code, out } = await cli.run(['cascades', 'status', id]);
    expect(code).toBe(0);
    expect(out).toContain(`cascade cascade-${diamondRunId} from network: completed`);
    for (const stack of ['database', 'cache', 'app'])
      expect(out).toMatch(new RegExp(`^  ${stack}: finished \\(run `, 'm'));
  });

  it('trigger without --follow prints the run and the command for its cascade, which takes the run id', async () => {
    const { code, out } = await cli.run(['trigger', 'edge']);
    expect(code).toBe(0);
    const [, runId] = /^Triggered run (\S+) of stack edge\.$/m.exec(out) ?? [];
    expect(out).toContain(`Run: ${simulator.baseUrl}/stack/edge/run/${runId}`);
    const [, command] =
      /^Follow the cascade it starts or joins once it finishes: spacelift-cascade (.+)$/m.exec(out) ?? [];
    expect(command).toBe(`cascades status ${runId}`);
    const done = await statusUntil(runId!, (s) => s.phase === 'completed');
    expect(done.id).toBe(`cascade-${runId}`);
    expect(done.stacks['edge-child']).toMatchObject({ state: 'finished' });
    const text = await cli.run(command!.split(' '));
    expect(text.code).toBe(0);
    expect(text.out).toContain(`cascade cascade-${runId} from edge: completed`);
  });

  it('cascades cancel: the stack awaiting confirmation is shown so, then nothing more is triggered', async () => {
    const triggered = await cli.run(['trigger', 'gate']);
    expect(triggered.code).toBe(0);
    const [, runId] = /^Triggered run (\S+) of stack gate/m.exec(triggered.out) ?? [];
    // gate-child's run stops at UNCONFIRMED: the cascade is held (it waits on a person) until canceled.
    const running = await statusUntil(
      runId!,
      (s) => s.stacks['gate-child']?.state === 'awaiting-confirmation',
    );
    expect(running.phase).toBe('held');
    expect(running.heldOn).toEqual([
      expect.stringMatching(/^run \S+ of gate-child awaits confirmation in Spacelift$/),
    ]);
    expect(running.stacks['gate-grandchild']).toMatchObject({ state: 'waiting', waitingFor: ['gate-child'] });

    const cancel = await cli.run(['cascades', 'cancel', runId!]);
    expect(cancel.code).toBe(0);
    expect(cancel.out).toBe(
      `Cancellation of cascade-${runId} requested: stacks not yet triggered will not be; runs in flight go on.`,
    );
    const canceled = await statusUntil(runId!, (s) => s.phase === 'canceled');
    expect(canceled.stacks['gate-grandchild']).toMatchObject({ state: 'canceled' });
    expect(simulator.store.stackRuns('gate-grandchild')).toEqual([]);
    const text = await cli.run(['cascades', 'status', `cascade-${runId}`]);
    expect(text.out).toContain(`cascade cascade-${runId} from gate: canceled`);
    expect(text.out).toContain(
      'gate-grandchild: canceled (cascade canceled before this stack was triggered)',
    );
  });

  it('an unknown stack is a usage error and starts nothing; an unknown cascade too', async () => {
    const { code, out, err } = await cli.run(['trigger', 'nope', '--follow']);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain('Stack "nope" does not exist');
    expect(simulator.store.stackRuns('nope')).toBeNull();
    const status = await cli.run(['cascades', 'status', 'cascade-nope']);
    expect(status.code).toBe(2);
    expect(status.err).toContain('No cascade "cascade-nope"');
  });
});

describe('secrets', () => {
  it('a refused API key is reported without its secret', async () => {
    const wrong = `wrong-${randomUUID()}`;
    const { code, out, err } = await cli.run(['graph'], { SPACELIFT_KEY_SECRET: wrong });
    expect(code).toBe(1);
    expect(err).toMatch(/^error: Spacelift: /);
    expect(`${out}${err}`).not.toContain(wrong);
  });

  it('no command printed the API key secret', () => {
    expect(cli.transcript().length).toBeGreaterThan(1000);
    expect(cli.transcript()).not.toContain(KEY.secret);
  });
});
