/**
 * Read views of the estate model: each stack's state (waiting for whom, blocked by what, its
 * run), the whole estate, and each cascade with its progress. Pure functions of what the model
 * holds; nothing here changes it.
 */
import type {
  CutoffCounts,
  CascadeLinks,
  CascadeOptions,
  CascadePhase,
  CascadeSummary,
  CascadeView,
  EstateView,
  StackState,
  StackView,
} from '../cascade-contract.js';
import { fromNodes } from '../graph/dependency-graph.js';
import type { CascadeRecords } from './cascade-records.js';
import { APPROVAL_LABEL } from '../graph/dependency-graph.js';
import type { CascadeRecord, LiveRun, ModelRules, Need, StackEntry, UpToDate } from './estate-records.js';
import { windowOf, type Hold, type OperatorControls } from './operator-controls.js';
import { AWAITING_CONFIRMATION, isTerminal, QUEUED_STATES, SUCCESS_STATE } from './run-states.js';
import { refusedTriggerReason, refusedUpstreamReason } from './trigger-refusal.js';

/** Every state a stack can be shown in. */
export const STACK_STATES: readonly StackState[] = [
  'idle',
  'waiting',
  'blocked',
  'cyclic',
  'triggering',
  'queued',
  'running',
  'awaiting-confirmation',
  'finished',
  'failed',
  'canceled',
  'held',
  'deciding',
  'up-to-date',
];

/** What the views read of the model. */
export interface EstateReading {
  readonly options: CascadeOptions;
  readonly stacks: ReadonlyMap<string, StackEntry>;
  readonly cascades: CascadeRecords;
  /** Stacks that hold their downstream back, or have an upstream that does. */
  readonly dirty: ReadonlySet<string>;
  /** Stacks that cannot move without a person, or are below one. */
  readonly stuck: ReadonlySet<string>;
  /** The freeze (and what else operators decided) in force. */
  readonly controls: OperatorControls;
  /** The rules the model decides by (approvals are read only where they hold). */
  readonly rules: ModelRules;
  /** Early cutoff: on or off, and what it counted. */
  readonly cutoff: CutoffCounts;
  /** A stack on a cycle -> the cycle, described. */
  readonly cycleOf: ReadonlyMap<string, string>;
  readonly cycles: string[][];
  readonly graphReadAt: number | null;
  /** The coordinator's time now (ms): confirmation time-outs are measured against it. */
  readonly clock: number;
}

/** One stack's state. */
export function stackView(estate: EstateReading, stackId: string): StackView {
  const e = estate.stacks.get(stackId);
  if (!e) return { state: 'idle' };
  const run = e.runs.find((r) => r.own) ?? e.runs[0];
  const overdue = run ? overdueConfirmation(estate, run) : null;
  if (overdue) return { state: 'blocked', blockedBy: stackId, reason: overdue };
  if (run) {
    const state = QUEUED_STATES.has(run.state)
      ? 'queued'
      : run.state === AWAITING_CONFIRMATION
        ? 'awaiting-confirmation'
        : 'running';
    return { state, runId: run.id, runUrl: runUrl(estate, stackId, run.id), runState: run.state };
  }
  if (e.triggering) return { state: 'triggering' };
  // Early cutoff: its outputs decide whether its run changed anything; its dependents wait.
  if (e.reading?.deciding && !e.need) return decidingView(estate, stackId, e.reading.runId);
  if (e.need) {
    const cycle = estate.cycleOf.get(stackId);
    if (cycle) return { state: 'cyclic', cycle };
    if (e.triggerError) {
      const reason = refusedTriggerReason(stackId, e.triggerError, estate.options.reconcileIntervalMs);
      return { state: 'blocked', blockedBy: stackId, reason };
    }
    const rejected = rejection(estate, stackId, e);
    if (rejected) return { state: 'blocked', blockedBy: stackId, reason: rejected };
    const blocked = blocker(estate, stackId);
    if (blocked) return { state: 'blocked', ...blocked };
    const waitingFor = e.ups.filter((u) => estate.dirty.has(u));
    const held = waitingFor.length === 0 ? ruleHold(estate, stackId, e) : null;
    if (held) return { state: 'held', ...held };
    return { state: 'waiting', waitingFor };
  }
  if (e.canceledBy !== undefined) {
    return {
      state: 'canceled',
      reason: `cascade ${e.canceledBy} was canceled before this stack was triggered`,
    };
  }
  if (e.failed) {
    return {
      state: 'failed',
      runId: e.failed.runId,
      runUrl: runUrl(estate, stackId, e.failed.runId),
      runState: e.failed.state,
    };
  }
  if (e.upToDate) return upToDateView(estate, stackId, e.upToDate);
  if (e.last?.state === SUCCESS_STATE) return ranView(estate, stackId, e.last);
  return { state: 'idle' };
}

/** Every stack's state, the cycles, the unknown dependencies and the cascades under way. */
export function estateView(estate: EstateReading): EstateView {
  const stacks: Record<string, StackView> = {};
  for (const id of estate.stacks.keys()) stacks[id] = stackView(estate, id);
  const graph = fromNodes([...estate.stacks].map(([id, e]) => ({ id, dependsOn: e.ups })));
  const activeCascades: string[] = [];
  const cascadeCounts = { running: 0, held: 0, blocked: 0 };
  for (const c of estate.cascades.values()) {
    const { phase } = cascadePhase(estate, c);
    if (phase === 'running' || phase === 'held') {
      activeCascades.push(c.id);
      cascadeCounts[phase]++;
    } else if (phase === 'blocked' && c.open > 0) cascadeCounts.blocked++;
  }
  // '' is the estate's window; the named ones show on the stacks they hold.
  const estateWindow = estate.options.changeWindows
    ? estate.controls.windowStates(estate.clock)['']
    : undefined;
  return {
    stacks,
    cycles: estate.cycles,
    unknownDependencies: [...graph.unknownDependencies],
    graphReadAt: estate.graphReadAt,
    activeCascades,
    cascadeCounts,
    freeze: estate.controls.freeze,
    cutoff: estate.cutoff,
    ...(estateWindow && { window: estateWindow }),
  };
}

/** One cascade by its id (or the id of one merged into it): each stack and its phase. */
export function cascadeView(estate: EstateReading, id: string): CascadeView | null {
  const c = estate.cascades.find(id);
  if (!c) return null;
  const stacks: CascadeView['stacks'] = {};
  for (const [stackId, record] of Object.entries(c.stacks)) {
    let view: StackView;
    if (record.canceled) {
      view = { state: 'canceled', reason: record.canceled };
    } else if (openIn(estate, stackId, c.id)) {
      view = stackView(estate, stackId);
      // The stack's newest run may serve a newer need: show this cascade's own.
      if (
        view.state === 'finished' ||
        view.state === 'failed' ||
        view.state === 'idle' ||
        view.state === 'canceled'
      )
        view = { state: 'waiting', waitingFor: [] };
    } else if (record.blocked) {
      // Ended blocked, taken over since by a later cascade: the stack as this one left it.
      view = { state: 'blocked', ...record.blocked };
    } else {
      const last = record.runs[record.runs.length - 1];
      const upToDate = c.upToDate?.[stackId];
      const reading = estate.stacks.get(stackId)?.reading;
      if (upToDate && (!last || upToDate.at >= last.at)) view = upToDateView(estate, stackId, upToDate);
      else if (last && reading?.deciding && reading.runId === last.runId)
        view = decidingView(estate, stackId, last.runId);
      else view = last ? ranView(estate, stackId, last) : { state: 'idle' };
    }
    stacks[stackId] = { ...view, runs: record.runs, since: record.since };
  }
  return {
    id: c.id,
    ...cascadePhase(estate, c),
    startedAt: c.startedAt,
    endedAt: c.endedAt,
    changes: c.changes,
    ...links(c),
    ...(c.paused && { paused: c.paused }),
    stacks,
  };
}

/** Cascades under way first (running, then held), then blocked ones, then newest first; at most `limit`. */
export function cascadeList(estate: EstateReading, limit: number): CascadeSummary[] {
  const views = [...estate.cascades.values()].map((c) => cascadeView(estate, c.id)!);
  const rank: Record<CascadePhase, number> = { running: 0, held: 1, blocked: 2, completed: 3, canceled: 3 };
  views.sort((a, b) => rank[a.phase] - rank[b.phase] || b.startedAt - a.startedAt);
  return views.slice(0, limit).map((v) => {
    const counts = Object.fromEntries(STACK_STATES.map((s) => [s, 0])) as Record<StackState, number>;
    for (const s of Object.values(v.stacks)) counts[s.state]++;
    return {
      id: v.id,
      phase: v.phase,
      heldOn: v.heldOn,
      startedAt: v.startedAt,
      endedAt: v.endedAt,
      roots: [...new Set(v.changes.map((c) => c.stackId))],
      joinedBy: [...new Set(v.changes.filter((c) => c.joined).map((c) => c.stackId))],
      resumes: v.resumes,
      resumedBy: v.resumedBy,
      merged: v.merged,
      counts,
      total: Object.keys(v.stacks).length,
    };
  });
}

function links(c: CascadeRecord): CascadeLinks {
  return { resumes: c.resumes ?? [], resumedBy: c.resumedBy ?? [], merged: c.merged ?? [] };
}

/**
 * A cascade's phase, and what it waits on when held. Ended: canceled, completed, or blocked (it
 * left stacks blocked). Under way: running while something of it is in flight, ready to run or
 * waiting only for things that move; held when all of that waits on a person or a rule.
 */
function cascadePhase(estate: EstateReading, c: CascadeRecord): { phase: CascadePhase; heldOn: string[] } {
  // Canceled at once: runs in flight go on in Spacelift, but nothing more is triggered.
  if (c.canceled) return { phase: 'canceled', heldOn: [] };
  if (c.endedAt !== null) {
    const blocked = Object.values(c.stacks).some((s) => s.blocked);
    return { phase: blocked ? 'blocked' : 'completed', heldOn: [] };
  }
  const holds = new Set<string>();
  const memo = new Map<string, string | null>();
  let moving = false;
  for (const stackId of Object.keys(c.stacks)) {
    if (!openIn(estate, stackId, c.id)) continue;
    const motion = motionOf(estate, stackId, c.id, memo);
    if (motion === 'moving') {
      moving = true;
      break;
    }
    if (motion !== 'stuck') holds.add(motion.held);
  }
  if (moving) return { phase: 'running', heldOn: [] };
  // All stuck: it ends blocked at the model's next step (or never did, before the lifecycle rule).
  return holds.size > 0 ? { phase: 'held', heldOn: [...holds] } : { phase: 'blocked', heldOn: [] };
}

/** Whether an open stack of cascade `cascadeId` moves, is stuck, or is held (by what, in words). */
function motionOf(
  estate: EstateReading,
  stackId: string,
  cascadeId: string,
  memo: Map<string, string | null>,
): 'moving' | 'stuck' | { held: string } {
  const e = estate.stacks.get(stackId)!;
  const mine = (n: Need | null) => n !== null && estate.cascades.resolve(n.cascade) === cascadeId;
  if (mine(e.triggering)) return 'moving';
  const runs = e.runs.filter((r) => mine(r.serving));
  if (runs.some((r) => r.state !== AWAITING_CONFIRMATION)) return 'moving';
  if (estate.stuck.has(stackId) && runs.length === 0) return 'stuck';
  const held = holdOf(estate, stackId, e) ?? (waits(estate, e) ? heldAbove(estate, stackId, memo) : null);
  return held === null ? 'moving' : { held };
}

/** Whether a stack waits for an upstream still changing (or held, or blocked). */
const waits = (estate: EstateReading, e: StackEntry): boolean => e.ups.some((u) => estate.dirty.has(u));

/**
 * What holds a stack itself, in words (a run awaiting confirmation, a trigger tried again, an
 * operators' rule on a stack that could run); null when nothing.
 */
function holdOf(estate: EstateReading, stackId: string, e: StackEntry): string | null {
  const unconfirmed = e.runs.find((r) => r.state === AWAITING_CONFIRMATION);
  if (unconfirmed) return `run ${unconfirmed.id} of ${stackId} awaits confirmation in Spacelift`;
  if (e.need && e.triggerError)
    return `${stackId}: ${refusedTriggerReason(stackId, e.triggerError, estate.options.reconcileIntervalMs)}`;
  if (e.need && !waits(estate, e)) return ruleHold(estate, stackId, e)?.reason ?? null;
  return null;
}

/**
 * The operators' rule that holds a stack that could run now (a freeze, a pause, a pending
 * approval, a closed change window), or null.
 */
function ruleHold(estate: EstateReading, stackId: string, e: StackEntry): Hold | null {
  const frozen = estate.controls.estateHold();
  if (frozen || !e.need) return frozen;
  const cascade = estate.cascades.find(e.need.cascade);
  if (cascade?.paused) {
    return {
      hold: 'pause',
      cascadeId: cascade.id,
      reason: `cascade ${cascade.id} paused: ${cascade.paused.reason}; spacelift-cascade cascades resume ${cascade.id}`,
      heldSince: cascade.paused.since,
    };
  }
  if (cascade && gated(estate, e) && !cascade.decisions?.[stackId]) return approvalHold(cascade, stackId);
  const configured = estate.options.changeWindows;
  const window = configured ? windowOf(e.cascadeLabels, configured) : null;
  return window === null ? null : estate.controls.windowHold(window, configured!, estate.clock);
}

/** "awaiting approval in <cascade>" since it waited. */
function approvalHold(cascade: CascadeRecord, stackId: string): Hold {
  return {
    hold: 'approval',
    cascadeId: cascade.id,
    reason: `awaiting approval in ${cascade.id}: spacelift-cascade cascades approve ${cascade.id} ${stackId}`,
    heldSince: cascade.awaiting?.[stackId] ?? cascade.stacks[stackId]?.since ?? cascade.startedAt,
  };
}

/** Whether the stack waits for a person's approval in each cascade. */
const gated = (estate: EstateReading, e: StackEntry): boolean =>
  estate.rules.approvals && (e.cascadeLabels?.includes(APPROVAL_LABEL) ?? false);

/** "rejected by alice: not during the sale" when the stack's need was rejected in its cascade; else null. */
function rejection(estate: EstateReading, stackId: string, e: StackEntry): string | null {
  if (!e.need || !gated(estate, e)) return null;
  const decision = estate.cascades.find(e.need.cascade)?.decisions?.[stackId];
  if (decision?.verdict !== 'rejected') return null;
  return `rejected by ${decision.by}${decision.note ? `: ${decision.note}` : ''}`;
}

/** The first hold among the dirty stacks above `stackId` (it cannot run before that hold lifts). */
function heldAbove(estate: EstateReading, stackId: string, memo: Map<string, string | null>): string | null {
  const known = memo.get(stackId);
  if (known !== undefined) return known;
  let found: string | null = null;
  const seen = new Set<string>([stackId]);
  const queue = [...(estate.stacks.get(stackId)?.ups ?? [])];
  for (let i = 0; i < queue.length && found === null; i++) {
    const id = queue[i]!;
    if (seen.has(id) || !estate.dirty.has(id)) continue;
    seen.add(id);
    const e = estate.stacks.get(id);
    if (!e) continue;
    found = memo.get(id) ?? holdOf(estate, id, e);
    queue.push(...e.ups);
  }
  memo.set(stackId, found);
  return found;
}

/** A cascade by its id, or by the id of a run that started it or that it caused. */
export function findCascade(estate: EstateReading, idOrRunId: string): CascadeView | null {
  const { cascades } = estate;
  const direct = cascades.idOf(idOrRunId) ?? cascades.idOf(`cascade-${idOrRunId}`);
  if (direct) return cascadeView(estate, direct);
  for (const c of cascades.values()) {
    const has =
      c.changes.some((ch) => ch.runId === idOrRunId) ||
      Object.values(c.stacks).some((s) => s.runs.some((r) => r.runId === idOrRunId));
    if (has) return cascadeView(estate, c.id);
  }
  return null;
}

/** A run's page: `<runUrlBase>/stack/<stack id>/run/<run id>`. */
export function runLink(runUrlBase: string, stackId: string, runId: string): string {
  return `${runUrlBase.replace(/\/+$/, '')}/stack/${stackId}/run/${runId}`;
}

function runUrl(estate: EstateReading, stackId: string, runId: string): string {
  return runLink(estate.options.runUrlBase, stackId, runId);
}

/** A stack whose FINISHED run waits for its outputs read (early cutoff). */
function decidingView(estate: EstateReading, stackId: string, runId: string): StackView {
  return { state: 'deciding', runId, runUrl: runUrl(estate, stackId, runId) };
}

/** "up to date: run <id> changed nothing", its own run's (with what it spared) or an upstream's. */
function upToDateView(estate: EstateReading, stackId: string, mark: UpToDate): StackView {
  const own = mark.stackId === stackId;
  return {
    state: 'up-to-date',
    runId: mark.runId,
    runUrl: runUrl(estate, mark.stackId, mark.runId),
    reason: `${own ? '' : `upstream ${mark.stackId}: `}run ${mark.runId} changed nothing`,
    spared: own ? (mark.spared ?? []) : [],
  };
}

/** A stack shown by a run it had: finished, failed, or still running. */
function ranView(estate: EstateReading, stackId: string, run: { runId: string; state: string }): StackView {
  const link = { runId: run.runId, runUrl: runUrl(estate, stackId, run.runId) };
  if (run.state === SUCCESS_STATE) return { state: 'finished', ...link };
  if (isTerminal(run.state)) return { state: 'failed', ...link, runState: run.state };
  return { state: 'running', ...link, runState: run.state };
}

/** Why a stack that needs a run cannot go: the first failed, cyclic or untriggerable stack above it. */
function blocker(estate: EstateReading, stackId: string): { blockedBy: string; reason: string } | null {
  const seen = new Set<string>([stackId]);
  const queue = [...(estate.stacks.get(stackId)?.ups ?? [])];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    if (seen.has(id)) continue;
    seen.add(id);
    const e = estate.stacks.get(id);
    if (!e || !estate.dirty.has(id)) continue;
    if (e.failed && !e.need && e.runs.length === 0 && !e.triggering) {
      return {
        blockedBy: id,
        reason: `upstream ${id} failed: run ${e.failed.runId} ended ${e.failed.state}`,
      };
    }
    if (estate.cycleOf.has(id) && e.need) {
      return { blockedBy: id, reason: `upstream ${id} is on a cycle: ${estate.cycleOf.get(id)}` };
    }
    const rejected = rejection(estate, id, e);
    if (rejected) return { blockedBy: id, reason: `upstream ${id} was ${rejected}` };
    if (e.triggerError && e.need) {
      return {
        blockedBy: id,
        reason: refusedUpstreamReason(id, e.triggerError, estate.options.reconcileIntervalMs),
      };
    }
    const overdue = e.runs.map((r) => overdueConfirmation(estate, r)).find((why) => why !== null);
    if (overdue) return { blockedBy: id, reason: `upstream ${id}: ${overdue}` };
    queue.push(...e.ups);
  }
  return null;
}

/** Why a run awaiting confirmation too long blocks, or null. */
function overdueConfirmation(estate: EstateReading, run: LiveRun): string | null {
  const timeout = estate.options.confirmationTimeoutMs ?? null;
  if (
    timeout === null ||
    run.unconfirmedSince === undefined ||
    estate.clock - run.unconfirmedSince <= timeout
  ) {
    return null;
  }
  return `run ${run.id} has awaited confirmation for more than ${Math.round(timeout / 1000)} s: confirm or discard it in Spacelift`;
}

/** Whether a stack's current need, trigger or run belongs to `cascadeId`. */
function openIn(estate: EstateReading, stackId: string, cascadeId: string): boolean {
  const e = estate.stacks.get(stackId);
  if (!e) return false;
  const mine = (n: Need | null) => n !== null && estate.cascades.resolve(n.cascade) === cascadeId;
  return mine(e.need) || mine(e.triggering) || e.runs.some((r) => mine(r.serving));
}
