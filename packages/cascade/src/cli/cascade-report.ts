import { ENDED_PHASES, type CascadeView, type StackState, type StackView } from '../cascade-contract.js';
import { STACK_STATES } from '../estate/estate-views.js';

/** Exit codes of commands that follow a cascade (2 is reserved for usage errors). */
export const EXIT_SUCCESS = 0;
export const EXIT_CASCADE_FAILED = 1;
const EXIT_STACKS_FAILED_OR_BLOCKED = 3;

export type CascadeTally = Record<StackState, number> & { total: number };

export function tally(view: CascadeView): CascadeTally {
  const t = Object.fromEntries([...STACK_STATES, 'total'].map((s) => [s, 0])) as CascadeTally;
  for (const s of Object.values(view.stacks)) {
    t.total += 1;
    t[s.state] += 1;
  }
  return t;
}

/** The cascade has ended: completed, canceled, or blocked (a held one goes on once what holds it lifts). */
export const isCascadeOver = (view: CascadeView): boolean => ENDED_PHASES.includes(view.phase);

/** 0: every stack finished; 1: the cascade was canceled; 3: stacks failed or are blocked. */
export function exitCodeOf(view: CascadeView): number {
  if (view.phase === 'canceled') return EXIT_CASCADE_FAILED;
  const t = tally(view);
  return t.failed + t.blocked + t.cyclic > 0 ? EXIT_STACKS_FAILED_OR_BLOCKED : EXIT_SUCCESS;
}

/**
 * A blocked stack in words. Its reason says what to do (see estate/trigger-refusal.ts): a stack
 * blocked by itself reads as its own state ("disabled in Spacelift: enable it, then …"), one
 * blocked from above says so ("blocked: upstream warehouse failed: …").
 */
const blockedWords = (stackId: string, s: { blockedBy: string; reason: string }): string =>
  s.blockedBy === stackId ? s.reason : `blocked: ${s.reason}`;

/** One line for a stack, e.g. `database: finished (run 01H...) https://...`. */
export function describeStack(stackId: string, s: StackView): string {
  switch (s.state) {
    case 'idle':
      return `${stackId}: idle`;
    case 'waiting':
      return `${stackId}: waiting${s.waitingFor.length ? ` for ${s.waitingFor.join(', ')}` : ''}`;
    case 'blocked':
      return `${stackId}: ${blockedWords(stackId, s)}`;
    case 'cyclic':
      return `${stackId}: on a cycle (${s.cycle}), never runs`;
    case 'triggering':
      return `${stackId}: triggering a run`;
    case 'queued':
    case 'running':
      return `${stackId}: ${s.state} (run ${s.runId}, ${s.runState}) ${s.runUrl}`;
    case 'awaiting-confirmation':
      return `${stackId}: awaiting confirmation (run ${s.runId}) ${s.runUrl}`;
    case 'finished':
      return `${stackId}: finished (run ${s.runId}) ${s.runUrl}`;
    case 'deciding':
      return `${stackId}: finished (run ${s.runId}), reading its outputs: did it change anything? ${s.runUrl}`;
    case 'up-to-date':
      return `${stackId}: up to date: ${s.reason}${s.spared.length ? `; spared ${s.spared.join(', ')}` : ''} ${s.runUrl}`;
    case 'failed':
      return `${stackId}: FAILED, run ${s.runId} ended ${s.runState} ${s.runUrl}`;
    case 'canceled':
      return `${stackId}: canceled (${s.reason})`;
    case 'held':
      return `${stackId}: held, ${s.reason}`;
  }
}

/** A progress summary fitting one terminal line. */
export function progressLine(view: CascadeView): string {
  const t = tally(view);
  const done = t.finished + t.failed + t.canceled + t['up-to-date'];
  const inFlight = t.triggering + t.queued + t.running + t['awaiting-confirmation'] + t.deciding;
  return (
    `[${view.phase}] ${done}/${t.total} done: ${t.finished} finished, ${inFlight} running, ` +
    `${t.waiting} waiting, ${t.failed} failed, ${t.blocked + t.cyclic} blocked` +
    (t.held > 0 ? `, ${t.held} held` : '') +
    (t['up-to-date'] > 0 ? `, ${t['up-to-date']} up to date` : '')
  );
}

/** The full human-readable report of a cascade. */
export function describeCascade(view: CascadeView): string {
  const roots = [...new Set(view.changes.map((c) => c.stackId))];
  const lines = [`cascade ${view.id} from ${roots.join(', ') || '?'}: ${view.phase}`];
  lines.push(...cascadeNotes(view).map((note) => `  ${note}`));
  for (const [id, s] of Object.entries(view.stacks)) {
    const runs = s.runs.length > 1 ? ` [${s.runs.length} runs]` : '';
    lines.push(`  ${describeStack(id, s)}${runs}`);
  }
  lines.push(`  ${progressLine(view)}`);
  return lines.join('\n');
}

/**
 * What a cascade says beside its stacks: what holds it, the changes that started and joined it
 * (each with its run), and the cascades it resumes, was resumed by and merged.
 */
function cascadeNotes(view: CascadeView): string[] {
  const notes = view.heldOn.map((on) => `held: ${on}`);
  view.changes.forEach((c, i) => {
    const how = c.joined ? 'joined it' : i === 0 ? 'started it' : 'started a cascade merged into it';
    notes.push(`${c.stackId}: changed (run ${c.runId}), ${how}`);
  });
  if (view.resumes.length > 0)
    notes.push(`resumes ${view.resumes.join(', ')} (took over what it left blocked)`);
  if (view.resumedBy.length > 0) notes.push(`resumed by ${view.resumedBy.join(', ')}`);
  if (view.merged.length > 0) notes.push(`merged ${view.merged.join(', ')} into it`);
  return notes;
}

const withoutRuns = ({ runs: _runs, since: _since, ...view }: CascadeView['stacks'][string]): StackView =>
  view;

/**
 * Stack lines that changed between two snapshots (plain output when stdout is not a TTY:
 * one line per change, nothing repeated).
 */
export function changedStackLines(before: CascadeView | null, after: CascadeView): string[] {
  const out: string[] = [];
  for (const [id, s] of Object.entries(after.stacks)) {
    const prev = before?.stacks[id];
    const now = withoutRuns(s);
    if (!prev || JSON.stringify(withoutRuns(prev)) !== JSON.stringify(now)) out.push(describeStack(id, now));
  }
  // The phase last: "completed" reads after the stack lines that completed it.
  if (!before || before.phase !== after.phase) out.push(`cascade ${after.phase}`);
  for (const on of after.heldOn) if (!before?.heldOn.includes(on)) out.push(`held: ${on}`);
  return out;
}
