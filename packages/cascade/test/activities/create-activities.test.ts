import { ApplicationFailure } from '@temporalio/common';
import { MockSpacelift } from 'spacelift-simulator/testing';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/activities/cascade-logger.js';
import { readRuns } from '../../src/activities/read-runs.js';
import { deltaOf, observationOf } from '../../src/activities/run-observation.js';
import { digestOutputs, readStackOutputs } from '../../src/activities/read-stack-outputs.js';
import { reconcileEstate } from '../../src/activities/reconcile-estate.js';
import { isOwnIdentity } from '../../src/own-identity.js';
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

describe('reconcileEstate', () => {
  it('reads the graph on the first pass, then the runs of only the stacks whose state changed', async () => {
    let now = 1_000_000;
    const api = new MockSpacelift({
      identity: 'api::cascade',
      now: () => now,
      seed: {
        stacks: [
          { id: 'net' },
          { id: 'db', labels: ['dependsOn:net', 'team:data'] },
          { id: 'app', labels: ['dependsOn:db', 'dependsOn:ghost'] },
        ],
      },
    });
    const calls: Record<string, number> = {};
    const counting = new Proxy(api, {
      get: (t, p, r) => {
        const v: unknown = Reflect.get(t, p, r);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          calls[String(p)] = (calls[String(p)] ?? 0) + 1;
          return (v as (...a: unknown[]) => unknown).apply(t, args);
        };
      },
    });
    const old = await api.triggerRun('db');
    api.finishRun('db', old.id);
    now += 5_000;
    const first = await reconcileEstate(counting, {
      labelPrefix: 'dependsOn:',
      cursor: null,
      graphDigest: null,
    });
    expect([...first.nodes!].sort((a, b) => a.id.localeCompare(b.id))).toEqual([
      { id: 'app', dependsOn: ['db', 'ghost'] },
      { id: 'db', dependsOn: ['net'] },
      { id: 'net', dependsOn: [] },
    ]);
    expect(first.observations).toEqual([]); // the past is not a change
    expect(calls).toEqual({ searchStacks: 1 });

    now += 5_000;
    const run = await api.triggerRun('net');
    api.finishRun('net', run.id);
    const second = await reconcileEstate(counting, {
      labelPrefix: 'dependsOn:',
      cursor: first.cursor! + 1,
      graphDigest: first.graphDigest,
    });
    expect(second.nodes).toBeNull(); // labels did not change
    expect(second.observations.map((o) => [o.stackId, o.runId, o.state])).toEqual([
      ['net', run.id, 'FINISHED'],
    ]);
    expect(calls).toEqual({ searchStacks: 2, getStackRuns: 1 });
  });
});

describe('readRuns', () => {
  it('reads each run; an unknown run is reported vanished', async () => {
    const api = seeded();
    const run = await api.triggerRun('net');
    api.finishRun('net', run.id);
    const result = await readRuns(api, [
      { stackId: 'net', runId: run.id },
      { stackId: 'net', runId: 'nope' },
    ]);
    expect(result.observations.map((o) => [o.runId, o.state, o.runType])).toEqual([
      [run.id, 'FINISHED', 'TRACKED'],
    ]);
    expect(result.observations[0]!.stateVersion).toBeGreaterThan(1);
    expect(result.vanished).toEqual([{ stackId: 'net', runId: 'nope' }]);
  });
});

describe('run deltas from the API', () => {
  it('an ended run carries its Run.delta counts; a run on its way carries none', async () => {
    const api = seeded();
    const run = await api.triggerRun('net');
    expect(observationOf('net', run)).not.toHaveProperty('delta');
    const finished = api.finishRun('net', run.id);
    const delta = observationOf('net', finished).delta!;
    expect(delta.added + delta.changed + delta.deleted).toBeGreaterThan(0); // FINISHED changes resources
    expect(deltaOf({ delta: null })).toBeNull();
    expect(deltaOf({ delta: { addCount: 1, changeCount: 2, deleteCount: 3, resources: 9 } })).toEqual({
      added: 1,
      changed: 2,
      deleted: 3,
    });
  });
});

describe('readStackOutputs', () => {
  const api = () =>
    new MockSpacelift({
      seed: {
        stacks: [
          {
            id: 'net',
            outputs: [
              { id: 'vpc_id', value: 'vpc-0a1b2c' },
              { id: 'cidr', value: '10.0.0.0/16' },
            ],
          },
          {
            id: 'db',
            outputs: [
              { id: 'endpoint', value: 'db:5432' },
              { id: 'password', value: 's3cret', sensitive: true },
            ],
          },
          { id: 'bare' },
        ],
      },
    });

  it('reads a digest of the outputs: the same values give the same digest, a new value another', async () => {
    const mock = api();
    const first = await readStackOutputs(mock, 'net');
    expect(first).toEqual({ digest: expect.any(String), hidden: [] });
    expect(JSON.stringify(first)).not.toContain('vpc-0a1b2c'); // no output value reaches the history
    expect(await readStackOutputs(mock, 'net')).toEqual(first);
    mock.store.stacks.setOutputs('net', [
      { id: 'vpc_id', value: 'vpc-0a1b2c' },
      { id: 'cidr', value: '10.1.0.0/16' },
    ]);
    expect((await readStackOutputs(mock, 'net'))!.digest).not.toBe(first!.digest);
    expect(await readStackOutputs(mock, 'bare')).toEqual({ digest: expect.any(String), hidden: [] });
  });

  it('lists sensitive outputs as hidden (the API reads them null); a missing stack reads null', async () => {
    const mock = api();
    expect(await readStackOutputs(mock, 'db')).toMatchObject({ hidden: ['password'] });
    expect(await readStackOutputs(mock, 'ghost')).toBeNull();
  });

  it('digests in id order, and tells a null value from a missing output', () => {
    const a = { id: 'a', sensitive: false, value: '1' };
    const b = { id: 'b', sensitive: false, value: null };
    expect(digestOutputs([a, b])).toEqual(digestOutputs([b, a]));
    expect(digestOutputs([a, b]).digest).not.toBe(digestOutputs([a]).digest);
  });
});

describe('isOwnIdentity', () => {
  it('accepts both forms Spacelift has used for an API key, and nothing else', () => {
    expect(isOwnIdentity('api::01HKEYABCDEF', 'api::01HKEYABCDEF')).toBe(true);
    expect(isOwnIdentity('api::01HK::cascade-bot', 'api::01HKEYABCDEF')).toBe(true);
    expect(isOwnIdentity('api::01XX::cascade-bot', 'api::01HKEYABCDEF')).toBe(false);
    expect(isOwnIdentity('api::01HKEYOTHER', 'api::01HKEYABCDEF')).toBe(false);
    expect(isOwnIdentity('alice@example.com', 'api::01HKEYABCDEF')).toBe(false);
    expect(isOwnIdentity(null, 'api::01HKEYABCDEF')).toBe(false);
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
    expect(run).toEqual({ runId: earlier.id, state: 'QUEUED', createdAt: earlier.createdAt, reused: true });
    expect(await api.getStackRuns('db')).toHaveLength(1);
  });

  it('a retry finds its run when Spacelift names the key in the short form', async () => {
    const api = seeded('api::casc::cascade-bot');
    const earlier = await api.triggerRun('db');
    const run = await triggerStackRunOnce(input, {
      api,
      identity: 'api::cascade',
      attempt: 2,
      log: silentLogger,
    });
    expect(run).toEqual({ runId: earlier.id, state: 'QUEUED', createdAt: earlier.createdAt, reused: true });
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
