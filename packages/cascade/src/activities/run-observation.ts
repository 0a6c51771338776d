import { isTerminalRunState, type Run } from 'spacelift-client';
import type { RunDelta, RunObservation } from '../cascade-contract.js';

/** A run as the API returns it, in the coordinator's terms. */
export function observationOf(
  stackId: string,
  run: Run,
  stackLabels: string[] | null = null,
): RunObservation {
  const versions = run.history.map((h) => h.stateVersion);
  const times = run.history.map((h) => h.timestamp);
  return {
    stackId,
    runId: run.id,
    state: run.state,
    stateVersion: versions.length > 0 ? Math.max(...versions) : null,
    runType: run.type,
    triggeredBy: run.triggeredBy ?? null,
    createdAt: run.createdAt,
    // Whole seconds round up: the change is never taken for earlier than it was.
    at: (times.length > 0 ? Math.max(...times) : run.createdAt) * 1000 + 999,
    driftDetection: false,
    stackLabels,
    // Only an ended run's delta means something (before its plan a run has none).
    ...(isTerminalRunState(run.state) && { delta: deltaOf(run) }),
  };
}

/** The API's `Run.delta` counts in the webhook's terms; null when the run has none. */
export function deltaOf(run: Pick<Run, 'delta'>): RunDelta | null {
  const d = run.delta;
  return d ? { added: d.addCount, changed: d.changeCount, deleted: d.deleteCount } : null;
}
