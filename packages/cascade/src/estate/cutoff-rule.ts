/**
 * Early cutoff (issue 19): a FINISHED tracked run that changed nothing is not a change for its
 * stack's dependents, as a build system stops at a rebuilt file whose bytes are the same. Pure:
 * the coordinator's model asks it, the outputs come from the `readStackOutputs` activity.
 *
 * A run of stack S is **not a change** when all of these hold:
 * 1. its delta (added, changed, deleted) is all zero;
 * 2. S's outputs read after it equal S's outputs read after its previous FINISHED run (the
 *    baseline; outputs are read after every FINISHED run of a stack with dependents);
 * 3. S's previous run did not fail, stop or get canceled (it may have applied part of a change).
 *
 * Conservative where unsure: a missing delta, outputs never read before, a sensitive output (the
 * API hides its value), a failed read all make the run a change.
 */
import type { RunDelta } from '../cascade-contract.js';

/** A dependent with this label runs on any FINISHED run of its upstreams (Spacelift's "trigger always"). */
const CASCADE_ALWAYS_LABEL = 'cascade:always';

/** Whether a stack's labels ask for a run on every FINISHED run of its upstreams. */
export const alwaysCascades = (labels: readonly string[]): boolean =>
  labels.some((l) => l.trim() === CASCADE_ALWAYS_LABEL);

/**
 * A stack's outputs as one read saw them: a digest of every output's id and (visible) value,
 * and the ids of the sensitive outputs whose value the API does not show.
 */
export interface OutputsRead {
  digest: string;
  /** Sensitive outputs: their value is hidden, so equal digests prove nothing about them. */
  hidden: string[];
}

/** A FINISHED tracked run as the rule reads it. */
export interface FinishedRun {
  runId: string;
  /** Its delta; null or absent when no source said. */
  delta?: RunDelta | null;
  /** How the stack's previous run ended; null when no earlier run is known. */
  previousEnd: string | null;
  /** The outputs' digest after the stack's previous FINISHED run; null when not known. */
  baseline: string | null;
}

/** The rule's answer, with the reason in words (the views and logs show it). */
export interface CutoffVerdict {
  change: boolean;
  reason: string;
}

/** Previous run ends after which the next FINISHED run is always a change (they may have applied part of one). */
const PARTIAL_ENDS: ReadonlySet<string> = new Set(['FAILED', 'STOPPED', 'CANCELED', 'UNKNOWN']);

/**
 * What the run is before its outputs are read: a change whatever they say (with why), or null
 * when the outputs decide.
 */
export function verdictBeforeRead(run: FinishedRun): CutoffVerdict | null {
  const { delta } = run;
  if (delta == null) return { change: true, reason: `run ${run.runId} gave no delta` };
  if (delta.added + delta.changed + delta.deleted > 0) {
    return {
      change: true,
      reason: `run ${run.runId} added ${delta.added}, changed ${delta.changed}, deleted ${delta.deleted}`,
    };
  }
  if (run.previousEnd === null) {
    return { change: true, reason: `no earlier run of the stack is known before run ${run.runId}` };
  }
  if (PARTIAL_ENDS.has(run.previousEnd)) {
    return {
      change: true,
      reason: `the run before ${run.runId} ended ${run.previousEnd} and may have applied part of a change`,
    };
  }
  if (run.baseline === null) {
    return { change: true, reason: `the outputs before run ${run.runId} were never read` };
  }
  return null;
}

/** The verdict once the outputs after the run are read; `outputs` null: the read failed. */
export function cutoffVerdict(run: FinishedRun, outputs: OutputsRead | null): CutoffVerdict {
  const before = verdictBeforeRead(run);
  if (before) return before;
  if (outputs === null)
    return { change: true, reason: `the outputs after run ${run.runId} could not be read` };
  if (outputs.hidden.length > 0) {
    const names = outputs.hidden.join(', ');
    return {
      change: true,
      reason: `sensitive output${outputs.hidden.length > 1 ? 's' : ''} ${names}: the value is hidden`,
    };
  }
  if (outputs.digest !== run.baseline)
    return { change: true, reason: `run ${run.runId} changed the outputs` };
  return { change: false, reason: `run ${run.runId} changed nothing` };
}
