import type { Run, SpaceliftApi } from 'spacelift-client';
import { ApplicationFailure } from '@temporalio/common';
import { isOwnIdentity } from '../own-identity.js';
import type { CascadeLogger } from './cascade-logger.js';
import { callSpacelift } from './spacelift-failure.js';
import type { TriggeredRun, TriggerStackRunInput } from './types.js';

export interface TriggerContext {
  api: SpaceliftApi;
  /** The `triggeredBy` value of runs this worker's API key triggers; undefined matches any. */
  identity: string | undefined;
  /** Temporal's attempt number (1 on the first try). */
  attempt: number;
  log: CascadeLogger;
}

/**
 * Triggers a run unless an earlier attempt already did. "Look before you retry": an earlier
 * attempt may have triggered the run and then died (worker killed, ambiguous timeout) before
 * reporting it, so a retry first looks for a run of this identity and type created at or after
 * the workflow's intent and reuses it. A first attempt cannot have a predecessor, so it skips
 * the look and spends one API call, not two.
 */
export async function triggerStackRunOnce(
  input: TriggerStackRunInput,
  ctx: TriggerContext,
): Promise<TriggeredRun> {
  const { api, log } = ctx;
  const fields = { cascadeId: input.cascadeId, stackId: input.stackId, attempt: ctx.attempt };
  if (ctx.attempt > 1) {
    const runs = await callSpacelift(`list runs of stack ${input.stackId}`, () =>
      api.getStackRuns(input.stackId),
    );
    if (runs === null) throw stackNotFound(input.stackId);
    const earlier = earliestRunSince(runs, input, ctx.identity);
    if (earlier) {
      log.info({ ...fields, runId: earlier.id }, 'reusing the run an earlier attempt triggered');
      return { runId: earlier.id, state: earlier.state, createdAt: earlier.createdAt, reused: true };
    }
  }
  const run = await callSpacelift(`trigger a ${input.runType} run of stack ${input.stackId}`, () =>
    api.triggerRun(input.stackId, { runType: input.runType }),
  );
  log.info({ ...fields, runId: run.id }, 'triggered run');
  return { runId: run.id, state: run.state, createdAt: run.createdAt, reused: false };
}

function earliestRunSince(
  runs: Run[],
  input: TriggerStackRunInput,
  identity: string | undefined,
): Run | undefined {
  // Run timestamps are whole seconds; the intent is in milliseconds.
  const since = Math.floor(input.intentAt / 1000);
  const candidates = runs.filter(
    (r) =>
      r.createdAt >= since &&
      r.type === input.runType &&
      (identity === undefined || isOwnIdentity(r.triggeredBy ?? null, identity)),
  );
  return candidates.sort((a, b) => a.createdAt - b.createdAt)[0];
}

function stackNotFound(stackId: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `stack ${stackId} does not exist or is not visible to this API key`,
    'StackNotFound',
  );
}
