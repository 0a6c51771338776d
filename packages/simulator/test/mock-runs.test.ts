import type { Run } from 'spacelift-client';
import { describe, expect, it } from 'vitest';
import { MockSpacelift, type RunStateChange } from '../src/testing/index.js';

/*
 * Shared code, tested once: MockSpacelift and the simulator execute the same schema and
 * resolvers over the same store (src/spacelift). Their behaviour (results, Spacelift-like
 * errors, the run lifecycle, queueing) is tested here, through MockSpacelift. The simulator's
 * own files test what it adds (HTTP and auth, timers and workers, webhooks, pages, the CLI)
 * and, over HTTP, the behaviours users meet first (shared-operations.test.ts runs Spacelift's
 * reference documents; stack-behaviour.test.ts locks, autodeploy, queues).
 */

/** The API lists a run's history newest first; these tests read it in the order it happened. */
const statesInOrder = (run: Run): string[] => [...run.history].reverse().map((h) => h.state);

const seed = {
  stacks: [
    { id: 'network', labels: [] },
    { id: 'broken', outcome: 'FAILED' as const },
    { id: 'gated', outcome: 'UNCONFIRMED' as const },
  ],
};

describe('MockSpacelift runs', () => {
  it('triggers QUEUED runs with unique ULID-like ids, triggered by the mock identity', async () => {
    const mock = new MockSpacelift({ seed });
    const a = await mock.triggerRun('network');
    const b = await mock.triggerRun('network', { runType: 'PROPOSED' });
    expect(a).toMatchObject({ state: 'QUEUED', type: 'TRACKED', triggeredBy: 'api::mock', branch: 'main' });
    expect(b).toMatchObject({ state: 'QUEUED', type: 'PROPOSED' });
    expect(a.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.history).toEqual([
      { state: 'QUEUED', stateVersion: 1, timestamp: expect.any(Number), terminal: false },
    ]);
    expect(new MockSpacelift({ seed, identity: 'api::KEY1' }).identity).toBe('api::KEY1');
    const other = new MockSpacelift({ seed, identity: 'api::KEY1' });
    expect((await other.triggerRun('network')).triggeredBy).toBe('api::KEY1');
  });

  it('refuses to trigger on an unknown stack', async () => {
    const mock = new MockSpacelift({ seed });
    await expect(mock.triggerRun('nope')).rejects.toThrow('stack "nope" not found');
  });

  it('walks a tracked run to FINISHED, recording each state; the stack mirrors it', async () => {
    const mock = new MockSpacelift({ seed });
    const run = await mock.triggerRun('network');
    expect((await mock.getStackById('network'))?.state).toBe('NONE');
    expect(mock.stepRun('network', run.id).state).toBe('READY');
    // A stack shows no state for a run that has not started.
    expect((await mock.getStackById('network'))?.state).toBe('NONE');
    expect(mock.stepRun('network', run.id).state).toBe('PREPARING');
    expect((await mock.getStackById('network'))?.state).toBe('PREPARING');
    const done = mock.finishRun('network', run.id);
    // Newest first, as the API lists it.
    expect(done.history.map((h) => [h.state, h.stateVersion, h.terminal])).toEqual([
      ['FINISHED', 9, true],
      ['APPLYING', 8, false],
      ['PREPARING_APPLY', 7, false],
      ['CONFIRMED', 6, false],
      ['PLANNING', 5, false],
      ['INITIALIZING', 4, false],
      ['PREPARING', 3, false],
      ['READY', 2, false],
      ['QUEUED', 1, false],
    ]);
    expect((await mock.getStackById('network'))?.state).toBe('FINISHED');
    expect(await mock.getRun('network', run.id)).toEqual(done);
  });

  it('ends PROPOSED runs after planning without touching the stack state', async () => {
    const mock = new MockSpacelift({ seed });
    const run = await mock.triggerRun('network', { runType: 'PROPOSED' });
    const done = mock.finishRun('network', run.id);
    expect(statesInOrder(done)).toEqual([
      'QUEUED',
      'READY',
      'PREPARING',
      'INITIALIZING',
      'PLANNING',
      'FINISHED',
    ]);
    expect((await mock.getStackById('network'))?.state).toBe('NONE');
  });

  it('follows the seeded outcome: FAILED after planning, UNCONFIRMED waits', async () => {
    const mock = new MockSpacelift({ seed });
    const failed = mock.finishRun('broken', (await mock.triggerRun('broken')).id);
    expect(statesInOrder(failed)).toEqual([
      'QUEUED',
      'READY',
      'PREPARING',
      'INITIALIZING',
      'PLANNING',
      'FAILED',
    ]);
    expect((await mock.getStackById('broken'))?.state).toBe('FAILED');

    const gated = await mock.triggerRun('gated');
    expect(mock.finishRun('gated', gated.id).state).toBe('UNCONFIRMED');
    await mock.execute(`mutation { runConfirm(stack: "gated", run: "${gated.id}") { id } }`);
    expect(statesInOrder(mock.finishRun('gated', gated.id)).slice(-5)).toEqual([
      'UNCONFIRMED',
      'CONFIRMED',
      'PREPARING_APPLY',
      'APPLYING',
      'FINISHED',
    ]);
  });

  it('queues runs of one stack behind each other and lists them newest first', async () => {
    const mock = new MockSpacelift({ seed });
    const first = await mock.triggerRun('network');
    const second = await mock.triggerRun('network');
    expect(() => mock.advanceRun('network', second.id, 'PREPARING')).toThrow(
      `queued behind run "${first.id}"`,
    );
    mock.finishRun('network', first.id);
    expect(mock.advanceRun('network', second.id, 'PREPARING').state).toBe('PREPARING');
    expect((await mock.getStackRuns('network'))?.map((r) => r.id)).toEqual([second.id, first.id]);
  });

  it('refuses to move a run that has ended', async () => {
    const mock = new MockSpacelift({ seed });
    const run = await mock.triggerRun('network');
    mock.advanceRun('network', run.id, 'FAILED');
    expect(() => mock.advanceRun('network', run.id, 'FINISHED')).toThrow('has already ended in state FAILED');
  });

  it('tells listeners about every change until they unsubscribe', async () => {
    const mock = new MockSpacelift({ seed });
    const seen: RunStateChange[] = [];
    const stop = mock.onRunStateChange((c) => seen.push(structuredClone(c)));
    const run = await mock.triggerRun('network');
    mock.stepRun('network', run.id);
    stop();
    mock.stepRun('network', run.id);
    expect(seen.map((c) => [c.run.id, c.stack.id, c.transition.state, c.transition.stateVersion])).toEqual([
      [run.id, 'network', 'QUEUED', 1],
      [run.id, 'network', 'READY', 2],
    ]);
  });

  it('cancels queued runs, stops running ones and retries ended ones', async () => {
    const mock = new MockSpacelift({ seed });
    const a = await mock.triggerRun('network');
    const b = await mock.triggerRun('network');
    await mock.execute(`mutation { runCancel(stack: "network", run: "${b.id}") { id } }`);
    expect((await mock.getRun('network', b.id))?.state).toBe('CANCELED');
    await expect(
      mock.execute(`mutation { runStop(stack: "network", run: "${a.id}") { id } }`),
    ).rejects.toThrow('only runs in progress can be stopped');
    mock.advanceRun('network', a.id, 'PLANNING');
    await mock.execute(`mutation { runStop(stack: "network", run: "${a.id}") { id } }`);
    expect((await mock.getRun('network', a.id))?.state).toBe('STOPPED');
    const retried = await mock.execute<{ runRetry: { id: string; state: string } }, never>(
      `mutation { runRetry(stack: "network", run: "${a.id}") { id state } }`,
    );
    expect(retried.runRetry.state).toBe('QUEUED');
    expect(retried.runRetry.id).not.toBe(a.id);
  });
});
