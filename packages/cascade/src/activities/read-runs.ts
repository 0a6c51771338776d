import type { SpaceliftApi } from 'spacelift-client';
import { callSpacelift } from './spacelift-failure.js';
import { observationOf } from './run-observation.js';
import type { ReadRunsResult, RunRef } from './types.js';

/** The current state of runs no webhook told us about lately: one call per run. */
export async function readRuns(api: SpaceliftApi, runs: RunRef[]): Promise<ReadRunsResult> {
  const result: ReadRunsResult = { observations: [], vanished: [] };
  for (const ref of runs) {
    const run = await callSpacelift(`get run ${ref.runId} of stack ${ref.stackId}`, () =>
      api.getRun(ref.stackId, ref.runId),
    );
    if (run === null) result.vanished.push(ref);
    else result.observations.push(observationOf(ref.stackId, run));
  }
  return result;
}
