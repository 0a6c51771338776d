/**
 * Whether a run serves a need: the one rule "once per burst" rests on. A run created after the
 * latest change that reached its stack includes that change. Both times are bounds on the safe
 * side: `need.latest` is at or after the change (sources with whole seconds round up), the
 * creation time at or before the run's (whole seconds round down, unless its QUEUED delivery
 * gave milliseconds). So a doubtful case costs one run too many, never an apply against a stale
 * upstream.
 */

/** What the coordinator knows of when a run was created. */
export interface RunCreation {
  /** Unix ms at or before the run's creation; null (or absent) when unknown. */
  createdMs?: number | null;
}

/** The changes a stack has not run since, as far as `servesNeed` reads them. */
export interface NeedSince {
  /** Unix ms of the latest change that reached the stack. */
  latest: number;
}

/** Whether `run` was certainly created after every change of `need`, so one run serves it. */
export function servesNeed(run: RunCreation, need: NeedSince): boolean {
  return run.createdMs != null && run.createdMs > need.latest;
}

/**
 * The later of two lower bounds of a run's creation (ms), null when neither is known: what two
 * sources (its creation second, a QUEUED delivery's milliseconds, an earlier delivery) tell.
 */
export function laterCreation(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null) return b ?? null;
  return b == null ? a : Math.max(a, b);
}

/** A creation second (Spacelift's `createdAt`) as a lower bound in ms. */
export function secondsToMs(seconds: number | null | undefined): number | null {
  return seconds == null ? null : seconds * 1000;
}
