import { ApplicationFailure } from '@temporalio/common';
import type { SpaceliftApi } from 'spacelift-client';
import { callSpacelift } from './spacelift-failure.js';
import type { RunStateResult } from './types.js';

/** A run's state and newest state version; an unknown run fails without retries. */
export async function readRunState(
  api: SpaceliftApi,
  stackId: string,
  runId: string,
): Promise<RunStateResult> {
  const run = await callSpacelift(`get run ${runId} of stack ${stackId}`, () => api.getRun(stackId, runId));
  if (run === null) {
    throw ApplicationFailure.nonRetryable(`run ${runId} of stack ${stackId} does not exist`, 'RunNotFound');
  }
  const versions = run.history.map((h) => h.stateVersion);
  return { state: run.state, stateVersion: versions.length > 0 ? Math.max(...versions) : null };
}
