/**
 * The cascade contract as a pure state machine over the whole estate, like a build system over
 * files: a finished change of a stack marks everything downstream of it as needing a run; a
 * stack is triggered when nothing upstream of it is still changing; all the needs that piled
 * up while it waited are served by one run. The coordinator workflow feeds it observations
 * and carries its snapshot through continue-as-new; tests drive it without Temporal. Its
 * records, cascades, views and snapshot live in the modules next to this one.
 *
 * "Dirty" bookkeeping is incremental: a stack is dirty when it holds its downstream (needs a
 * run, has a tracked run in flight, is being triggered or has failed) or when one of its
 * upstreams is dirty. Each stack counts its dirty upstreams, so a change costs O(what it
 * reaches), not O(stacks x ancestors). Edges inside a cycle are left out of the count, so a
 * cycle cannot keep itself dirty.
 */
import type {
  CascadeOptions,
  CascadeSummary,
  CascadeView,
  EstateView,
  RunObservation,
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
import { CascadeRecords } from './cascade-records.js';
import { emptyEntry, type LastRun, type LiveRun, type Need, type StackEntry } from './estate-records.js';
import { fromSnapshot, toSnapshot, type EstateSnapshot, type LegacySnapshot } from './estate-snapshot.js';
import * as views from './estate-views.js';
import { AWAITING_CONFIRMATION, isTerminal, SUCCESS_STATE } from './run-states.js';
import { laterCreation, type RunCreation, secondsToMs, servesNeed } from './serves-need.js';

/** What one observation did, for logs and tests. */
export type ObservationOutcome =
  'change' | 'failure' | 'ended' | 'progress' | 'duplicate' | 'stale' | 'ignored';

/** Terminal run ids a stack remembers, to know duplicates and late deliveries. */
const RECENT_ENDED = 4;

/** The estate's cascade state machine (see above): fed observations, asked what to trigger. */
export class EstateModel {
  private readonly stacks: Map<string, StackEntry>;
  private readonly cascades: CascadeRecords;
  private graphReadAt: number | null;
  /** Highest `stateSetAt` (Spacelift seconds) the reconciliation has seen. */
  reconcileCursor: number | null;

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

  /** A model of `snapshot`'s estate (either form), or of an empty estate with no graph read yet. */
  constructor(
    private options: CascadeOptions,
    snapshot?: EstateSnapshot | LegacySnapshot,
  ) {
    const restored = snapshot ? fromSnapshot(snapshot) : null;
    this.stacks = restored?.stacks ?? new Map<string, StackEntry>();
    this.cascades = new CascadeRecords(restored?.cascades, restored?.merged);
    this.graphReadAt = restored ? restored.graphReadAt : null;
    this.reconcileCursor = restored ? restored.reconcileCursor : null;
    if (restored) this.rebuild();
  }

  /** The state to carry through continue-as-new. */
  snapshot(): EstateSnapshot {
    return toSnapshot({
      stacks: this.stacks,
      cascades: [...this.cascades.values()],
      merged: this.cascades.merges(),
      graphReadAt: this.graphReadAt,
      reconcileCursor: this.reconcileCursor,
    });
  }

  /** New options (a worker started with a new configuration). */
  setOptions(options: CascadeOptions): void {
    this.options = options;
  }

  /** Whether the model knows the stack (from a read of the graph or a delivery's labels). */
  hasStack(stackId: string): boolean {
    return this.stacks.has(stackId);
  }

  /** Whether the graph has been read; deliveries wait for it. */
  get hasGraph(): boolean {
    return this.graphReadAt !== null;
  }

  /** The coordinator's time now (the workflow ticks it each turn; views of time-outs use it). */
  tick(now: number): void {
    this.clock = Math.max(this.clock, now);
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
      this.cascades.close(entry.need, now);
      this.cascades.close(entry.triggering, now);
      for (const run of entry.runs) this.cascades.close(run.serving, now);
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
    const unheeded = this.unheeded(entry, live, obs);
    if (unheeded) return unheeded;
    if (isTerminal(obs.state)) return this.runEnded(entry, live, obs, now);
    return live ? this.runProgressed(entry, live, obs, now) : this.runAppeared(entry, obs, now);
  }

  /** Why an observation changes nothing: not a run that counts, or a run already ended. */
  private unheeded(
    entry: StackEntry,
    live: LiveRun | undefined,
    obs: RunObservation,
  ): 'ignored' | 'duplicate' | null {
    // Proposed runs and tasks change nothing, unless they are runs the coordinator triggered.
    if (live === undefined && obs.runType !== 'TRACKED') return 'ignored';
    if (obs.driftDetection && this.options.driftRuns === 'ignore' && !live) return 'ignored';
    if (entry.ended.includes(obs.runId)) return 'duplicate';
    return null;
  }

  /** A run of the stack seen for the first time, started by anyone: it may serve the stack's need. */
  private runAppeared(entry: StackEntry, obs: RunObservation, now: number): ObservationOutcome {
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
    if (entry.need && servesNeed(run, entry.need)) this.claimNeed(obs.stackId, entry, run, now);
    entry.runs.push(run);
    this.refresh(obs.stackId);
    return 'progress';
  }

  /** News of a run on its way: its state, unless an older delivery arrived late. */
  private runProgressed(
    entry: StackEntry,
    live: LiveRun,
    obs: RunObservation,
    now: number,
  ): ObservationOutcome {
    this.learnCreation(obs.stackId, entry, live, createdLowerMs(obs), now);
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

  /**
   * A late QUEUED delivery (shuffled) still brings the precise creation time: a run it proves
   * created after the stack's need serves that need too.
   */
  private learnCreation(
    stackId: string,
    entry: StackEntry,
    live: LiveRun,
    createdMs: number | null,
    now: number,
  ): void {
    if (createdMs === null || !(createdMs > (live.createdMs ?? -Infinity))) return;
    live.createdMs = createdMs;
    if (!entry.need || !servesNeed(live, entry.need)) return;
    // Serving a need already, it was created after this later need too: one run serves both.
    if (live.serving) this.dropNeed(entry, now);
    else this.claimNeed(stackId, entry, live, now);
    this.refresh(stackId);
  }

  /** A run ended: what it served is done; a FINISHED tracked run is a change, a failure blocks. */
  private runEnded(
    entry: StackEntry,
    live: LiveRun | undefined,
    obs: RunObservation,
    now: number,
  ): ObservationOutcome {
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
      const run = { runId: obs.runId, state: obs.state, own: live?.own ?? false, at: now };
      this.cascades.closeServed(served, obs.stackId, run, now);
    }
    const outcome = this.endConsequence(entry, live, obs, served, cascadeHint, now);
    this.refresh(obs.stackId);
    return outcome;
  }

  /** What a run's end means downstream: a FINISHED tracked run is a change; a failure blocks. */
  private endConsequence(
    entry: StackEntry,
    live: LiveRun | undefined,
    obs: RunObservation,
    served: Need | null,
    cascadeHint: string | null,
    now: number,
  ): ObservationOutcome {
    if (obs.runType !== 'TRACKED' && !live?.own) return 'ended';
    if (obs.state === SUCCESS_STATE) {
      entry.failed = null;
      if (obs.runType !== 'TRACKED') return 'ended';
      this.change(obs.stackId, obs.runId, obs.at, cascadeHint, now);
      return 'change';
    }
    entry.failed = { runId: obs.runId, state: obs.state };
    // What needed a run because of the change this run served now waits for the fix, blocked.
    if (served && obs.runType === 'TRACKED')
      this.change(obs.stackId, obs.runId, served.latest, served.cascade, now);
    return 'failure';
  }

  /** `run` serves the stack's need from now on; its cascade counts the run. */
  private claimNeed(stackId: string, entry: StackEntry, run: LiveRun, now: number): void {
    const need = entry.need;
    if (!need) return;
    run.serving = need;
    entry.need = null;
    this.recordRun(need.cascade, stackId, run, now);
  }

  /** The stack's need is served (or no longer wanted). */
  private dropNeed(entry: StackEntry, now: number): void {
    this.cascades.close(entry.need, now);
    entry.need = null;
  }

  private recordRun(cascadeId: string, stackId: string, run: LiveRun, now: number): void {
    this.cascades.record(cascadeId, stackId, { runId: run.id, state: run.state, own: run.own, at: now });
  }

  /** Marks everything downstream of `stackId` as needing a run because of this change. */
  private change(stackId: string, runId: string, at: number, hint: string | null, now: number): void {
    let target = hint === null ? null : this.cascades.idOf(hint);
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
        const theirs = this.cascades.resolve(pending.cascade);
        if (target === null) target = theirs;
        else if (theirs !== target) target = this.cascades.merge(target, theirs);
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
    const cascade =
      target === null ? this.cascades.open(`cascade-${runId}`, now) : this.cascades.get(target)!;
    // The cascade's own runs are changes too, but only the others started it.
    if (hint === null) this.cascades.noteChange(cascade, { stackId, runId, at });
    for (const id of fresh) {
      this.stacks.get(id)!.need = { latest: at, cascade: cascade.id };
      delete this.cascades.join(cascade, id, now).canceled;
      this.refresh(id);
    }
    for (const { stackId: id, run } of covered) {
      run.serving = { latest: at, cascade: cascade.id };
      this.cascades.join(cascade, id, now);
      this.recordRun(cascade.id, id, run, now);
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
        out.push({ stackId: id, cascadeId: this.cascades.resolve(e.triggering.cascade) });
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
    this.cascades.record(need.cascade, stackId, { runId, state: shown, own: true, at: now });
    if (ended) {
      // Its end arrived before the trigger's answer: the run served this need.
      this.cascades.close(need, now);
    } else {
      const live = entry.runs.find((r) => r.id === runId);
      if (live) {
        live.own = true;
        // Its first delivery came before this answer and matched it to a need by time: it serves both.
        if (live.serving && live.serving !== need) this.cascades.close(live.serving, now);
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
      if (entry.need && servesNeed({ createdMs }, entry.need)) this.dropNeed(entry, now);
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

  // ---- polling ---------------------------------------------------------------------------

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
      const run = { runId, state: 'UNKNOWN', own: live.own, at: now };
      this.cascades.closeServed(live.serving, stackId, run, now);
    }
    this.refresh(stackId);
  }

  // ---- cancellation ----------------------------------------------------------------------

  /** Stops a cascade: its stacks not yet triggered no longer need a run; runs in flight go on. */
  cancel(id: string, now: number): boolean {
    const cascade = this.cascades.find(id);
    if (!cascade) return false;
    cascade.canceled = true;
    for (const [stackId, entry] of this.stacks) {
      if (entry.need && this.cascades.resolve(entry.need.cascade) === cascade.id) {
        const record = cascade.stacks[stackId];
        if (record) record.canceled = 'cascade canceled before this stack was triggered';
        this.dropNeed(entry, now);
        entry.triggerError = null;
        this.refresh(stackId);
      }
    }
    return true;
  }

  // ---- views (estate-views.ts) -----------------------------------------------------------

  /** One stack's state. */
  stackView(stackId: string): StackView {
    return views.stackView(this.reading(), stackId);
  }

  /** Every stack's state, the cycles, the unknown dependencies and the running cascades. */
  estate(): EstateView {
    return views.estateView(this.reading());
  }

  /** One cascade by its id (or the id of one merged into it). */
  cascade(id: string): CascadeView | null {
    return views.cascadeView(this.reading(), id);
  }

  /** Cascades, running ones first, then newest first. */
  cascadeList(limit: number): CascadeSummary[] {
    return views.cascadeList(this.reading(), limit);
  }

  /** A cascade by its id, or by the id of a run that started it or that it caused. */
  findCascade(idOrRunId: string): CascadeView | null {
    return views.findCascade(this.reading(), idOrRunId);
  }

  private reading(): views.EstateReading {
    return {
      options: this.options,
      stacks: this.stacks,
      cascades: this.cascades,
      dirty: this.dirty,
      cycleOf: this.cycleOf,
      cycles: this.cycles,
      graphReadAt: this.graphReadAt,
      clock: this.clock,
    };
  }
}

/** The latest time (ms) the run certainly was not created after. */
function createdLowerMs(obs: RunObservation): number | null {
  return laterCreation(secondsToMs(obs.createdAt), obs.createdAtMs);
}

/** The last run's creation: its `createdMs` is kept only when more precise than its second. */
function lastRunCreation(last: LastRun): RunCreation {
  return { createdMs: last.createdMs ?? secondsToMs(last.createdAt) };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
