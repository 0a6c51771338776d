/**
 * The cascade contract as a pure state machine over the whole estate, like a build system over
 * files: a finished change of a stack marks everything downstream of it as needing a run; a
 * stack is triggered when nothing upstream of it is still changing; all the needs that piled
 * up while it waited are served by one run. The coordinator workflow feeds it observations
 * and carries its snapshot through continue-as-new; tests drive it without Temporal.
 *
 * "Dirty" bookkeeping is incremental: a stack is dirty when it holds its downstream (needs a
 * run, has a tracked run in flight, is being triggered or has failed) or when one of its
 * upstreams is dirty. Each stack counts its dirty upstreams, so a change costs O(what it
 * reaches), not O(stacks x ancestors). Edges inside a cycle are left out of the count, so a
 * cycle cannot keep itself dirty.
 */
import type {
  CascadeChange,
  CascadeOptions,
  CascadePhase,
  CascadeRun,
  CascadeSummary,
  CascadeView,
  EstateView,
  RunObservation,
  StackState,
  StackView,
} from '../cascade-contract.js';
import {
  cyclicComponents,
  declaredUpstreams,
  describeCycle,
  findCycles,
  fromNodes,
  type GraphNode,
} from '../graph/dependency-graph.js';
import { AWAITING_CONFIRMATION, isTerminal, QUEUED_STATES, SUCCESS_STATE } from './run-states.js';
import { laterCreation, type RunCreation, secondsToMs, servesNeed } from './serves-need.js';

/** A need for a run: the changes upstream that the stack has not run since. */
interface Need {
  /** Spacelift ms of the latest change that reached the stack; a run created after it serves it. */
  latest: number;
  cascade: string;
}

interface LiveRun {
  id: string;
  state: string;
  version: number | null;
  /** Unix seconds (Spacelift). */
  createdAt: number | null;
  /** A lower bound of its creation time (ms): it was created at or after this. */
  createdMs: number | null;
  own: boolean;
  /** The need this run serves; consumed when it ends. */
  serving: Need | null;
  /** Coordinator ms of the last news of this run (webhook or poll). */
  heardAt: number;
  /** Coordinator ms it started to await confirmation (UNCONFIRMED). */
  unconfirmedSince?: number;
}

interface StackEntry {
  ups: string[];
  need: Need | null;
  /** A trigger in flight (the activity has not answered), serving this need. */
  triggering: Need | null;
  runs: LiveRun[];
  failed: { runId: string; state: string } | null;
  /** Why the last trigger failed; cleared by the next reconciliation pass, which retries. */
  triggerError: string | null;
  /** Last terminal run; `createdAt` in Spacelift seconds. */
  last: { runId: string; state: string; createdAt: number | null; createdMs?: number | null } | null;
  /** Recent terminal run ids, newest last: duplicates and late deliveries change nothing. */
  ended: string[];
}

interface CascadeRecord {
  id: string;
  startedAt: number;
  endedAt: number | null;
  canceled: boolean;
  changes: CascadeChange[];
  /** Stacks reached: since (coordinator ms), runs. */
  stacks: Record<string, { since: number; runs: CascadeRun[]; canceled?: string }>;
  /** Needs, triggers and serving runs still open in this cascade. */
  open: number;
}

/**
 * A stack entry as carried through continue-as-new: fields at their default left out,
 * upstreams as indexes into `ids` (names only for unknown ones), the last run's id only when it
 * is not the newest of `d`. At 10,000 stacks the snapshot must stay well under Temporal's 2 MB
 * payload limit.
 */
interface CarriedEntry {
  u?: Array<number | string>;
  n?: Need;
  t?: Need;
  r?: LiveRun[];
  f?: { runId: string; state: string };
  e?: string;
  /** [state, createdAt] or [state, createdAt, runId]. */
  l?: [string, number | null] | [string, number | null, string];
  /** Recent terminal run ids. */
  d?: string[];
  /** The last run's creation in ms, when known more precisely than its second. */
  m?: number;
}

/** [stack index or id, since, runs as [runId, state, own 0/1, at], canceled]; times from the cascade's start. */
type CarriedCascadeStack = [number | string, number, Array<[string, string, 0 | 1, number]>, string?];

interface CarriedCascade extends Omit<CascadeRecord, 'stacks'> {
  stacks: CarriedCascadeStack[];
}

/** The serialisable state, carried through continue-as-new. */
export interface EstateSnapshot {
  /** Stack ids; entries and cascades refer to stacks by their index here. */
  ids: string[];
  entries: CarriedEntry[];
  cascades: CarriedCascade[];
  merged: Record<string, string>;
  graphReadAt: number | null;
  /** Highest `stateSetAt` (Spacelift seconds) the reconciliation has seen. */
  reconcileCursor: number | null;
}

/** The uncompacted snapshot coordinators carried before; still restored. */
interface LegacySnapshot extends Omit<EstateSnapshot, 'ids' | 'entries' | 'cascades'> {
  stacks: Record<string, StackEntry>;
  cascades: CascadeRecord[];
}

/** What one observation did, for logs and tests. */
export type ObservationOutcome =
  'change' | 'failure' | 'ended' | 'progress' | 'duplicate' | 'stale' | 'ignored';

const RECENT_ENDED = 4;
/** Completed cascades kept for the list and status queries. */
const KEEP_DONE_CASCADES = 50;

const emptyEntry = (ups: string[]): StackEntry => ({
  ups,
  need: null,
  triggering: null,
  runs: [],
  failed: null,
  triggerError: null,
  last: null,
  ended: [],
});

export class EstateModel {
  private readonly stacks = new Map<string, StackEntry>();
  private readonly cascades = new Map<string, CascadeRecord>();
  private readonly merged = new Map<string, string>();
  private graphReadAt: number | null = null;
  reconcileCursor: number | null = null;

  // Derived from the graph and the entries; rebuilt on restore and on every graph change.
  private downs = new Map<string, string[]>();
  private countedDowns = new Map<string, string[]>();
  private cycleOf = new Map<string, string>();
  private dirty = new Set<string>();
  private dirtyUps = new Map<string, number>();
  private candidates = new Set<string>();
  /** Stacks with a trigger or a run in flight: the scans of every workflow task cost O(in flight), not O(stacks). */
  private busy = new Set<string>();
  private cycles: string[][] = [];
  /** The coordinator's latest time seen (ms). */
  private clock = 0;

  constructor(
    private options: CascadeOptions,
    snapshot?: EstateSnapshot | LegacySnapshot,
  ) {
    if (snapshot) {
      if ('stacks' in snapshot) {
        for (const [id, entry] of Object.entries(snapshot.stacks)) this.stacks.set(id, entry);
        for (const c of snapshot.cascades) this.cascades.set(c.id, c);
      } else {
        const id = (ref: number | string) => (typeof ref === 'number' ? snapshot.ids[ref]! : ref);
        snapshot.entries.forEach((c, i) => this.stacks.set(snapshot.ids[i]!, expandEntry(c, id)));
        for (const c of snapshot.cascades) this.cascades.set(c.id, expandCascade(c, id));
      }
      for (const [from, to] of Object.entries(snapshot.merged)) this.merged.set(from, to);
      this.graphReadAt = snapshot.graphReadAt;
      this.reconcileCursor = snapshot.reconcileCursor;
      this.rebuild();
    }
  }

  snapshot(): EstateSnapshot {
    const ids = [...this.stacks.keys()];
    const index = new Map(ids.map((id, i) => [id, i]));
    const ref = (id: string) => index.get(id) ?? id;
    return {
      ids,
      entries: [...this.stacks.values()].map((e) => compactEntry(e, ref)),
      cascades: [...this.cascades.values()].map((c) => compactCascade(c, ref)),
      merged: Object.fromEntries(this.merged),
      graphReadAt: this.graphReadAt,
      reconcileCursor: this.reconcileCursor,
    };
  }

  setOptions(options: CascadeOptions): void {
    this.options = options;
  }

  hasStack(stackId: string): boolean {
    return this.stacks.has(stackId);
  }

  get hasGraph(): boolean {
    return this.graphReadAt !== null;
  }

  // ---- graph ---------------------------------------------------------------------------

  /** A full read of the estate: stacks appear, disappear and change upstreams. */
  setGraph(nodes: readonly GraphNode[], now: number): void {
    const seen = new Set<string>();
    for (const node of nodes) {
      seen.add(node.id);
      const entry = this.stacks.get(node.id);
      if (entry) entry.ups = node.dependsOn;
      else this.stacks.set(node.id, emptyEntry(node.dependsOn));
    }
    for (const [id, entry] of this.stacks) {
      if (seen.has(id)) continue;
      this.closeNeed(entry.need, now);
      this.closeNeed(entry.triggering, now);
      for (const run of entry.runs) this.closeNeed(run.serving, now);
      this.stacks.delete(id);
    }
    this.graphReadAt = now;
    this.rebuild();
  }

  /** Labels a delivery carried: the graph follows them at once when they changed. */
  private updateLabels(stackId: string, labels: readonly string[] | null): void {
    if (labels === null) return;
    const ups = declaredUpstreams(labels, this.options.labelPrefix);
    const entry = this.stacks.get(stackId);
    if (entry && sameList(entry.ups, ups)) return;
    if (entry) entry.ups = ups;
    else this.stacks.set(stackId, emptyEntry(ups));
    this.rebuild();
  }

  private rebuild(): void {
    const nodes = [...this.stacks].map(([id, e]) => ({ id, dependsOn: e.ups }));
    const graph = fromNodes(nodes);
    this.downs = new Map([...graph.downstreams].map(([id, list]) => [id, [...list]]));
    this.cycles = findCycles(graph);
    this.cycleOf = new Map();
    const componentOf = new Map<string, number>();
    cyclicComponents(graph).forEach((component, i) => {
      const cycle = this.cycles.find((c) => component.includes(c[0]!));
      for (const id of component) {
        componentOf.set(id, i);
        this.cycleOf.set(id, cycle ? describeCycle(cycle) : component.join(' -> '));
      }
    });
    this.countedDowns = new Map();
    for (const [id, list] of this.downs) {
      const c = componentOf.get(id);
      const counted = list.filter((d) => this.stacks.has(d) && (c === undefined || componentOf.get(d) !== c));
      if (counted.length) this.countedDowns.set(id, counted);
    }
    this.dirty = new Set();
    this.dirtyUps = new Map();
    this.busy = new Set();
    for (const id of this.stacks.keys()) this.refresh(id);
    this.candidates = new Set(this.stacks.keys());
  }

  private holds(e: StackEntry): boolean {
    return e.need !== null || e.triggering !== null || e.runs.length > 0 || e.failed !== null;
  }

  private track(id: string): void {
    const e = this.stacks.get(id);
    if (e && (e.triggering !== null || e.runs.length > 0)) this.busy.add(id);
    else this.busy.delete(id);
  }

  /** Recomputes whether `start` (just changed) is dirty and propagates flips downstream. */
  private refresh(start: string): void {
    this.track(start);
    const todo = [start];
    while (todo.length > 0) {
      const id = todo.pop()!;
      const entry = this.stacks.get(id);
      if (!entry) continue;
      const now = this.holds(entry) || (this.dirtyUps.get(id) ?? 0) > 0;
      if (now === this.dirty.has(id)) continue;
      if (now) this.dirty.add(id);
      else this.dirty.delete(id);
      for (const down of this.countedDowns.get(id) ?? []) {
        const count = (this.dirtyUps.get(down) ?? 0) + (now ? 1 : -1);
        this.dirtyUps.set(down, count);
        if (count === 0) this.candidates.add(down);
        todo.push(down);
      }
    }
    this.candidates.add(start);
  }

  // ---- observations ----------------------------------------------------------------------

  /** A run state from a webhook, a poll or the reconciliation pass. `now`: coordinator ms. */
  observe(obs: RunObservation, now: number): ObservationOutcome {
    this.tick(now);
    this.updateLabels(obs.stackId, obs.stackLabels);
    const entry = this.stacks.get(obs.stackId);
    if (!entry) return 'ignored';
    const live = entry.runs.find((r) => r.id === obs.runId);
    // Proposed runs and tasks change nothing, unless they are runs the coordinator triggered.
    if (live === undefined && obs.runType !== 'TRACKED') return 'ignored';
    if (obs.driftDetection && this.options.driftRuns === 'ignore' && !live) return 'ignored';
    if (entry.ended.includes(obs.runId)) return 'duplicate';

    if (!isTerminal(obs.state)) {
      if (live) {
        // A late QUEUED delivery (shuffled) still brings the precise creation time.
        const createdMs = createdLowerMs(obs);
        if (createdMs !== null && createdMs > (live.createdMs ?? -Infinity)) {
          live.createdMs = createdMs;
          if (live.serving && entry.need && servesNeed(live, entry.need)) {
            // It was created after this later need too: one run serves both.
            this.closeNeed(entry.need, now);
            entry.need = null;
            this.refresh(obs.stackId);
          } else if (!live.serving && entry.need && servesNeed(live, entry.need)) {
            live.serving = entry.need;
            entry.need = null;
            this.record(live.serving.cascade, obs.stackId, {
              runId: live.id,
              state: live.state,
              own: live.own,
              at: now,
            });
            this.refresh(obs.stackId);
          }
        }
        if (live.version !== null && obs.stateVersion !== null && obs.stateVersion < live.version) {
          return 'stale';
        }
        if (obs.state === AWAITING_CONFIRMATION) live.unconfirmedSince ??= now;
        else delete live.unconfirmedSince;
        live.state = obs.state;
        live.version = obs.stateVersion ?? live.version;
        live.heardAt = now;
        return 'progress';
      }
      const run: LiveRun = {
        id: obs.runId,
        state: obs.state,
        version: obs.stateVersion,
        createdAt: obs.createdAt,
        createdMs: createdLowerMs(obs),
        own: false,
        serving: null,
        heardAt: now,
      };
      if (obs.state === AWAITING_CONFIRMATION) run.unconfirmedSince = now;
      if (entry.need && servesNeed(run, entry.need)) {
        run.serving = entry.need;
        entry.need = null;
        this.record(run.serving.cascade, obs.stackId, {
          runId: run.id,
          state: run.state,
          own: false,
          at: now,
        });
      }
      entry.runs.push(run);
      this.refresh(obs.stackId);
      return 'progress';
    }

    // Terminal.
    entry.runs = entry.runs.filter((r) => r.id !== obs.runId);
    entry.ended = [...entry.ended, obs.runId].slice(-RECENT_ENDED);
    const createdAt = obs.createdAt ?? live?.createdAt ?? null;
    if (!live && createdAt !== null && (entry.last?.createdAt ?? -1) > createdAt) {
      // An older run than one already seen ending (a late or recovered delivery): old news.
      return 'stale';
    }
    // Its creation to the ms when a QUEUED delivery told it: a change that lands later in the
    // same second than the run was created is in the run.
    entry.last = {
      runId: obs.runId,
      state: obs.state,
      createdAt,
      createdMs: laterCreation(live?.createdMs, createdLowerMs(obs)),
    };
    let served = live?.serving ?? null;
    if (!live && entry.need && servesNeed(entry.last, entry.need)) {
      served = entry.need;
      entry.need = null;
    }
    // Ended before the trigger that created it answered (its progress may have come first: the
    // receiver sends our own runs' progress with their end): most likely ours, so its cascade's.
    const cascadeHint = served?.cascade ?? (live?.own ? null : (entry.triggering?.cascade ?? null));
    if (served) {
      this.record(served.cascade, obs.stackId, {
        runId: obs.runId,
        state: obs.state,
        own: live?.own ?? false,
        at: now,
      });
      this.closeNeed(served, now);
    }
    let outcome: ObservationOutcome = 'ended';
    if (obs.runType === 'TRACKED' || live?.own) {
      if (obs.state === SUCCESS_STATE) {
        entry.failed = null;
        if (obs.runType === 'TRACKED') {
          this.change(obs.stackId, obs.runId, obs.at, cascadeHint, now);
          outcome = 'change';
        }
      } else {
        entry.failed = { runId: obs.runId, state: obs.state };
        outcome = 'failure';
        // What needed a run because of the change this run served now waits for the fix, blocked.
        if (served && obs.runType === 'TRACKED')
          this.change(obs.stackId, obs.runId, served.latest, served.cascade, now);
      }
    }
    this.refresh(obs.stackId);
    return outcome;
  }

  /** Marks everything downstream of `stackId` as needing a run because of this change. */
  private change(stackId: string, runId: string, at: number, hint: string | null, now: number): void {
    let target = hint === null ? null : this.cascadeId(hint);
    // A canceled cascade triggers nothing more, not even through the runs it had started.
    if (target !== null && this.cascades.get(target)!.canceled) return;
    const fresh: string[] = [];
    /** This change as a need: a run created after it includes it. */
    const news = { latest: at };
    /** Stacks with a run created after this change already on its way: that run includes it. */
    const covered: Array<{ stackId: string; run: LiveRun }> = [];
    const seen = new Set<string>([stackId]);
    const queue = [...(this.downs.get(stackId) ?? [])];
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i]!;
      if (seen.has(id)) continue;
      seen.add(id);
      const entry = this.stacks.get(id);
      if (!entry) continue;
      // Already needs a run, or has one on its way that includes this change: so does all below
      // it, and it will change once it runs.
      const coveringRun = entry.need ? undefined : entry.runs.find((r) => servesNeed(r, news));
      const pending = entry.need ?? coveringRun?.serving ?? null;
      if (pending) {
        pending.latest = Math.max(pending.latest, at);
        const theirs = this.resolve(pending.cascade);
        if (target === null) target = theirs;
        else if (theirs !== target) target = this.merge(target, theirs);
        continue;
      }
      if (coveringRun) {
        covered.push({ stackId: id, run: coveringRun });
        continue;
      }
      // A change we learn late (a lost delivery found by a pass): the stack's last run was
      // created after it, so it already ran with it, and so did what its run changed below.
      if (entry.last && servesNeed(lastRunCreation(entry.last), news)) continue;
      fresh.push(id);
      queue.push(...(this.downs.get(id) ?? []));
    }
    if (fresh.length === 0 && covered.length === 0 && target === null) return;
    const cascade = target === null ? this.open(`cascade-${runId}`, now) : this.cascades.get(target)!;
    // The cascade's own runs are changes too, but only the others started it.
    if (hint === null) {
      cascade.changes.push({ stackId, runId, at });
      if (cascade.changes.length > 50) cascade.changes.splice(0, cascade.changes.length - 50);
    }
    for (const id of fresh) {
      const entry = this.stacks.get(id)!;
      entry.need = { latest: at, cascade: cascade.id };
      cascade.open++;
      cascade.stacks[id] ??= { since: now, runs: [] };
      delete cascade.stacks[id].canceled;
      this.refresh(id);
    }
    for (const { stackId: id, run } of covered) {
      run.serving = { latest: at, cascade: cascade.id };
      cascade.open++;
      cascade.stacks[id] ??= { since: now, runs: [] };
      this.record(cascade.id, id, { runId: run.id, state: run.state, own: run.own, at: now });
    }
  }

  // ---- triggering ------------------------------------------------------------------------

  /** Stacks to trigger now, at most `limit`, in a stable order, with the cascade each serves. */
  takeReady(limit: number): Array<{ stackId: string; cascadeId: string }> {
    const out: Array<{ stackId: string; cascadeId: string }> = [];
    if (limit <= 0) return out;
    for (const id of this.candidates) {
      this.candidates.delete(id);
      const e = this.stacks.get(id);
      if (
        e &&
        e.need !== null &&
        e.triggering === null &&
        e.runs.length === 0 &&
        e.triggerError === null &&
        !this.cycleOf.has(id) &&
        (this.dirtyUps.get(id) ?? 0) === 0
      ) {
        e.triggering = e.need;
        e.need = null;
        this.busy.add(id);
        out.push({ stackId: id, cascadeId: this.resolve(e.triggering.cascade) });
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  /** Runs the coordinator triggered and has not seen end (triggers in flight included). */
  ownInFlight(): number {
    let n = 0;
    for (const id of this.busy) {
      const e = this.stacks.get(id)!;
      if (e.triggering) n++;
      for (const r of e.runs) if (r.own) n++;
    }
    return n;
  }

  /** The trigger activity answered with the run it created (or found from an earlier attempt). */
  triggered(stackId: string, runId: string, state: string, createdAt: number | null, now: number): void {
    const entry = this.stacks.get(stackId);
    const need = entry?.triggering;
    if (!entry || !need) return;
    entry.triggering = null;
    const ended = entry.ended.includes(runId);
    // A run that ended before this answer shows its end, not the state the trigger returned.
    const shown = ended && entry.last?.runId === runId ? entry.last.state : state;
    this.record(need.cascade, stackId, { runId, state: shown, own: true, at: now });
    if (ended) {
      // Its end arrived before the trigger's answer: the run served this need.
      this.closeNeed(need, now);
    } else {
      const live = entry.runs.find((r) => r.id === runId);
      if (live) {
        live.own = true;
        // Its first delivery came before this answer and matched it to a need by time: it serves both.
        if (live.serving && live.serving !== need) this.closeNeed(live.serving, now);
        live.serving = need;
      } else {
        entry.runs.push({
          id: runId,
          state,
          version: null,
          createdAt,
          createdMs: secondsToMs(createdAt),
          own: true,
          serving: need,
          heardAt: now,
        });
      }
      // A change that landed while the trigger was on its way is in this run too when it was
      // created after the change (not known before the answer).
      const createdMs = laterCreation(
        secondsToMs(createdAt),
        entry.runs.find((r) => r.id === runId)?.createdMs,
      );
      if (entry.need && servesNeed({ createdMs }, entry.need)) {
        this.closeNeed(entry.need, now);
        entry.need = null;
      }
    }
    this.refresh(stackId);
  }

  /** No run could be triggered: the need stays, blocked with the reason until the next pass. */
  triggerFailed(stackId: string, reason: string): void {
    const entry = this.stacks.get(stackId);
    if (!entry?.triggering) return;
    entry.need = entry.triggering;
    entry.triggering = null;
    entry.triggerError = reason;
    this.refresh(stackId);
  }

  /** A reconciliation pass ended: stacks that could not be triggered are tried again. */
  retryTriggerErrors(): void {
    for (const [id, e] of this.stacks) {
      if (e.triggerError !== null) {
        e.triggerError = null;
        this.candidates.add(id);
      }
    }
  }

  /** Live runs with no news for `quietMs`: the ones to poll. */
  quietRuns(now: number, quietMs: number): Array<{ stackId: string; runId: string }> {
    const out: Array<{ stackId: string; runId: string }> = [];
    for (const stackId of this.busy) {
      for (const r of this.stacks.get(stackId)!.runs)
        if (now - r.heardAt >= quietMs) out.push({ stackId, runId: r.id });
    }
    return out;
  }

  /** When the next live run becomes quiet (coordinator ms), or null with none live. */
  nextQuietAt(quietMs: number): number | null {
    let next: number | null = null;
    for (const id of this.busy) {
      for (const r of this.stacks.get(id)!.runs) next = Math.min(next ?? Infinity, r.heardAt + quietMs);
    }
    return next;
  }

  /** A poll could not find the run (deleted): it ends as a failure whose state is unknown. */
  runVanished(stackId: string, runId: string, now: number): void {
    const entry = this.stacks.get(stackId);
    const live = entry?.runs.find((r) => r.id === runId);
    if (!entry || !live) return;
    entry.runs = entry.runs.filter((r) => r !== live);
    entry.ended = [...entry.ended, runId].slice(-RECENT_ENDED);
    entry.failed = { runId, state: 'UNKNOWN' };
    entry.last = { runId, state: 'UNKNOWN', createdAt: live.createdAt, createdMs: live.createdMs };
    if (live.serving) {
      this.record(live.serving.cascade, stackId, { runId, state: 'UNKNOWN', own: live.own, at: now });
      this.closeNeed(live.serving, now);
    }
    this.refresh(stackId);
  }

  // ---- cancellation ----------------------------------------------------------------------

  /** Stops a cascade: its stacks not yet triggered no longer need a run; runs in flight go on. */
  cancel(id: string, now: number): boolean {
    const cascade = this.cascades.get(this.resolve(id));
    if (!cascade) return false;
    cascade.canceled = true;
    for (const [stackId, entry] of this.stacks) {
      if (entry.need && this.resolve(entry.need.cascade) === cascade.id) {
        const record = cascade.stacks[stackId];
        if (record) record.canceled = 'cascade canceled before this stack was triggered';
        this.closeNeed(entry.need, now);
        entry.need = null;
        entry.triggerError = null;
        this.refresh(stackId);
      }
    }
    return true;
  }

  // ---- cascades --------------------------------------------------------------------------

  private open(id: string, now: number): CascadeRecord {
    const existing = this.cascades.get(id);
    if (existing) return existing;
    const cascade: CascadeRecord = {
      id,
      startedAt: now,
      endedAt: null,
      canceled: false,
      changes: [],
      stacks: {},
      open: 0,
    };
    this.cascades.set(id, cascade);
    return cascade;
  }

  private resolve(id: string): string {
    let at = id;
    for (let next = this.merged.get(at); next !== undefined; next = this.merged.get(at)) at = next;
    return at;
  }

  /** Two cascades overlapped: the younger joins the older (one burst). Returns the survivor. */
  private merge(a: string, b: string): string {
    const [keep, gone] = [this.cascades.get(a)!, this.cascades.get(b)!].sort(
      (x, y) => x.startedAt - y.startedAt || (x.id < y.id ? -1 : 1),
    );
    keep!.changes.push(...gone!.changes);
    keep!.open += gone!.open;
    for (const [stackId, record] of Object.entries(gone!.stacks)) {
      const mine = keep!.stacks[stackId];
      if (mine) {
        mine.runs.push(...record.runs);
        mine.since = Math.min(mine.since, record.since);
      } else keep!.stacks[stackId] = record;
    }
    this.cascades.delete(gone!.id);
    this.merged.set(gone!.id, keep!.id);
    return keep!.id;
  }

  private record(cascadeId: string, stackId: string, run: CascadeRun): void {
    const cascade = this.cascades.get(this.resolve(cascadeId));
    if (!cascade) return;
    const record = (cascade.stacks[stackId] ??= { since: run.at, runs: [] });
    const known = record.runs.find((r) => r.runId === run.runId);
    if (known) {
      known.state = run.state;
      known.own ||= run.own;
    } else record.runs.push(run);
  }

  private closeNeed(need: Need | null, now: number): void {
    if (!need) return;
    const cascade = this.cascades.get(this.resolve(need.cascade));
    if (!cascade) return;
    cascade.open--;
    if (cascade.open === 0) {
      cascade.endedAt = now;
      this.forgetOldCascades();
    }
  }

  private forgetOldCascades(): void {
    const done = [...this.cascades.values()].filter((c) => c.open === 0);
    for (const c of done.slice(0, Math.max(0, done.length - KEEP_DONE_CASCADES))) {
      this.cascades.delete(c.id);
    }
    const alive = new Set(this.cascades.keys());
    for (const [from, to] of this.merged) if (!alive.has(this.resolve(to))) this.merged.delete(from);
  }

  // ---- views -----------------------------------------------------------------------------

  private runUrl(stackId: string, runId: string): string {
    return `${this.options.runUrlBase.replace(/\/+$/, '')}/stack/${stackId}/run/${runId}`;
  }

  /** Why a stack that needs a run cannot go: the first failed, cyclic or untriggerable stack above it. */
  private blocker(stackId: string): { blockedBy: string; reason: string } | null {
    const seen = new Set<string>([stackId]);
    const queue = [...(this.stacks.get(stackId)?.ups ?? [])];
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i]!;
      if (seen.has(id)) continue;
      seen.add(id);
      const e = this.stacks.get(id);
      if (!e || !this.dirty.has(id)) continue;
      if (e.failed && !e.need && e.runs.length === 0 && !e.triggering) {
        return {
          blockedBy: id,
          reason: `upstream ${id} failed: run ${e.failed.runId} ended ${e.failed.state}`,
        };
      }
      if (this.cycleOf.has(id) && e.need) {
        return { blockedBy: id, reason: `upstream ${id} is on a cycle: ${this.cycleOf.get(id)}` };
      }
      if (e.triggerError && e.need) {
        return { blockedBy: id, reason: `upstream ${id} could not be triggered: ${e.triggerError}` };
      }
      const overdue = e.runs.map((r) => this.overdueConfirmation(r)).find((why) => why !== null);
      if (overdue) return { blockedBy: id, reason: `upstream ${id}: ${overdue}` };
      queue.push(...e.ups);
    }
    return null;
  }

  /** The coordinator's time now (the workflow ticks it each turn; views of time-outs use it). */
  tick(now: number): void {
    this.clock = Math.max(this.clock, now);
  }

  /** Why a run awaiting confirmation too long blocks, or null. */
  private overdueConfirmation(run: LiveRun): string | null {
    const timeout = this.options.confirmationTimeoutMs ?? null;
    if (
      timeout === null ||
      run.unconfirmedSince === undefined ||
      this.clock - run.unconfirmedSince <= timeout
    ) {
      return null;
    }
    return `run ${run.id} has awaited confirmation for more than ${Math.round(timeout / 1000)} s: confirm or discard it in Spacelift`;
  }

  stackView(stackId: string): StackView {
    const e = this.stacks.get(stackId);
    if (!e) return { state: 'idle' };
    const run = e.runs.find((r) => r.own) ?? e.runs[0];
    const overdue = run ? this.overdueConfirmation(run) : null;
    if (overdue) return { state: 'blocked', blockedBy: stackId, reason: overdue };
    if (run) {
      const state = QUEUED_STATES.has(run.state)
        ? 'queued'
        : run.state === AWAITING_CONFIRMATION
          ? 'awaiting-confirmation'
          : 'running';
      return { state, runId: run.id, runUrl: this.runUrl(stackId, run.id), runState: run.state };
    }
    if (e.triggering) return { state: 'triggering' };
    if (e.need) {
      const cycle = this.cycleOf.get(stackId);
      if (cycle) return { state: 'cyclic', cycle };
      if (e.triggerError)
        return { state: 'blocked', blockedBy: stackId, reason: `could not trigger a run: ${e.triggerError}` };
      const blocker = this.blocker(stackId);
      if (blocker) return { state: 'blocked', ...blocker };
      return { state: 'waiting', waitingFor: e.ups.filter((u) => this.dirty.has(u)) };
    }
    if (e.failed) {
      return {
        state: 'failed',
        runId: e.failed.runId,
        runUrl: this.runUrl(stackId, e.failed.runId),
        runState: e.failed.state,
      };
    }
    if (e.last?.state === SUCCESS_STATE) {
      return { state: 'finished', runId: e.last.runId, runUrl: this.runUrl(stackId, e.last.runId) };
    }
    return { state: 'idle' };
  }

  estate(): EstateView {
    const stacks: Record<string, StackView> = {};
    for (const id of this.stacks.keys()) stacks[id] = this.stackView(id);
    const graph = fromNodes([...this.stacks].map(([id, e]) => ({ id, dependsOn: e.ups })));
    return {
      stacks,
      cycles: this.cycles,
      unknownDependencies: [...graph.unknownDependencies],
      graphReadAt: this.graphReadAt,
      activeCascades: [...this.cascades.values()].filter((c) => c.open > 0).map((c) => c.id),
    };
  }

  /** Whether a stack's current need, trigger or run belongs to `cascadeId`. */
  private openIn(stackId: string, cascadeId: string): boolean {
    const e = this.stacks.get(stackId);
    if (!e) return false;
    const mine = (n: Need | null) => n !== null && this.resolve(n.cascade) === cascadeId;
    return mine(e.need) || mine(e.triggering) || e.runs.some((r) => mine(r.serving));
  }

  cascade(id: string): CascadeView | null {
    const c = this.cascades.get(this.resolve(id));
    if (!c) return null;
    const stacks: CascadeView['stacks'] = {};
    let blocked = 0;
    let open = 0;
    for (const [stackId, record] of Object.entries(c.stacks)) {
      let view: StackView;
      if (this.openIn(stackId, c.id)) {
        open++;
        view = this.stackView(stackId);
        if (view.state === 'blocked' || view.state === 'cyclic') blocked++;
        // The stack's newest run may serve a newer need: show this cascade's own.
        if (view.state === 'finished' || view.state === 'failed' || view.state === 'idle')
          view = { state: 'waiting', waitingFor: [] };
      } else if (record.canceled) {
        view = { state: 'canceled', reason: record.canceled };
      } else {
        const last = record.runs[record.runs.length - 1];
        view = !last
          ? { state: 'idle' }
          : last.state === SUCCESS_STATE
            ? { state: 'finished', runId: last.runId, runUrl: this.runUrl(stackId, last.runId) }
            : isTerminal(last.state)
              ? {
                  state: 'failed',
                  runId: last.runId,
                  runUrl: this.runUrl(stackId, last.runId),
                  runState: last.state,
                }
              : {
                  state: 'running',
                  runId: last.runId,
                  runUrl: this.runUrl(stackId, last.runId),
                  runState: last.state,
                };
      }
      stacks[stackId] = { ...view, runs: record.runs, since: record.since };
    }
    // Canceled at once: runs in flight go on in Spacelift, but nothing more is triggered.
    const phase: CascadePhase = c.canceled
      ? 'canceled'
      : open === 0
        ? 'completed'
        : blocked === open
          ? 'blocked'
          : 'running';
    return { id: c.id, phase, startedAt: c.startedAt, endedAt: c.endedAt, changes: c.changes, stacks };
  }

  /** Cascades, running ones first, then newest first. */
  cascadeList(limit: number): CascadeSummary[] {
    const views = [...this.cascades.keys()].map((id) => this.cascade(id)!);
    const rank = (p: CascadePhase) => (p === 'running' ? 0 : p === 'blocked' ? 1 : 2);
    views.sort((a, b) => rank(a.phase) - rank(b.phase) || b.startedAt - a.startedAt);
    return views.slice(0, limit).map((v) => {
      const counts = Object.fromEntries(STACK_STATES.map((s) => [s, 0])) as Record<StackState, number>;
      for (const s of Object.values(v.stacks)) counts[s.state]++;
      return {
        id: v.id,
        phase: v.phase,
        startedAt: v.startedAt,
        endedAt: v.endedAt,
        roots: [...new Set(v.changes.map((c) => c.stackId))],
        counts,
        total: Object.keys(v.stacks).length,
      };
    });
  }

  /** The id a cascade is known by now (merged cascades answer with the survivor). */
  cascadeId(id: string): string | null {
    const resolved = this.resolve(id);
    return this.cascades.has(resolved) ? resolved : null;
  }

  /** A cascade by its id, or by the id of a run that started it or that it caused. */
  findCascade(idOrRunId: string): CascadeView | null {
    const direct = this.cascadeId(idOrRunId) ?? this.cascadeId(`cascade-${idOrRunId}`);
    if (direct) return this.cascade(direct);
    for (const c of this.cascades.values()) {
      const has =
        c.changes.some((ch) => ch.runId === idOrRunId) ||
        Object.values(c.stacks).some((s) => s.runs.some((r) => r.runId === idOrRunId));
      if (has) return this.cascade(c.id);
    }
    return null;
  }
}

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
];

/** The latest time (ms) the run certainly was not created after. */
function createdLowerMs(obs: RunObservation): number | null {
  return laterCreation(secondsToMs(obs.createdAt), obs.createdAtMs);
}

/** The last run's creation: its `createdMs` is kept only when more precise than its second. */
function lastRunCreation(last: NonNullable<StackEntry['last']>): RunCreation {
  return { createdMs: last.createdMs ?? secondsToMs(last.createdAt) };
}

function compactEntry(e: StackEntry, ref: (id: string) => number | string): CarriedEntry {
  const c: CarriedEntry = {};
  if (e.ups.length > 0) c.u = e.ups.map(ref);
  if (e.need) c.n = e.need;
  if (e.triggering) c.t = e.triggering;
  if (e.runs.length > 0) c.r = e.runs;
  if (e.failed) c.f = e.failed;
  if (e.triggerError !== null) c.e = e.triggerError;
  if (e.last) {
    c.l =
      e.last.runId === e.ended[e.ended.length - 1]
        ? [e.last.state, e.last.createdAt]
        : [e.last.state, e.last.createdAt, e.last.runId];
    if (e.last.createdMs != null && e.last.createdMs !== (e.last.createdAt ?? -1) * 1000)
      c.m = e.last.createdMs;
  }
  if (e.ended.length > 0) c.d = e.ended;
  return c;
}

function expandEntry(c: CarriedEntry, id: (ref: number | string) => string): StackEntry {
  const ended = c.d ?? [];
  return {
    ups: (c.u ?? []).map(id),
    need: c.n ?? null,
    triggering: c.t ?? null,
    runs: c.r ?? [],
    failed: c.f ?? null,
    triggerError: c.e ?? null,
    last: c.l
      ? {
          state: c.l[0],
          createdAt: c.l[1],
          runId: c.l[2] ?? ended[ended.length - 1]!,
          createdMs: c.m ?? null,
        }
      : null,
    ended,
  };
}

function compactCascade(c: CascadeRecord, ref: (id: string) => number | string): CarriedCascade {
  const { stacks, ...rest } = c;
  return {
    ...rest,
    stacks: Object.entries(stacks).map(([stackId, s]): CarriedCascadeStack => {
      const runs = s.runs.map((r): [string, string, 0 | 1, number] => [
        r.runId,
        r.state,
        r.own ? 1 : 0,
        r.at - c.startedAt,
      ]);
      const carried: CarriedCascadeStack = [ref(stackId), s.since - c.startedAt, runs];
      if (s.canceled !== undefined) carried.push(s.canceled);
      return carried;
    }),
  };
}

function expandCascade(c: CarriedCascade, id: (ref: number | string) => string): CascadeRecord {
  const stacks: CascadeRecord['stacks'] = {};
  for (const [stack, since, runs, canceled] of c.stacks) {
    stacks[id(stack)] = {
      since: since + c.startedAt,
      runs: runs.map(([runId, state, own, at]) => ({ runId, state, own: own === 1, at: at + c.startedAt })),
      ...(canceled !== undefined && { canceled }),
    };
  }
  return { ...c, stacks };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
