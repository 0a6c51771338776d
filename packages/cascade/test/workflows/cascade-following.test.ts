import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowIdReusePolicy,
} from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CascadeResult, RunStateSignal } from '../../src/cascade-contract.js';
import {
  CASCADE_STATUS_QUERY,
  PARENT_WORKFLOW,
  RUN_STATE_SIGNAL,
  cascadeWorkflowId,
  runFollowerWorkflowId,
} from '../../src/constants.js';
import { CascadeHarness, cascadeInput } from './cascade-harness.js';
import { ScriptedSpacelift } from './scripted-spacelift.js';

let harness: CascadeHarness;
beforeAll(async () => {
  harness = await CascadeHarness.create(`cascade-following-${randomUUID()}`);
});
afterAll(async () => harness.close());

const HOUR = 3_600_000;

/** Polls `check` every 20 ms until it returns a value (or the test times out). */
async function eventually<T>(check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The follower of a run, once it exists and has looked at the run once (so only a signal can end it early). */
async function followerAfterFirstLook(runId: string) {
  const follower = harness.client.workflow.getHandle(runFollowerWorkflowId(runId));
  await eventually(async () => {
    const history = await follower.fetchHistory().catch(() => null);
    return history?.events?.some((e) => e.activityTaskCompletedEventAttributes) ? true : undefined;
  });
  return follower;
}

const signalFor = (stackId: string, runId: string, state: string, stateVersion: number): RunStateSignal => ({
  runId,
  stackId,
  state,
  stateVersion,
  timestamp: Math.floor(Date.now() / 1000),
});

describe('following runs', () => {
  it('ends runs from webhook signals alone when polling is an hour away (fast path), ignoring stale versions', async () => {
    const spacelift = new ScriptedSpacelift([{ id: 'root' }, { id: 'app', dependsOn: ['root'] }], {
      autoFinish: false,
    });
    const rootRunId = `root-${randomUUID()}`;
    const result = await harness.withWorker(spacelift.api, async () => {
      const handle = await harness.client.workflow.start(PARENT_WORKFLOW, {
        workflowId: cascadeWorkflowId(rootRunId),
        taskQueue: harness.taskQueue,
        args: [cascadeInput('root', rootRunId, { pollIntervalMs: HOUR })],
      });
      const runId = await eventually(() => spacelift.runsOf('app')[0]?.id);
      const follower = await followerAfterFirstLook(runId);
      spacelift.mock.finishRun('app', runId);
      // A stale delivery first: an older version must not be taken for the latest.
      await follower.signal(RUN_STATE_SIGNAL, signalFor('app', runId, 'PLANNING', 2));
      await follower.signal(RUN_STATE_SIGNAL, signalFor('app', runId, 'FINISHED', 99));
      await follower.signal(RUN_STATE_SIGNAL, signalFor('app', runId, 'APPLYING', 5));
      return (await handle.result()) as CascadeResult;
    });
    expect(result.stacks.app).toMatchObject({ state: 'finished' });
    expect(spacelift.calls.getRun).toBe(1);
  });

  it('finishes through polling when no webhook arrives at all (lost webhooks)', async () => {
    const spacelift = new ScriptedSpacelift(
      [{ id: 'root' }, { id: 'a', dependsOn: ['root'] }, { id: 'b', dependsOn: ['a'] }],
      { autoFinish: false },
    );
    const rootRunId = `root-${randomUUID()}`;
    const finisher = spacelift.mock.onRunStateChange(({ run, transition }) => {
      // Each run ends a little later, long after the follower's first look.
      if (transition.stateVersion === 1) setTimeout(() => spacelift.mock.finishRun(run.stackId, run.id), 300);
    });
    const result = await harness.withWorker(spacelift.api, () =>
      harness.client.workflow.execute(PARENT_WORKFLOW, {
        workflowId: cascadeWorkflowId(rootRunId),
        taskQueue: harness.taskQueue,
        args: [cascadeInput('root', rootRunId, { pollIntervalMs: 100 })],
      }),
    );
    finisher();
    expect(spacelift.triggeredStacks()).toEqual(['a', 'b']);
    expect((result as CascadeResult).phase).toBe('completed');
    expect(spacelift.calls.getRun).toBeGreaterThan(2);
  });

  it('follows a root run that is not yet finished, by signal to the cascade', async () => {
    const spacelift = new ScriptedSpacelift([{ id: 'root' }, { id: 'app', dependsOn: ['root'] }], {
      autoFinish: false,
    });
    const rootRun = await spacelift.mock.triggerRun('root');
    spacelift.events.length = 0;
    const result = await harness.withWorker(spacelift.api, async () => {
      const handle = await harness.client.workflow.start(PARENT_WORKFLOW, {
        workflowId: cascadeWorkflowId(rootRun.id),
        taskQueue: harness.taskQueue,
        args: [cascadeInput('root', rootRun.id, { pollIntervalMs: HOUR }, false)],
      });
      const waiting = await eventually(async () => {
        const s = await handle.query<CascadeResult>(CASCADE_STATUS_QUERY);
        return s.phase === 'waiting-for-root' ? s : undefined;
      });
      expect(waiting.stacks).toEqual({});
      expect(spacelift.triggeredStacks()).toEqual([]);
      spacelift.mock.finishRun('root', rootRun.id);
      await handle.signal(RUN_STATE_SIGNAL, signalFor('root', rootRun.id, 'FINISHED', 10));
      const appRun = await eventually(() => spacelift.runsOf('app')[0]?.id);
      const follower = await followerAfterFirstLook(appRun);
      spacelift.mock.finishRun('app', appRun);
      await follower.signal(RUN_STATE_SIGNAL, signalFor('app', appRun, 'FINISHED', 10));
      // Redelivered root webhooks after the start are tolerated.
      await handle.signal(RUN_STATE_SIGNAL, signalFor('root', rootRun.id, 'FINISHED', 10));
      return (await handle.result()) as CascadeResult;
    });
    expect(spacelift.triggeredStacks()).toEqual(['app']);
    expect(result.phase).toBe('completed');
  });

  it('triggers nothing when the followed root run fails, and says why (learnt by polling)', async () => {
    const spacelift = new ScriptedSpacelift(
      [
        { id: 'root', outcome: 'FAILED' },
        { id: 'app', dependsOn: ['root'] },
      ],
      { autoFinish: false },
    );
    const rootRun = await spacelift.mock.triggerRun('root');
    spacelift.events.length = 0;
    setTimeout(() => spacelift.mock.finishRun('root', rootRun.id), 200);
    const result = (await harness.withWorker(spacelift.api, () =>
      harness.client.workflow.execute(PARENT_WORKFLOW, {
        workflowId: cascadeWorkflowId(rootRun.id),
        taskQueue: harness.taskQueue,
        args: [cascadeInput('root', rootRun.id, { pollIntervalMs: 50 }, false)],
      }),
    )) as CascadeResult;
    expect(spacelift.triggeredStacks()).toEqual([]);
    expect(result.stacks.app).toEqual({
      state: 'skipped',
      reason: `upstream root failed: run ${rootRun.id} ended FAILED`,
    });
  });

  it('counts a run that vanished as failed and skips what depends on it', async () => {
    const spacelift = new ScriptedSpacelift(
      [
        { id: 'root' },
        { id: 'a', dependsOn: ['root'] },
        { id: 'b', dependsOn: ['a'] },
        { id: 'c', dependsOn: ['root'] },
      ],
      { autoFinish: false },
    );
    spacelift.mock.onRunStateChange(({ run, transition }) => {
      if (run.stackId === 'c' && transition.stateVersion === 1)
        setImmediate(() => spacelift.mock.finishRun('c', run.id));
    });
    const rootRunId = `root-${randomUUID()}`;
    const result = await harness.withWorker(spacelift.api, async () => {
      const handle = await harness.client.workflow.start(PARENT_WORKFLOW, {
        workflowId: cascadeWorkflowId(rootRunId),
        taskQueue: harness.taskQueue,
        args: [cascadeInput('root', rootRunId, { pollIntervalMs: 50 })],
      });
      const aRun = await eventually(() => spacelift.runsOf('a')[0]?.id);
      await followerAfterFirstLook(aRun);
      // Someone deletes the stack (and its runs) while the cascade follows its run.
      spacelift.mock.store.deleteStack('a');
      return (await handle.result()) as CascadeResult;
    });
    expect(result.stacks.a).toMatchObject({ state: 'failed', runState: 'UNKNOWN' });
    expect(result.stacks.b).toMatchObject({ state: 'skipped' });
    expect((result.stacks.b as { reason: string }).reason).toMatch(
      /^upstream a failed: could not follow run .*does not exist/,
    );
    expect(result.stacks.c).toMatchObject({ state: 'finished' });
  });

  it('starts one cascade for a root run however often it is started', async () => {
    const spacelift = new ScriptedSpacelift([{ id: 'root' }, { id: 'a', dependsOn: ['root'] }]);
    const rootRunId = `root-${randomUUID()}`;
    const start = () =>
      harness.client.workflow.start(PARENT_WORKFLOW, {
        workflowId: cascadeWorkflowId(rootRunId),
        taskQueue: harness.taskQueue,
        args: [cascadeInput('root', rootRunId)],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, start));
    const started = outcomes.filter((o) => o.status === 'fulfilled');
    expect(started).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    }
    await harness.withWorker(spacelift.api, () => started[0]!.value.result());
    // A redelivery after the cascade ended must not start it again either.
    await expect(start()).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect(spacelift.triggeredStacks()).toEqual(['a']);
  });
});

describe('status and cancellation', () => {
  it('answers the status query with each stack pending, triggered (run id, URL, state), finished or skipped', async () => {
    const spacelift = new ScriptedSpacelift(
      [
        { id: 'root' },
        { id: 'a', dependsOn: ['root'] },
        { id: 'b', dependsOn: ['a'] },
        { id: 'bad', dependsOn: ['root'], outcome: 'FAILED' },
        { id: 'under-bad', dependsOn: ['bad'] },
      ],
      { autoFinish: false },
    );
    const rootRunId = `root-${randomUUID()}`;
    await harness.withWorker(spacelift.api, async () => {
      const handle = await harness.client.workflow.start(PARENT_WORKFLOW, {
        workflowId: cascadeWorkflowId(rootRunId),
        taskQueue: harness.taskQueue,
        args: [cascadeInput('root', rootRunId, { pollIntervalMs: 50 })],
      });
      const query = () => handle.query<CascadeResult>(CASCADE_STATUS_QUERY);
      const aRun = await eventually(() => spacelift.runsOf('a')[0]?.id);
      const badRun = await eventually(() => spacelift.runsOf('bad')[0]?.id);
      const mid = await eventually(async () => {
        const s = await query();
        return s.stacks.a?.state === 'triggered' && s.stacks.bad?.state === 'triggered' ? s : undefined;
      });
      expect(mid.phase).toBe('running');
      expect(Object.keys(mid.stacks)).toEqual(['a', 'bad', 'b', 'under-bad']);
      expect(mid.stacks.a).toEqual({
        state: 'triggered',
        runId: aRun,
        runUrl: `https://acme.app.spacelift.io/stack/a/run/${aRun}`,
        runState: 'QUEUED',
      });
      expect(mid.stacks.b).toEqual({ state: 'pending', waitingFor: ['a'] });
      // A webhook about a triggered run reaching the cascade refreshes its run state.
      await handle.signal(RUN_STATE_SIGNAL, signalFor('a', aRun, 'PLANNING', 3));
      expect((await query()).stacks.a).toMatchObject({ state: 'triggered', runState: 'PLANNING' });

      spacelift.mock.finishRun('bad', badRun);
      const afterFail = await eventually(async () => {
        const s = await query();
        return s.stacks.bad?.state === 'failed' ? s : undefined;
      });
      expect(afterFail.stacks['under-bad']).toEqual({
        state: 'skipped',
        reason: `upstream bad failed: run ${badRun} ended FAILED`,
      });
      spacelift.mock.finishRun('a', aRun);
      const bRun = await eventually(() => spacelift.runsOf('b')[0]?.id);
      spacelift.mock.finishRun('b', bRun);
      const done = (await handle.result()) as CascadeResult;
      expect(done.phase).toBe('completed');
      expect(done.stacks.b).toMatchObject({ state: 'finished', runId: bRun });
      expect(await query()).toEqual(done);
    });
  });

  it('stops triggering when canceled, records phase canceled, cancels run followers', async () => {
    const spacelift = new ScriptedSpacelift(
      [{ id: 'root' }, { id: 'a', dependsOn: ['root'] }, { id: 'b', dependsOn: ['a'] }],
      { autoFinish: false },
    );
    const rootRunId = `root-${randomUUID()}`;
    await harness.withWorker(spacelift.api, async () => {
      const handle = await harness.client.workflow.start(PARENT_WORKFLOW, {
        workflowId: cascadeWorkflowId(rootRunId),
        taskQueue: harness.taskQueue,
        args: [cascadeInput('root', rootRunId, { pollIntervalMs: 50 })],
      });
      const aRun = await eventually(() => spacelift.runsOf('a')[0]?.id);
      await eventually(async () =>
        (await handle.query<CascadeResult>(CASCADE_STATUS_QUERY)).stacks.a?.state === 'triggered'
          ? true
          : undefined,
      );
      await handle.cancel();
      const err = await handle.result().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const status = await handle.query<CascadeResult>(CASCADE_STATUS_QUERY);
      expect(status.phase).toBe('canceled');
      expect(status.stacks.b).toEqual({
        state: 'skipped',
        reason: 'cascade canceled before this stack was triggered',
      });
      const follower = await eventually(async () => {
        const d = await harness.client.workflow.getHandle(runFollowerWorkflowId(aRun)).describe();
        return d.status.name === 'RUNNING' ? undefined : d;
      });
      expect(follower.status.name).toBe('CANCELLED');
      // The run itself may finish later; the canceled cascade triggers nothing more.
      spacelift.mock.finishRun('a', aRun);
      await new Promise((r) => setTimeout(r, 300));
    });
    expect(spacelift.triggeredStacks()).toEqual(['a']);
  });
});
