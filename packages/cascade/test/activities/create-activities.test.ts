import { ApplicationFailure } from '@temporalio/common';
import { MockSpacelift } from 'spacelift-simulator/testing';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/activities/cascade-logger.js';
import { loadClosure } from '../../src/activities/load-stack-graph.js';
import { readRunState } from '../../src/activities/read-run-state.js';
import { callSpacelift } from '../../src/activities/spacelift-failure.js';
import { triggerStackRunOnce } from '../../src/activities/trigger-stack-run.js';

const seeded = (identity = 'api::cascade') =>
  new MockSpacelift({
    identity,
    seed: {
      stacks: [
        { id: 'net' },
        { id: 'db', labels: ['dependsOn:net', 'team:data'] },
        { id: 'app', labels: ['dependsOn:db', 'dependsOn:ghost'] },
        { id: 'lonely', labels: ['dependsOn:nowhere'] },
      ],
    },
  });

describe('loadClosure', () => {
  it('returns only the closure, with upstreams inside it and the unknown labels of its stacks', async () => {
    const api = seeded();
    let searches = 0;
    const counting = Object.assign(Object.create(api) as MockSpacelift, {
      searchStacks: (o: Parameters<MockSpacelift['searchStacks']>[0]) => {
        searches++;
        return api.searchStacks(o);
      },
    });
    const snapshot = await loadClosure(counting, { rootStackId: 'net', labelPrefix: 'dependsOn:' });
    expect(snapshot.nodes).toEqual([
      { id: 'net', dependsOn: [] },
      { id: 'db', dependsOn: ['net'] },
      { id: 'app', dependsOn: ['db'] },
    ]);
    expect(snapshot.unknownDependencies).toEqual([{ stackId: 'app', dependsOn: 'ghost' }]);
    expect(snapshot.totalStacks).toBe(4);
    expect(searches).toBe(1);
  });
});

describe('triggerStackRunOnce', () => {
  const input = {
    stackId: 'db',
    runType: 'TRACKED' as const,
    cascadeId: 'cascade-1',
    intentAt: Date.now() - 1000,
  };

  it('a first attempt triggers without looking', async () => {
    const api = seeded();
    const run = await triggerStackRunOnce(input, {
      api,
      identity: 'api::cascade',
      attempt: 1,
      log: silentLogger,
    });
    expect(run.reused).toBe(false);
    expect((await api.getStackRuns('db'))!.map((r) => r.id)).toEqual([run.runId]);
  });

  it('a retry reuses the run an earlier attempt triggered instead of triggering twice', async () => {
    const api = seeded();
    const earlier = await api.triggerRun('db');
    const run = await triggerStackRunOnce(input, {
      api,
      identity: 'api::cascade',
      attempt: 2,
      log: silentLogger,
    });
    expect(run).toEqual({ runId: earlier.id, state: 'QUEUED', reused: true });
    expect(await api.getStackRuns('db')).toHaveLength(1);
  });

  it('a retry ignores runs from before the intent, of another identity or another type', async () => {
    const api = seeded('api::someone-else');
    await api.triggerRun('db');
    await api.triggerRun('db', { runType: 'PROPOSED' });
    const run = await triggerStackRunOnce(input, {
      api,
      identity: 'api::cascade',
      attempt: 3,
      log: silentLogger,
    });
    expect(run.reused).toBe(false);
    const later = { ...input, intentAt: Date.now() + 60_000 };
    const mine = seeded('api::cascade');
    await mine.triggerRun('db');
    const again = await triggerStackRunOnce(later, {
      api: mine,
      identity: 'api::cascade',
      attempt: 2,
      log: silentLogger,
    });
    expect(again.reused).toBe(false);
    expect(await mine.getStackRuns('db')).toHaveLength(2);
  });

  it('an unknown stack fails without retries', async () => {
    const err = await triggerStackRunOnce(
      { ...input, stackId: 'missing' },
      { api: seeded(), identity: undefined, attempt: 2, log: silentLogger },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).type).toBe('StackNotFound');
  });
});

describe('readRunState', () => {
  it('reads the state and newest state version; an unknown run is not retried', async () => {
    const api = seeded();
    const run = await api.triggerRun('net');
    api.finishRun('net', run.id);
    const state = await readRunState(api, 'net', run.id);
    expect(state.state).toBe('FINISHED');
    expect(state.stateVersion).toBeGreaterThan(1);
    const err = await readRunState(api, 'net', 'nope').catch((e: unknown) => e);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
  });
});

describe('callSpacelift', () => {
  it('makes errors marked retryable: false non-retryable, keeping their class name as the type', async () => {
    class SpaceliftAuthError extends Error {
      override name = 'SpaceliftAuthError';
      retryable = false;
    }
    const err = await callSpacelift('trigger', () =>
      Promise.reject(new SpaceliftAuthError('unauthorized')),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).type).toBe('SpaceliftAuthError');
    expect((err as Error).message).toBe('trigger: unauthorized');
  });

  it('lets retryable errors through for the retry policy', async () => {
    const boom = Object.assign(new Error('HTTP 502'), { retryable: true });
    await expect(callSpacelift('x', () => Promise.reject(boom))).rejects.toBe(boom);
  });
});
