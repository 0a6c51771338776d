import type { Client } from '@temporalio/client';
import { isTerminalRunState } from 'spacelift-client';
import { runFollowerWorkflowId } from '../../packages/cascade/src/constants.js';

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

const ms = (event: HistoryEvent): number => {
  const t = event.eventTime!;
  return Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6;
};
const id = (n: unknown): number => Number(n ?? 0);
const decode = (data: Uint8Array | null | undefined): unknown =>
  data ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined;
const mean = (xs: number[]): number | null =>
  xs.length === 0 ? null : Number((xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(1));

/**
 * Where a cascade's time went, from the parent workflow's history (server event times, the
 * same wall clock as the bench) and the store's run ends. Means over stacks, in ms.
 */
export interface ParentBreakdown {
  historyEvents: number;
  workflowTasks: number;
  /** Mean workflow task scheduled -> completed (queue wait + the worker's replay/activation). */
  workflowTaskMs: number | null;
  /** Root run FINISHED (store) -> cascade workflow started (webhook delivery, receiver, start). */
  rootFinishedToStartMs: number;
  /** Root run FINISHED (store) -> the cascade workflow closed (it knows every run ended). */
  rootFinishedToClosedMs: number;
  /** Workflow started -> stack graph loaded (one paged search). */
  startToGraphLoadedMs: number | null;
  perStack: {
    /** Upstreams done (last upstream follower completed, or graph loaded) -> trigger scheduled. */
    readyToTriggerScheduledMs: number | null;
    /** triggerStackRun activity scheduled -> completed (task queue + one TriggerRun call). */
    triggerActivityMs: number | null;
    /** Trigger completed -> follower child started (a parent workflow task + the child start). */
    triggerToChildStartedMs: number | null;
    /** Child started -> its run FINISHED in the store (zero-length runs: the simulator's steps). */
    childStartedToRunFinishedMs: number | null;
    /** Run FINISHED in the store -> the parent records the child completed. */
    runFinishedToChildCompletedMs: number | null;
  };
}

/** Reads the parent history of `workflowId` and lines it up with the runs' ends. */
export async function parentBreakdown(
  client: Client,
  workflowId: string,
  rootFinishedWall: number,
  runs: ReadonlyMap<string, { stackId: string; finishedWall: number }>,
  upstreams: ReadonlyMap<string, readonly string[]>,
): Promise<ParentBreakdown> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const byId = new Map(events.map((e) => [id(e.eventId), e]));
  const wftMs: number[] = [];
  let graphLoaded: number | null = null;
  const trigger = new Map<string, { scheduled: number; completed?: number }>();
  const scheduledStack = new Map<number, string>();
  const stackOfRun = new Map([...runs].map(([runId, r]) => [runFollowerWorkflowId(runId), r]));
  const child = new Map<string, { started?: number; completed?: number }>();
  const initiatedStack = new Map<number, string>();
  for (const e of events) {
    if (e.workflowTaskCompletedEventAttributes) {
      const scheduled = byId.get(id(e.workflowTaskCompletedEventAttributes.scheduledEventId));
      if (scheduled) wftMs.push(ms(e) - ms(scheduled));
    } else if (e.activityTaskScheduledEventAttributes) {
      const a = e.activityTaskScheduledEventAttributes;
      if (a.activityType?.name === 'triggerStackRun') {
        const input = decode(a.input?.payloads?.[0]?.data) as { stackId: string };
        trigger.set(input.stackId, { scheduled: ms(e) });
        scheduledStack.set(id(e.eventId), input.stackId);
      }
    } else if (e.activityTaskCompletedEventAttributes) {
      const scheduledId = id(e.activityTaskCompletedEventAttributes.scheduledEventId);
      const stackId = scheduledStack.get(scheduledId);
      if (stackId) trigger.get(stackId)!.completed = ms(e);
      else if (
        byId.get(scheduledId)?.activityTaskScheduledEventAttributes?.activityType?.name === 'loadStackGraph'
      )
        graphLoaded = ms(e);
    } else if (e.startChildWorkflowExecutionInitiatedEventAttributes) {
      const run = stackOfRun.get(e.startChildWorkflowExecutionInitiatedEventAttributes.workflowId ?? '');
      if (run) initiatedStack.set(id(e.eventId), run.stackId);
    } else if (e.childWorkflowExecutionStartedEventAttributes) {
      const stackId = initiatedStack.get(id(e.childWorkflowExecutionStartedEventAttributes.initiatedEventId));
      if (stackId) child.set(stackId, { started: ms(e) });
    } else if (e.childWorkflowExecutionCompletedEventAttributes) {
      const stackId = initiatedStack.get(
        id(e.childWorkflowExecutionCompletedEventAttributes.initiatedEventId),
      );
      if (stackId) child.get(stackId)!.completed = ms(e);
    }
  }
  const runEnd = new Map([...runs.values()].map((r) => [r.stackId, r.finishedWall]));
  const ready: number[] = [];
  const triggerMs: number[] = [];
  const toChild: number[] = [];
  const toRunEnd: number[] = [];
  const runEndToDone: number[] = [];
  for (const [stackId, t] of trigger) {
    const ups = upstreams.get(stackId) ?? [];
    const upDone = ups.map((u) => child.get(u)?.completed ?? graphLoaded ?? t.scheduled);
    ready.push(t.scheduled - Math.max(...upDone));
    const c = child.get(stackId);
    if (t.completed !== undefined) triggerMs.push(t.completed - t.scheduled);
    if (t.completed !== undefined && c?.started !== undefined) toChild.push(c.started - t.completed);
    const end = runEnd.get(stackId);
    if (end !== undefined && c?.started !== undefined) toRunEnd.push(end - c.started);
    if (end !== undefined && c?.completed !== undefined) runEndToDone.push(c.completed - end);
  }
  return {
    historyEvents: events.length,
    workflowTasks: wftMs.length,
    workflowTaskMs: mean(wftMs),
    rootFinishedToStartMs: Number((ms(events[0]!) - rootFinishedWall).toFixed(1)),
    rootFinishedToClosedMs: Number((ms(events.at(-1)!) - rootFinishedWall).toFixed(1)),
    startToGraphLoadedMs: graphLoaded === null ? null : Number((graphLoaded - ms(events[0]!)).toFixed(1)),
    perStack: {
      readyToTriggerScheduledMs: mean(ready),
      triggerActivityMs: mean(triggerMs),
      triggerToChildStartedMs: mean(toChild),
      childStartedToRunFinishedMs: mean(toRunEnd),
      runFinishedToChildCompletedMs: mean(runEndToDone),
    },
  };
}

/** How run followers learnt their run's end, from a sample of child histories. */
export interface FollowerSample {
  sampled: number;
  /** The first getRunState look (at the child's start) already saw the run ended. */
  endSeenByFirstLook: number;
  /** The run was still going at the first look; the FINISHED webhook's signal ended the wait. */
  endSeenBySignal: number;
  /** Neither: a later fallback poll saw it. */
  endSeenByLaterPoll: number;
  meanGetRunActivities: number | null;
  meanSignalsReceived: number | null;
  /** Child started -> child completed. */
  meanChildMs: number | null;
}

/** Reads up to `limit` follower histories, spread over `runIds`. */
export async function followerSample(
  client: Client,
  runIds: string[],
  limit: number,
): Promise<FollowerSample> {
  const step = Math.max(1, Math.floor(runIds.length / limit));
  const picked = runIds.filter((_, i) => i % step === 0).slice(0, limit);
  const out = { firstLook: 0, signal: 0, laterPoll: 0 };
  const activities: number[] = [];
  const signals: number[] = [];
  const durations: number[] = [];
  for (const runId of picked) {
    const events =
      (await client.workflow.getHandle(runFollowerWorkflowId(runId)).fetchHistory()).events ?? [];
    const polls = events.filter((e) => e.activityTaskCompletedEventAttributes);
    const states = polls.map(
      (e) =>
        (decode(e.activityTaskCompletedEventAttributes!.result?.payloads?.[0]?.data) as { state: string })
          .state,
    );
    activities.push(polls.length);
    signals.push(events.filter((e) => e.workflowExecutionSignaledEventAttributes).length);
    durations.push(ms(events.at(-1)!) - ms(events[0]!));
    const terminalAt = states.findIndex((s) => isTerminalRunState(s));
    if (terminalAt === 0) out.firstLook++;
    else if (terminalAt > 0) out.laterPoll++;
    else out.signal++;
  }
  return {
    sampled: picked.length,
    endSeenByFirstLook: out.firstLook,
    endSeenBySignal: out.signal,
    endSeenByLaterPoll: out.laterPoll,
    meanGetRunActivities: mean(activities),
    meanSignalsReceived: mean(signals),
    meanChildMs: mean(durations),
  };
}
