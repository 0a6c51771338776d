import type { Run } from 'spacelift-client';
import type { RunObservation } from '../cascade-contract.js';

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
  };
}
