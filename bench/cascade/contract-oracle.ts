/**
 * The cascade contract checked on overlapping changes from Spacelift's side only (the
 * simulator's run records), for the burst case of the cascade bench. Pure: the caller records
 * the runs. Definitions (the bench's JSON repeats them):
 *
 * - A **change** of stack U is a run of U that ended FINISHED, at its end time.
 * - A stack S **needs** a run at every change of any of its transitive upstreams.
 * - **Fewest allowed** runs of S: the runs others started (forced: the bench's pushes), plus one
 *   when S's last need came after the creation of every forced run (that need can only be
 *   served by a run created after it, and one such run serves every earlier need too). It is
 *   an offline lower bound: it knows the future, the coordinator does not.
 * - **Started in flight**: a run the cascade triggered, created while some transitive upstream
 *   had a run created but not ended (the waiting rule says: never).
 * - **Redundant**: a run the cascade triggered although no need came since the stack's
 *   previous run (of any source) was created (the once-per-burst rule says: never). Spacelift
 *   gives run times in whole seconds, so the coordinator counts a run only when it was created
 *   in a later second than the need it would serve (design.md: one run too many, never a stale
 *   apply); a redundant run after such a run is `secondsRule`. That holds for its own runs too
 *   until their QUEUED delivery gives the milliseconds: a need landing first (a receiver killed,
 *   deliveries out of order) is judged on the second.
 * - **Unserved**: a stack whose last need has no run of it created after that need.
 */

/** One run as Spacelift recorded it; times in ms. */
export interface OracleRun {
  runId: string;
  stackId: string;
  createdAt: number;
  /** When it reached a terminal state; null while it has not. */
  endedAt: number | null;
  endState: string | null;
  /** true when the cascade triggered it. */
  own: boolean;
}

export interface StartedInFlight {
  runId: string;
  stackId: string;
  upstream: string;
  upstreamRunId: string;
  /** How long before the run the upstream's run was created (ms). */
  upstreamLeadMs: number;
}

export interface StackCount {
  stackId: string;
  runs: number;
  fewest: number;
}

export interface OracleReport {
  runsMade: number;
  fewestAllowed: number;
  /** Per stack, runs made minus fewest allowed -> how many stacks. */
  extraHistogram: Record<string, number>;
  /** Stacks with more runs than the fewest allowed. */
  overRun: StackCount[];
  /** Stacks with fewer runs than the fewest allowed (impossible unless a need went unserved). */
  underRun: StackCount[];
  startedInFlight: StartedInFlight[];
  redundant: Array<{
    runId: string;
    stackId: string;
    secondsRule: boolean;
    previousOwn: boolean | null;
    needLeadMs: number | null;
  }>;
  unserved: string[];
  /** Runs that ended otherwise than FINISHED, or never ended. */
  notFinished: string[];
}

/** Transitive upstreams of every stack (memoised; cycles are not expected in bench estates). */
function transitiveUpstreams(upstreams: ReadonlyMap<string, readonly string[]>): Map<string, Set<string>> {
  const memo = new Map<string, Set<string>>();
  const of = (id: string): Set<string> => {
    const known = memo.get(id);
    if (known) return known;
    const all = new Set<string>();
    memo.set(id, all);
    for (const up of upstreams.get(id) ?? []) {
      all.add(up);
      for (const u of of(up)) all.add(u);
    }
    return all;
  };
  for (const id of upstreams.keys()) of(id);
  return memo;
}

/**
 * @param upstreams stack id -> the ids it declares as direct upstreams; every stack is a key.
 * @param runs every tracked run of the estate in the observed period, pushes included.
 */
export function checkOverlappingChanges(
  upstreams: ReadonlyMap<string, readonly string[]>,
  runs: readonly OracleRun[],
): OracleReport {
  const ups = transitiveUpstreams(upstreams);
  const runsOf = new Map<string, OracleRun[]>();
  for (const run of runs) runsOf.set(run.stackId, [...(runsOf.get(run.stackId) ?? []), run]);
  for (const list of runsOf.values()) list.sort((a, b) => a.createdAt - b.createdAt);
  const changesOf = (id: string) =>
    (runsOf.get(id) ?? []).filter((r) => r.endState === 'FINISHED').map((r) => r.endedAt!);

  const report: OracleReport = {
    runsMade: 0,
    fewestAllowed: 0,
    extraHistogram: {},
    overRun: [],
    underRun: [],
    startedInFlight: [],
    redundant: [],
    unserved: [],
    notFinished: runs.filter((r) => r.endState !== 'FINISHED').map((r) => r.runId),
  };
  for (const [stackId] of upstreams) {
    const mine = runsOf.get(stackId) ?? [];
    const needs = [...(ups.get(stackId) ?? [])].flatMap(changesOf).sort((a, b) => a - b);
    const lastNeed = needs.length > 0 ? needs[needs.length - 1]! : null;
    const forced = mine.filter((r) => !r.own);
    const fewest = forced.length + (lastNeed !== null && !forced.some((r) => r.createdAt > lastNeed) ? 1 : 0);
    report.runsMade += mine.length;
    report.fewestAllowed += fewest;
    const extra = String(mine.length - fewest);
    report.extraHistogram[extra] = (report.extraHistogram[extra] ?? 0) + 1;
    const count = { stackId, runs: mine.length, fewest };
    if (mine.length > fewest) report.overRun.push(count);
    if (mine.length < fewest) report.underRun.push(count);
    if (lastNeed !== null && !mine.some((r) => r.createdAt > lastNeed)) report.unserved.push(stackId);

    mine.forEach((run, i) => {
      if (!run.own) return;
      const previous = i === 0 ? null : mine[i - 1]!;
      const since = previous?.createdAt ?? -Infinity;
      if (!needs.some((n) => n > since && n < run.createdAt)) {
        const served = needs.filter((n) => n < since).pop();
        const secondsRule =
          previous !== null && served !== undefined && Math.floor(previous.createdAt / 1000) * 1000 <= served;
        report.redundant.push({
          runId: run.runId,
          stackId,
          secondsRule,
          previousOwn: previous?.own ?? null,
          // How long before the previous run's creation its latest need landed (small: the
          // coordinator heard of the change before it knew the run's creation to the ms).
          needLeadMs: previous !== null && served !== undefined ? previous.createdAt - served : null,
        });
      }
      for (const upstream of ups.get(stackId) ?? []) {
        for (const up of runsOf.get(upstream) ?? []) {
          if (up.createdAt <= run.createdAt && (up.endedAt === null || up.endedAt > run.createdAt)) {
            report.startedInFlight.push({
              runId: run.runId,
              stackId,
              upstream,
              upstreamRunId: up.runId,
              upstreamLeadMs: run.createdAt - up.createdAt,
            });
          }
        }
      }
    });
  }
  return report;
}
