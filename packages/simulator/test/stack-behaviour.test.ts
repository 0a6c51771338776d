import { Spacelift } from 'spacelift-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSimulator, type Simulator, type StartSimulatorOptions } from '../src/index.js';
import { post } from './http-helpers.js';

const keys = [
  { id: 'OWNER', secret: 'owner-secret', name: 'owner' },
  { id: 'OTHER', secret: 'other-secret', name: 'someone else' },
];
let sim: Simulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function simulate(options: StartSimulatorOptions): Promise<{ owner: Spacelift; other: Spacelift }> {
  sim = await startSimulator({ apiKeys: keys, ...options });
  const client = (k: (typeof keys)[number]) =>
    new Spacelift({ baseUrl: sim!.baseUrl, keyId: k.id, keySecret: k.secret });
  return { owner: client(keys[0]!), other: client(keys[1]!) };
}

const stateOf = (stack: string, run: string) => sim!.store.runs.get(stack, run)?.state;
async function until(stack: string, run: string, state: string): Promise<void> {
  await vi.waitFor(() => expect(stateOf(stack, run)).toBe(state), { timeout: 5000, interval: 5 });
}

describe('stack locks and the disabled switch, over HTTP', () => {
  it('lets only the lock owner trigger runs and unlock', async () => {
    const { owner, other } = await simulate({ seed: { stacks: [{ id: 'net' }] }, stateDurationMs: 60_000 });
    await owner.execute('mutation { stackLock(id: "net", note: "maintenance") { lockedBy } }');
    expect(await owner.getStackById('net', { queryFields: ['lockedBy', 'lockNote'] })).toEqual({
      lockedBy: 'api::OWNER',
      lockNote: 'maintenance',
    });
    await expect(other.triggerRun('net')).rejects.toThrow(
      'stack "net" is locked by api::OWNER; only the lock owner can trigger runs',
    );
    await expect(other.execute('mutation { stackUnlock(id: "net") { id } }')).rejects.toThrow(
      'only they can unlock it',
    );
    expect((await owner.triggerRun('net')).triggeredBy).toBe('api::OWNER');
    await owner.execute('mutation { stackUnlock(id: "net") { id } }');
    expect((await other.triggerRun('net')).triggeredBy).toBe('api::OTHER');
  });

  it('refuses every run on a disabled stack until it is enabled', async () => {
    const { owner } = await simulate({ seed: { stacks: [{ id: 'net' }] }, stateDurationMs: 60_000 });
    await owner.execute('mutation { stackDisable(id: "net") { isDisabled } }');
    expect(await owner.getStackById('net', { queryFields: ['isDisabled'] })).toEqual({ isDisabled: true });
    await expect(owner.triggerRun('net')).rejects.toThrow(
      'stack "net" is disabled; enable it to trigger runs',
    );
    await owner.execute('mutation { stackEnable(id: "net") { isDisabled } }');
    expect((await owner.triggerRun('net')).state).toBe('QUEUED');
  });
});

describe('run lifecycle details, over HTTP', () => {
  it('waits in UNCONFIRMED without autodeploy, until runConfirm or runDiscard', async () => {
    const { owner } = await simulate({
      seed: { stacks: [{ id: 'manual', autodeploy: false }] },
      stateDurationMs: 0,
    });
    const first = await owner.triggerRun('manual');
    const second = await owner.triggerRun('manual');
    await until('manual', first.id, 'UNCONFIRMED');
    await owner.execute(`mutation { runConfirm(stack: "manual", run: "${first.id}") { id } }`);
    await until('manual', first.id, 'FINISHED');
    // The second run held the queue behind the first; now it plans and waits too.
    await until('manual', second.id, 'UNCONFIRMED');
    await owner.execute(`mutation { runDiscard(stack: "manual", run: "${second.id}") { id } }`);
    expect(stateOf('manual', second.id)).toBe('DISCARDED');
    const run = await owner.getRun('manual', first.id);
    expect(run!.history.map((h) => h.state)).toEqual([
      'FINISHED',
      'APPLYING',
      'PREPARING_APPLY',
      'CONFIRMED',
      'UNCONFIRMED',
      'PLANNING',
      'INITIALIZING',
      'PREPARING',
      'READY',
      'QUEUED',
    ]);
  });

  it('ends a no-change plan FINISHED after PLANNING', async () => {
    const { owner } = await simulate({
      seed: { stacks: [{ id: 'same', outcome: 'NO_CHANGES' }] },
      stateDurationMs: 0,
    });
    const run = await owner.triggerRun('same');
    await until('same', run.id, 'FINISHED');
    expect(
      sim!.store.runs
        .get('same', run.id)!
        .history.map((h) => h.state)
        .slice(-2),
    ).toEqual(['PLANNING', 'FINISHED']);
  });

  it('queues tracked runs behind each other but not proposed ones; Stack.runs lists tracked runs apart', async () => {
    const { owner } = await simulate({
      seed: { stacks: [{ id: 'net', autodeploy: false }] },
      stateDurationMs: 0,
    });
    const tracked = await owner.triggerRun('net');
    const queued = await owner.triggerRun('net');
    const proposed = await owner.triggerRun('net', { runType: 'PROPOSED' });
    // The first tracked run holds the stack while it waits for confirmation; the proposed one runs anyway.
    await until('net', tracked.id, 'UNCONFIRMED');
    await until('net', proposed.id, 'FINISHED');
    expect(stateOf('net', queued.id)).toBe('QUEUED');
    const { stack } = await owner.execute<
      { stack: { runs: Array<{ id: string }>; proposedRuns: Array<{ id: string }> } },
      never
    >('{ stack(id: "net") { runs { id } proposedRuns { id } } }');
    expect(stack.runs.map((r) => r.id)).toEqual([queued.id, tracked.id]);
    expect(stack.proposedRuns.map((r) => r.id)).toEqual([proposed.id]);
  });

  it('keeps runs READY while every worker is busy (--workers)', async () => {
    const { owner } = await simulate({
      seed: { stacks: [{ id: 'b' }, { id: 'c' }] },
      stateDurationMs: 30,
      workers: 1,
    });
    const b = await owner.triggerRun('b');
    const c = await owner.triggerRun('c');
    await until('b', b.id, 'PLANNING');
    expect(stateOf('c', c.id)).toBe('READY');
    await until('c', c.id, 'FINISHED');
    const history = (stack: string, run: string) => sim!.store.runs.get(stack, run)!.history;
    const cStarted = history('c', c.id).find((h) => h.state === 'PREPARING')!.timestampMillis;
    expect(cStarted).toBeGreaterThanOrEqual(history('b', b.id).at(-1)!.timestampMillis);
  });

  it('adds --latency-ms to every API answer', async () => {
    await simulate({ seed: {}, latencyMs: 150 });
    const t0 = performance.now();
    await post(sim!, '{ __typename }');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });
});

describe('native stack dependencies, over HTTP', () => {
  it('are created, queried both ways and deleted; a cycle is refused', async () => {
    const { owner } = await simulate({ seed: { stacks: [{ id: 'net' }, { id: 'app' }] } });
    const created = await owner.execute<{ stackDependencyCreate: { id: string } }, never>(
      'mutation { stackDependencyCreate(input: { stackId: "app", dependsOnStackId: "net" }) { id } }',
    );
    expect(await owner.getStackDependencies('app')).toMatchObject({
      dependsOn: [{ stack: { id: 'app' }, dependsOnStack: { id: 'net' } }],
      isDependedOnBy: [],
    });
    expect(await owner.getStackDependencies('net')).toMatchObject({
      isDependedOnBy: [{ stack: { id: 'app' } }],
    });
    await expect(
      owner.execute(
        'mutation { stackDependencyCreate(input: { stackId: "net", dependsOnStackId: "app" }) { id } }',
      ),
    ).rejects.toThrow('would make a cycle');
    await owner.execute(
      `mutation { stackDependencyDelete(id: "${created.stackDependencyCreate.id}") { id } }`,
    );
    expect((await owner.getStackDependencies('app'))!.dependsOn).toEqual([]);
  });
});
