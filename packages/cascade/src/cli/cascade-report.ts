import type { CascadeStatus, StackStatus } from '../cascade-contract.js';

/** Exit codes of commands that follow a cascade (2 is reserved for usage errors). */
export const EXIT_SUCCESS = 0;
export const EXIT_CASCADE_FAILED = 1;
export const EXIT_STACKS_FAILED_OR_SKIPPED = 3;

export interface CascadeTally {
  total: number;
  pending: number;
  triggered: number;
  finished: number;
  failed: number;
  skipped: number;
}

export function tally(status: CascadeStatus): CascadeTally {
  const t: CascadeTally = { total: 0, pending: 0, triggered: 0, finished: 0, failed: 0, skipped: 0 };
  for (const s of Object.values(status.stacks)) {
    t.total += 1;
    t[s.state] += 1;
  }
  return t;
}

export const isCascadeOver = (status: CascadeStatus): boolean =>
  status.phase === 'completed' || status.phase === 'failed' || status.phase === 'canceled';

/** 0: every stack finished; 1: the cascade itself failed or was canceled; 3: stacks failed or were skipped. */
export function exitCodeOf(status: CascadeStatus): number {
  if (status.phase === 'failed' || status.phase === 'canceled') return EXIT_CASCADE_FAILED;
  const t = tally(status);
  return t.failed + t.skipped > 0 ? EXIT_STACKS_FAILED_OR_SKIPPED : EXIT_SUCCESS;
}

/** One line for a stack, e.g. `database  finished  run 01H... https://...`. */
export function describeStack(stackId: string, s: StackStatus): string {
  switch (s.state) {
    case 'pending':
      return `${stackId}: pending${s.waitingFor.length ? ` (waiting for ${s.waitingFor.join(', ')})` : ''}`;
    case 'triggered':
      return `${stackId}: ${s.runState.toLowerCase()} (run ${s.runId}) ${s.runUrl}`;
    case 'finished':
      return `${stackId}: finished (run ${s.runId}) ${s.runUrl}`;
    case 'failed':
      return `${stackId}: FAILED, run ${s.runId} ended ${s.runState} ${s.runUrl}`;
    case 'skipped':
      return `${stackId}: skipped (${s.reason})`;
  }
}

/** A progress summary fitting one terminal line. */
export function progressLine(status: CascadeStatus): string {
  const t = tally(status);
  const done = t.finished + t.failed + t.skipped;
  return (
    `[${status.phase}] ${done}/${t.total} done: ${t.finished} finished, ${t.triggered} running, ` +
    `${t.pending} pending, ${t.failed} failed, ${t.skipped} skipped`
  );
}

/** The full human-readable report of a cascade. */
export function describeCascade(workflowId: string, status: CascadeStatus): string {
  const lines = [
    `cascade ${workflowId} from stack ${status.rootStackId} (run ${status.rootRunId}): ${status.phase}`,
  ];
  if (status.error) lines.push(`  error: ${status.error}`);
  for (const [id, s] of Object.entries(status.stacks)) lines.push(`  ${describeStack(id, s)}`);
  for (const u of status.unknownDependencies) {
    lines.push(`  warning: ${u.stackId} depends on unknown stack ${u.dependsOn}`);
  }
  lines.push(`  ${progressLine(status)}`);
  return lines.join('\n');
}

/**
 * Stack lines that changed between two snapshots (plain output when stdout is not a TTY:
 * one line per change, nothing repeated).
 */
export function changedStackLines(before: CascadeStatus | null, after: CascadeStatus): string[] {
  const out: string[] = [];
  for (const [id, s] of Object.entries(after.stacks)) {
    const prev = before?.stacks[id];
    if (!prev || JSON.stringify(prev) !== JSON.stringify(s)) out.push(describeStack(id, s));
  }
  // The phase last: "completed" reads after the stack lines that completed it.
  if (!before || before.phase !== after.phase) {
    out.push(`cascade ${after.phase}${after.error ? `: ${after.error}` : ''}`);
  }
  return out;
}
