/**
 * The cascade contract checked from Spacelift's side only: which stacks got runs, how many, and
 * when they were created and ended relative to their upstreams' runs. No workflow internals, so
 * the check holds whatever orchestrates the cascade (one workflow per cascade today, one
 * coordinator per estate after the rewrite). Pure: the caller records the runs.
 *
 * Scope today: changes are sequential, each landing after the previous one's cascade ended, so
 * every run belongs to the window of the last change created before it. Overlapping changes
 * need the "once per burst" reading of design.md (a stack may serve several changes with one
 * run, and gets exactly one more when a change lands while its run is in progress); see
 * `checkCascadeContract`'s TODO for where that goes.
 */

/** One run of a stack as Spacelift recorded it; times in ms. */
export interface StackRun {
  runId: string;
  stackId: string;
  createdAt: number;
  /** When it reached a terminal state; null while it has not. */
  endedAt: number | null;
  /** The terminal state (FINISHED, FAILED...), null while running. */
  endState: string | null;
}

/** A change: a tracked run of `stackId` that someone else started (a push). */
export interface Change {
  stackId: string;
  runId: string;
}

export type Violation =
  /** A stack downstream of the change got no run for it. */
  | { kind: 'missing'; change: number; stackId: string }
  /** More than one run of a stack for one change. */
  | { kind: 'duplicate'; change: number; stackId: string; runIds: string[] }
  /** A run created while a run of an upstream (transitively) that this change concerns was queued or in progress, or before that upstream's run. */
  | {
      kind: 'order';
      change: number;
      stackId: string;
      runId: string;
      upstream: string;
      upstreamRunId: string;
      why: 'upstream in progress' | 'upstream ran later';
    }
  /** A stack that is not downstream of the change got a run in its window. */
  | { kind: 'unexpected'; change: number; stackId: string; runId: string }
  /** A run that never ended (stuck), or ended otherwise than FINISHED. */
  | { kind: 'not-finished'; stackId: string; runId: string; endState: string | null };

export interface ChangeFigures {
  stackId: string;
  /** Stacks downstream of the change (the root excluded). */
  expected: number;
  /** Runs created in the change's window (the root's own run excluded). */
  runs: number;
  /** From the change's run created to the last run of its window ended (ms). */
  durationMs: number | null;
}

export interface ContractReport {
  violations: Violation[];
  changes: ChangeFigures[];
}

/** Every stack downstream of `stackId` (transitively), itself excluded. */
export function downstreamOf(
  upstreams: ReadonlyMap<string, readonly string[]>,
  stackId: string,
): Set<string> {
  const downstreams = new Map<string, string[]>();
  for (const [stack, ups] of upstreams) {
    for (const up of ups) downstreams.set(up, [...(downstreams.get(up) ?? []), stack]);
  }
  const seen = new Set<string>();
  const queue = [stackId];
  while (queue.length > 0) {
    for (const next of downstreams.get(queue.pop()!) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  seen.delete(stackId);
  return seen;
}

/** Every stack upstream of `stackId` (transitively), itself excluded. */
function upstreamOf(upstreams: ReadonlyMap<string, readonly string[]>, stackId: string): Set<string> {
  const seen = new Set<string>();
  const queue = [...(upstreams.get(stackId) ?? [])];
  while (queue.length > 0) {
    const next = queue.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...(upstreams.get(next) ?? []));
  }
  return seen;
}

/**
 * Checks sequential changes against the contract: for each change, every stack downstream of
 * it ran exactly once, each run created only once every upstream run of that change had ended,
 * nothing else ran, and every run ended FINISHED (the simulator's stacks all succeed).
 *
 * @param upstreams stack id -> the ids it declares `dependsOn:` (direct).
 * @param changes in the order they landed; each change's window runs until the next one's run.
 * @param runs every run of every stack, the changes' own runs included.
 */
export function checkCascadeContract(
  upstreams: ReadonlyMap<string, readonly string[]>,
  changes: readonly Change[],
  runs: readonly StackRun[],
): ContractReport {
  const violations: Violation[] = [];
  const figures: ChangeFigures[] = [];
  const byId = new Map(runs.map((r) => [r.runId, r]));
  const starts = changes.map((c) => {
    const run = byId.get(c.runId);
    if (!run) throw new Error(`the run ${c.runId} of change ${c.stackId} is not among the runs`);
    return run.createdAt;
  });

  for (const run of runs) {
    if (run.endState !== 'FINISHED') {
      violations.push({
        kind: 'not-finished',
        stackId: run.stackId,
        runId: run.runId,
        endState: run.endState,
      });
    }
  }

  // TODO(overlapping changes): with the estate coordinator, attribute runs to the needs they
  // serve instead of to windows: a stack's run serves every change upstream of it that finished
  // before the run was created; check one run after the last such change, at most one more per
  // change landing while a run is in progress, and the same ordering rule below.
  changes.forEach((change, i) => {
    const from = starts[i]!;
    const until = starts[i + 1] ?? Infinity;
    const inWindow = runs.filter(
      (r) => r.runId !== change.runId && r.createdAt >= from && r.createdAt < until,
    );
    const concerned = downstreamOf(upstreams, change.stackId);
    const runsOf = new Map<string, StackRun[]>();
    for (const run of inWindow) runsOf.set(run.stackId, [...(runsOf.get(run.stackId) ?? []), run]);
    runsOf.set(change.stackId, [byId.get(change.runId)!]);

    for (const stackId of concerned) {
      const own = runsOf.get(stackId) ?? [];
      if (own.length === 0) violations.push({ kind: 'missing', change: i, stackId });
      if (own.length > 1)
        violations.push({ kind: 'duplicate', change: i, stackId, runIds: own.map((r) => r.runId) });
      for (const run of own) {
        for (const upstream of upstreamOf(upstreams, stackId)) {
          if (upstream !== change.stackId && !concerned.has(upstream)) continue;
          for (const up of runsOf.get(upstream) ?? []) {
            const why =
              up.createdAt > run.createdAt
                ? 'upstream ran later'
                : up.endedAt === null || up.endedAt > run.createdAt
                  ? 'upstream in progress'
                  : null;
            if (why) {
              violations.push({
                kind: 'order',
                change: i,
                stackId,
                runId: run.runId,
                upstream,
                upstreamRunId: up.runId,
                why,
              });
            }
          }
        }
      }
    }
    for (const run of inWindow) {
      if (!concerned.has(run.stackId))
        violations.push({ kind: 'unexpected', change: i, stackId: run.stackId, runId: run.runId });
    }
    const ends = inWindow.map((r) => r.endedAt);
    figures.push({
      stackId: change.stackId,
      expected: concerned.size,
      runs: inWindow.length,
      durationMs: ends.length === 0 || ends.includes(null) ? null : Math.max(...(ends as number[])) - from,
    });
  });
  return { violations, changes: figures };
}
