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
 * cycle cannot keep itself dirty. "Stuck" is kept the same way: a stack that cannot move
 * without a person (failed and not running again, on a cycle with a need) or below one.
 *
 * Cascade lifecycle: a cascade ends completed when nothing is open in it, or blocked when all
 * that is open in it is stuck; a later change never joins an ended cascade: it starts its own,
 * which takes over the stacks it reaches that the ended one left blocked, and names it.
 */
import type {
  ApprovalDecision,
  ApprovalRequest,
  CascadeChange,
  CascadeOptions,
  CascadeSummary,
  CascadeView,
  ControlsView,
  EstateView,
  FreezeRequest,
  FreezeView,
  ChangeWindows,
  ResumeAnswer,
  ResumeRequest,
  RunObservation,
  StackView,
  UnfreezeAnswer,
  WindowSchedule,
} from '../cascade-contract.js';
import {
  APPROVAL_LABEL,
  cascadeLabelsOf,
  cyclicComponents,
  declaredUpstreams,
  describeCycle,
  findCycles,
  fromNodes,
  type GraphNode,
} from '../graph/dependency-graph.js';
import { CascadeRecords } from './cascade-records.js';
import type { OutputsRead } from './cutoff-rule.js';
import { EarlyCutoff, type MarkedNeed } from './early-cutoff.js';
import {
  emptyEntry,
  type ModelRules,
  type CascadeRecord,
  type LastRun,
  type LiveRun,
  type Need,
  type StackEntry,
} from './estate-records.js';
import { fromSnapshot, toSnapshot, type EstateSnapshot, type LegacySnapshot } from './estate-snapshot.js';
import * as views from './estate-views.js';
import { ActionRefusal, OperatorControls, windowOf, windowsKey } from './operator-controls.js';
import { AWAITING_CONFIRMATION, isTerminal, SUCCESS_STATE } from './run-states.js';
import { laterCreation, type RunCreation, secondsToMs, servesNeed } from './serves-need.js';

/** What one observation did, for logs and tests. */
export type ObservationOutcome =
  'change' | 'failure' | 'ended' | 'progress' | 'duplicate' | 'stale' | 'ignored';

/** Terminal run ids a stack remembers, to know duplicates and late deliveries. */
const RECENT_ENDED = 4;

export type { ModelRules };

const CURRENT_RULES: ModelRules = { lifecycle: true, approvals: true, cutoff: true };

/** The estate's cascade state machine (see above): fed observations, asked what to trigger. */
export class EstateModel {
  private readonly stacks: Map<string, StackEntry>;
  private readonly cascades: CascadeRecords;
  /** The rules it decides by (those a coordinator's history was recorded with). */
  private readonly rules: ModelRules;
  /** The freeze (and what else operators decide) in force. */
  readonly controls: OperatorControls;
  /** Early cutoff: the outputs reads wanted, what they decide, what it counted. */
  private readonly cutoff: EarlyCutoff;
  private graphReadAt: number | null;
  /** Highest `stateSetAt` (Spacelift seconds) the reconciliation has seen. */
  reconcileCursor: number | null;

  // Derived from the graph and the entries; rebuilt on restore and on every graph change.
  private downs = new Map<string, string[]>();
  private countedDowns = new Map<string, string[]>();
  private cycleOf = new Map<string, string>();
  private dirty = new Set<string>();
  private dirtyUps = new Map<string, number>();
  /** Stacks that cannot move without a person, or below one (a subset of `dirty`). */
  private stuck = new Set<string>();
  private stuckUps = new Map<string, number>();
  /** Something changed since cascades were last checked for their end. */
  private unsettled = false;
  /** A stack stopped being stuck since: what ended cascades left blocked may be released. */
  private released = false;
  private candidates = new Set<string>();
  /** Stacks with a trigger or a run in flight: the scans of every workflow task cost O(in flight), not O(stacks). */
  private busy = new Set<string>();
  private cycles: string[][] = [];
  /** The coordinator's latest time seen (ms). */
  private clock = 0;
  /** When the next change window opens or closes (ms); null without a schedule. */
  private windowEdge: number | null = null;

  /** A model of `snapshot`'s estate (either form), or of an empty estate with no graph read yet. */
  constructor(
    private options: CascadeOptions,
    snapshot?: EstateSnapshot | LegacySnapshot,
    rules: Partial<ModelRules> = {},
  ) {
    this.rules = { ...CURRENT_RULES, ...rules };
    const restored = snapshot ? fromSnapshot(snapshot) : null;
    this.stacks = restored?.stacks ?? new Map<string, StackEntry>();
    this.cascades = new CascadeRecords(restored?.cascades, restored?.merged);
    this.controls = new OperatorControls(restored?.controls);
    this.windowEdge = this.controls.nextWindowEdge(0);
    this.cutoff = new EarlyCutoff(
      {
        stacks: this.stacks,
        cascades: this.cascades,
        downs: (id) => this.downs.get(id) ?? [],
        holds: (e) => this.holds(e),
        refresh: (id) => this.refresh(id),
      },
      () => this.rules.cutoff && this.options.cutoff !== false,
      restored?.cutoff,
    );
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
      controls: this.controls.carried(),
      // Histories recorded before early cutoff carry what they carried then.
      ...(this.rules.cutoff && { cutoff: this.cutoff.carried() }),
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
    // A change window opened (or closed): what it held is looked at again.
    if (this.windowEdge !== null && this.clock >= this.windowEdge) {
      for (const [id, e] of this.stacks) if (e.need) this.candidates.add(id);
      this.windowEdge = this.controls.nextWindowEdge(this.clock);
    }
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
      this.setCascadeLabels(node.id, node.cascadeLabels ?? []);
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
    this.settle(now);
  }

  /** Labels a delivery carried: the graph follows them at once when they changed. */
  private updateLabels(stackId: string, labels: readonly string[] | null): void {
    if (labels === null) return;
    const ups = declaredUpstreams(labels, this.options.labelPrefix);
    const entry = this.stacks.get(stackId);
    if (!entry || !sameList(entry.ups, ups)) {
      if (entry) entry.ups = ups;
      else this.stacks.set(stackId, emptyEntry(ups));
      this.rebuild();
    }
    this.setCascadeLabels(stackId, cascadeLabelsOf(labels));
  }

  /** The stack's `cascade:` labels; a change of them may let it run (or hold it). */
  private setCascadeLabels(stackId: string, labels: string[]): void {
    const entry = this.stacks.get(stackId)!;
    if (sameList(entry.cascadeLabels ?? [], labels)) return;
    if (labels.length > 0) entry.cascadeLabels = labels;
    else delete entry.cascadeLabels;
    this.candidates.add(stackId);
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
    this.stuck = new Set();
    this.stuckUps = new Map();
    this.busy = new Set();
    for (const id of this.stacks.keys()) this.refresh(id);
    this.candidates = new Set(this.stacks.keys());
    this.released = true;
  }

  private holds(e: StackEntry): boolean {
    return (
      e.need !== null ||
      e.triggering !== null ||
      e.runs.length > 0 ||
      e.failed !== null ||
      e.reading?.deciding !== undefined
    );
  }

  /**
   * Whether the stack itself cannot move without a person: failed with nothing to run for (a
   * run a person started again releases what waits only when it finishes), or a need on a cycle.
   */
  private stuckHere(id: string, e: StackEntry): boolean {
    const idle = e.need === null && e.triggering === null && e.runs.every((r) => r.serving === null);
    return (
      (idle && e.failed !== null) ||
      (e.need !== null && (this.cycleOf.has(id) || this.verdict(id, e.need) === 'rejected'))
    );
  }

  /** Whether the stack waits for a person's approval before it is triggered. */
  private gated(stackId: string): boolean {
    return (
      this.rules.approvals && (this.stacks.get(stackId)?.cascadeLabels?.includes(APPROVAL_LABEL) ?? false)
    );
  }

  /** The verdict on a gated stack in the cascade of `need`; null when none (or not gated). */
  private verdict(stackId: string, need: Need): 'approved' | 'rejected' | null {
    if (!this.gated(stackId)) return null;
    return this.cascades.find(need.cascade)?.decisions?.[stackId]?.verdict ?? null;
  }

  private track(id: string): void {
    const e = this.stacks.get(id);
    if (e && (e.triggering !== null || e.runs.length > 0)) this.busy.add(id);
    else this.busy.delete(id);
  }

  /** Recomputes whether `start` (just changed) is dirty and stuck, and propagates flips downstream. */
  private refresh(start: string): void {
    this.track(start);
    this.unsettled = true;
    const todo = [start];
    while (todo.length > 0) {
      const id = todo.pop()!;
      const entry = this.stacks.get(id);
      if (!entry) continue;
      const dirty = this.holds(entry) || (this.dirtyUps.get(id) ?? 0) > 0;
      const stuck = this.stuckHere(id, entry) || (this.stuckUps.get(id) ?? 0) > 0;
      const dirtyFlip = dirty !== this.dirty.has(id);
      const stuckFlip = stuck !== this.stuck.has(id);
      if (!dirtyFlip && !stuckFlip) continue;
      if (dirtyFlip) flip(this.dirty, id, dirty);
      if (stuckFlip) {
        flip(this.stuck, id, stuck);
        if (!stuck) this.released = true;
      }
      for (const down of this.countedDowns.get(id) ?? []) {
        if (dirtyFlip) {
          const count = (this.dirtyUps.get(down) ?? 0) + (dirty ? 1 : -1);
          this.dirtyUps.set(down, count);
          if (count === 0) this.candidates.add(down);
        }
        if (stuckFlip) this.stuckUps.set(down, (this.stuckUps.get(down) ?? 0) + (stuck ? 1 : -1));
        todo.push(down);
      }
    }
    this.candidates.add(start);
  }

  // ---- observations ----------------------------------------------------------------------

  /** A run state from a webhook, a poll or the reconciliation pass. `now`: coordinator ms. */
  observe(obs: RunObservation, now: number): ObservationOutcome {
    this.tick(now);
    // A change decides which cascades it joins: those that have ended say so first (after a restore).
    this.settle(now);
    const outcome = this.heed(obs, now);
    this.settle(now);
    return outcome;
  }

  private heed(obs: RunObservation, now: number): ObservationOutcome {
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
    delete entry.canceledBy;
    delete entry.upToDate;
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
    /** How the run before this one ended (early cutoff reads it). */
    const previousEnd = entry.last?.state ?? null;
    delete entry.upToDate;
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
      this.cascades.record(served.cascade, obs.stackId, run);
    }
    const outcome = this.endConsequence(entry, live, obs, served, cascadeHint, now, previousEnd);
    // Closed after its consequence joined the cascade: a cascade does not end between the two.
    this.cascades.close(served, now);
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
    previousEnd: string | null,
  ): ObservationOutcome {
    if (obs.runType !== 'TRACKED' && !live?.own) return 'ended';
    if (obs.state === SUCCESS_STATE) {
      entry.failed = null;
      if (obs.runType !== 'TRACKED') return 'ended';
      // Early cutoff: a run its outputs may yet show changed nothing is a tentative change.
      const tentative = this.cutoff.finished(obs.stackId, entry, obs, previousEnd);
      const cascade = this.change(obs.stackId, obs.runId, obs.at, cascadeHint, now, tentative);
      if (entry.reading?.deciding) entry.reading.cascade = cascade ?? cascadeHint ?? undefined;
      return 'change';
    }
    entry.failed = { runId: obs.runId, state: obs.state };
    // What needed a run because of the change this run served now waits for the fix, blocked.
    if (served && obs.runType === 'TRACKED')
      this.change(obs.stackId, obs.runId, served.latest, served.cascade, now);
    // Ours, or most likely ours (it ended before its trigger answered): its cascade's failure.
    const failedIn = served?.cascade ?? cascadeHint;
    if (failedIn !== null) this.countFailure(failedIn, now);
    return 'failure';
  }

  /**
   * `run` serves the stack's need from now on; its cascade counts the run. A need left blocked by
   * a cascade that has ended is served, but the run is no part of that cascade: its end is a
   * change like any other.
   */
  private claimNeed(stackId: string, entry: StackEntry, run: LiveRun, now: number): void {
    const need = entry.need;
    if (!need) return;
    entry.need = null;
    if (!this.underWay(need.cascade)) {
      this.cascades.close(need, now);
      return;
    }
    run.serving = need;
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

  /** Whether cascade `id` is under way: a change may join it (before the lifecycle rule, any kept one). */
  private underWay(id: string): boolean {
    const cascade = this.cascades.find(id);
    if (!cascade) return false;
    return !this.rules.lifecycle || (cascade.endedAt === null && !cascade.canceled);
  }

  /**
   * Marks everything downstream of `stackId` as needing a run because of this change. It joins
   * the cascades under way it reaches (merging them when it reaches several), or starts one; it
   * takes over what it reaches that cascades which have ended left pending. `tentative`: early
   * cutoff decides it when the stack's outputs are read. Returns the cascade it went to.
   */
  private change(
    stackId: string,
    runId: string,
    at: number,
    hint: string | null,
    now: number,
    tentative = false,
  ): string | null {
    let target = hint === null ? null : this.cascades.idOf(hint);
    // A canceled cascade triggers nothing more, not even through the runs it had started.
    if (target !== null && this.cascades.get(target)!.canceled) return null;
    const fresh: string[] = [];
    /** Needs it reached, for early cutoff to say what each rests on. */
    const marked: MarkedNeed[] = [];
    /** Stacks whose need (or serving run) an ended cascade left: this change's cascade takes them over. */
    const taken: Array<{ stackId: string; need: Need }> = [];
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
        marked.push({ stackId: id, need: pending, fresh: false });
        if (!this.underWay(pending.cascade)) {
          taken.push({ stackId: id, need: pending });
          continue;
        }
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
    if (fresh.length === 0 && covered.length === 0 && taken.length === 0 && target === null) return null;
    const cascade =
      target === null ? this.cascades.open(`cascade-${runId}`, now) : this.cascades.get(target)!;
    // The cascade's own runs are changes too, but only the others started it (or joined it).
    if (hint === null) {
      const change: CascadeChange = { stackId, runId, at };
      if (target !== null) change.joined = true;
      this.cascades.noteChange(cascade, change);
    }
    for (const id of fresh) {
      const entry = this.stacks.get(id)!;
      entry.need = { latest: at, cascade: cascade.id };
      marked.push({ stackId: id, need: entry.need, fresh: true });
      delete entry.canceledBy;
      delete entry.upToDate;
      delete this.cascades.join(cascade, id, now).canceled;
      this.refresh(id);
    }
    this.cutoff.rest(stackId, tentative, marked);
    for (const { stackId: id, need } of taken) this.takeOver(id, need, cascade, now);
    for (const { stackId: id, run } of covered) {
      run.serving = { latest: at, cascade: cascade.id };
      this.cascades.join(cascade, id, now);
      this.recordRun(cascade.id, id, run, now);
    }
    return cascade.id;
  }

  /**
   * `into` takes over what an ended cascade left pending at `start` (a need, or a run serving one),
   * and that cascade's needs below it: they move with it, not with a resume of their own.
   */
  private takeOver(start: string, need: Need, into: CascadeRecord, now: number): void {
    const from = this.cascades.resolve(need.cascade);
    const run = this.stacks.get(start)?.runs.find((r) => r.serving === need);
    this.cascades.takeOver(need, into, start, now);
    if (run) this.recordRun(into.id, start, run, now);
    const seen = new Set<string>([start]);
    const queue = [...(this.downs.get(start) ?? [])];
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i]!;
      if (seen.has(id)) continue;
      seen.add(id);
      const below = this.stacks.get(id)?.need;
      if (!below || this.cascades.resolve(below.cascade) !== from) continue;
      this.cascades.takeOver(below, into, id, now);
      queue.push(...(this.downs.get(id) ?? []));
    }
  }

  /**
   * Ends the cascades that can no longer move (all that is open in them is stuck: ended blocked,
   * each blocked stack saying why), and resumes what ended ones left blocked that is no longer
   * stuck (a failure cleared without a change, a cycle broken) in a cascade naming them.
   */
  private settle(now: number): void {
    if (!this.rules.lifecycle || !this.unsettled) return;
    this.unsettled = false;
    const released = this.released;
    this.released = false;
    const moving = new Set<string>();
    for (const id of this.busy) {
      const e = this.stacks.get(id)!;
      if (e.triggering) moving.add(this.cascades.resolve(e.triggering.cascade));
      for (const r of e.runs) if (r.serving) moving.add(this.cascades.resolve(r.serving.cascade));
    }
    for (const cascade of [...this.cascades.values()]) {
      if (cascade.open === 0 || cascade.canceled) continue;
      if (cascade.endedAt === null) {
        if (!moving.has(cascade.id)) this.endIfStuck(cascade, now);
        continue;
      }
      if (!released) continue;
      const free = this.needsOf(cascade).filter((id) => !this.stuck.has(id));
      if (free.length === 0) continue;
      const into = this.cascades.open(this.resumeId(cascade.id), now);
      for (const id of free) {
        const need = this.stacks.get(id)!.need!;
        if (this.cascades.resolve(need.cascade) !== cascade.id) continue;
        // The same burst goes on: the approvals given in it hold (an approval after a rejection resumes it).
        const decision = cascade.decisions?.[id];
        if (decision) (into.decisions ??= {})[id] = decision;
        this.takeOver(id, need, into, now);
      }
    }
  }

  /** Ends `cascade` blocked when every need open in it is stuck (nothing of it is in flight). */
  private endIfStuck(cascade: CascadeRecord, now: number): void {
    const needs = this.needsOf(cascade);
    if (needs.some((id) => !this.stuck.has(id))) return;
    for (const id of needs) (cascade.stacks[id] ??= { since: now, runs: [] }).blocked = this.whyStuck(id);
    cascade.endedAt = now;
  }

  /** Why a stuck stack cannot move, as its view says (or, below a failed stack run again by a person, that failure). */
  private whyStuck(stackId: string): { blockedBy: string; reason: string } {
    const view = views.stackView(this.reading(), stackId);
    if (view.state === 'blocked') return { blockedBy: view.blockedBy, reason: view.reason };
    if (view.state === 'cyclic') return { blockedBy: stackId, reason: `on a cycle: ${view.cycle}` };
    const seen = new Set<string>();
    for (let id: string | undefined = stackId; id !== undefined && !seen.has(id);) {
      seen.add(id);
      const failed = this.stacks.get(id)!.failed;
      if (id !== stackId && failed && this.stuckHere(id, this.stacks.get(id)!)) {
        return {
          blockedBy: id,
          reason: `upstream ${id} failed: run ${failed.runId} ended ${failed.state} (it is running again)`,
        };
      }
      id = this.stacks.get(id)!.ups.find((u) => this.stuck.has(u));
    }
    return { blockedBy: stackId, reason: 'waits on a person' };
  }

  /** Stacks whose need belongs to `cascade`. */
  private needsOf(cascade: CascadeRecord): string[] {
    return Object.keys(cascade.stacks).filter((id) => {
      const need = this.stacks.get(id)?.need;
      return need != null && this.cascades.resolve(need.cascade) === cascade.id;
    });
  }

  /** A new id for a cascade resuming `id` without a change (`<id>-resumed-<n>`). */
  private resumeId(id: string): string {
    const base = id.replace(/-resumed-\d+$/, '');
    let n = 1;
    while (this.cascades.idOf(`${base}-resumed-${n}`) !== null) n++;
    return `${base}-resumed-${n}`;
  }

  // ---- operator controls -----------------------------------------------------------------

  /** Freezes the estate: no trigger is decided until it is lifted; runs in flight go on, needs accumulate. */
  freeze(request: FreezeRequest, now: number): FreezeView {
    const freeze = {
      since: now,
      by: request.by.trim(),
      reason: request.reason?.trim() || null,
      until: request.until ?? null,
    };
    this.controls.freeze = freeze;
    return freeze;
  }

  /** Lifts the freeze: each stack that waits runs once, in order. Null when not frozen. */
  unfreeze(by: string): UnfreezeAnswer | null {
    const freeze = this.controls.freeze;
    if (!freeze) return null;
    this.controls.freeze = null;
    const waiting: string[] = [];
    for (const [id, e] of this.stacks) {
      if (e.need === null) continue;
      this.candidates.add(id);
      if ((this.dirtyUps.get(id) ?? 0) === 0 && !this.stuck.has(id) && e.triggerError === null)
        waiting.push(id);
    }
    return { freeze, by, waiting };
  }

  /** The operator controls in force, as every view says them. */
  controlsView(): ControlsView {
    const pauses = [...this.cascades.values()]
      .filter((c) => c.paused && c.endedAt === null && !c.canceled)
      .map((c) => ({ cascadeId: c.id, ...c.paused! }))
      .sort((a, b) => a.since - b.since);
    return {
      freeze: this.controls.freeze,
      approvals: this.pendingApprovals(),
      pauses,
      ...(this.options.changeWindows && { windows: this.controls.windowStates(this.clock) }),
      windowsKey: this.options.changeWindows ? windowsKey(this.options.changeWindows) : null,
      cutoff: this.cutoff.view(),
    };
  }

  /** The hold of the stack's change window at the coordinator's time now, or null (open, or none). */
  private windowHold(stackId: string, e: StackEntry): ReturnType<OperatorControls['windowHold']> {
    const configured = this.options.changeWindows;
    const name = configured ? windowOf(e.cascadeLabels, configured) : null;
    return name === null ? null : this.controls.windowHold(name, configured!, this.clock);
  }

  /**
   * The change windows to compute a schedule of now (none yet, another configuration, or its
   * horizon within three days), or null. The coordinator asks an activity: no time zone here.
   */
  windowsDue(now: number): ChangeWindows | null {
    const configured = this.options.changeWindows ?? null;
    const schedule = this.controls.windows;
    if (!configured) return null;
    const stale =
      !schedule || schedule.key !== windowsKey(configured) || schedule.horizon - now < 3 * 86_400_000;
    return stale ? configured : null;
  }

  /** The change windows' open intervals, computed outside the workflow. */
  setWindowSchedule(schedule: WindowSchedule): void {
    this.controls.windows = schedule;
    for (const [id, e] of this.stacks) if (e.need) this.candidates.add(id);
    this.windowEdge = this.controls.nextWindowEdge(this.clock);
  }

  /** When a change window opens or closes next (coordinator ms), or null. */
  nextWindowEdge(): number | null {
    return this.options.changeWindows ? this.windowEdge : null;
  }

  /**
   * A run of `cascadeId` failed: with CASCADE_MAX_FAILURES that many, the cascade pauses itself
   * (nothing new of it is triggered; runs in flight go on) until someone resumes it.
   */
  private countFailure(cascadeId: string, now: number): void {
    const cascade = this.cascades.find(cascadeId);
    const max = this.options.maxFailures ?? null;
    if (!cascade || cascade.canceled) return;
    cascade.failures = (cascade.failures ?? 0) + 1;
    if (max === null || cascade.paused || cascade.failures < max) return;
    const failures = cascade.failures;
    cascade.paused = {
      since: now,
      failures,
      reason: `${failures} runs failed (CASCADE_MAX_FAILURES=${max})`,
    };
  }

  /** Throws the reason a resume is refused: an unknown cascade, one not paused. */
  checkResume(request: ResumeRequest): void {
    const cascade = this.cascadeRecordOf(request.cascadeId);
    if (!cascade) throw new ActionRefusal(`no cascade "${request.cascadeId}" (or one caused by that run)`);
    if (!cascade.paused) throw new ActionRefusal(`cascade ${cascade.id} is not paused`);
  }

  /** Resumes a paused cascade: its failure budget starts again, what it held may run (see {@link checkResume}). */
  resume(request: ResumeRequest, now: number): ResumeAnswer {
    this.checkResume(request);
    const cascade = this.cascadeRecordOf(request.cascadeId)!;
    const pause = cascade.paused!;
    delete cascade.paused;
    cascade.failures = 0;
    for (const id of this.needsOf(cascade)) this.candidates.add(id);
    this.unsettled = true;
    this.settle(now);
    return { cascadeId: cascade.id, by: request.by.trim(), at: now, pause };
  }

  /** Stacks that could run but wait for a person's approval, oldest first. */
  private pendingApprovals(): ControlsView['approvals'] {
    const pending: ControlsView['approvals'] = [];
    for (const cascade of this.cascades.values()) {
      for (const [stackId, since] of Object.entries(cascade.awaiting ?? {})) {
        const need = this.stacks.get(stackId)?.need;
        if (
          need &&
          this.cascades.resolve(need.cascade) === cascade.id &&
          this.verdict(stackId, need) === null
        )
          pending.push({ cascadeId: cascade.id, stackId, since });
      }
    }
    return pending.sort((a, b) => a.since - b.since);
  }

  /**
   * Throws the reason a verdict on `request` is refused: an unknown or canceled cascade, a stack
   * it did not reach, one without `cascade:approval`, one already run, the same verdict twice.
   */
  checkVerdict(request: ApprovalRequest, verdict: 'approved' | 'rejected'): void {
    const cascade = this.cascadeRecordOf(request.cascadeId);
    const { stackId } = request;
    if (!cascade) throw new ActionRefusal(`no cascade "${request.cascadeId}" (or one caused by that run)`);
    if (cascade.canceled) throw new ActionRefusal(`cascade ${cascade.id} was canceled`);
    if (!this.stacks.has(stackId)) throw new ActionRefusal(`no stack "${stackId}" in the estate`);
    if (!this.gated(stackId))
      throw new ActionRefusal(`${stackId} needs no approval: it has no ${APPROVAL_LABEL} label`);
    if (!cascade.stacks[stackId]) throw new ActionRefusal(`cascade ${cascade.id} did not reach ${stackId}`);
    const need = this.stacks.get(stackId)!.need;
    if (!need || this.cascades.resolve(need.cascade) !== cascade.id) {
      const now = need ? this.cascades.resolve(need.cascade) : null;
      throw new ActionRefusal(
        now
          ? `${stackId} is in cascade ${now} now: decide there`
          : `${stackId} is not waiting in cascade ${cascade.id}: it has run, or is running`,
      );
    }
    const given = cascade.decisions?.[stackId];
    if (given?.verdict === verdict)
      throw new ActionRefusal(`${stackId} was already ${verdict} in ${cascade.id} by ${given.by}`);
  }

  /**
   * Records a person's verdict on a gated stack in a cascade (see {@link checkVerdict}). Approved,
   * it may run (and what an earlier rejection left blocked is resumed); rejected, it and what is
   * below it end blocked.
   */
  decide(request: ApprovalRequest, verdict: 'approved' | 'rejected', now: number): ApprovalDecision {
    this.checkVerdict(request, verdict);
    const cascade = this.cascadeRecordOf(request.cascadeId)!;
    const decision = { verdict, by: request.by.trim(), at: now, note: request.note?.trim() || null };
    (cascade.decisions ??= {})[request.stackId] = decision;
    this.candidates.add(request.stackId);
    this.refresh(request.stackId);
    this.settle(now);
    return { cascadeId: cascade.id, stackId: request.stackId, ...decision };
  }

  /**
   * Stacks that waited for an approval longer than `approvalTimeoutMs` are rejected by the
   * timeout (they end blocked, saying so).
   */
  expireApprovals(now: number): void {
    const timeout = this.options.approvalTimeoutMs ?? null;
    if (timeout === null) return;
    for (const { cascadeId, stackId, since } of this.pendingApprovals()) {
      if (now - since < timeout) continue;
      const note = `no approval within ${Math.round(timeout / 60_000)} min (CASCADE_APPROVAL_TIMEOUT)`;
      this.decide({ cascadeId, stackId, by: 'the approval timeout', note }, 'rejected', now);
    }
  }

  /** When the oldest pending approval times out (coordinator ms), or null. */
  nextApprovalDeadline(): number | null {
    const timeout = this.options.approvalTimeoutMs ?? null;
    const oldest = this.pendingApprovals()[0];
    return timeout === null || !oldest ? null : oldest.since + timeout;
  }

  /** The cascade of an id, or of a run in it. */
  private cascadeRecordOf(idOrRunId: string): CascadeRecord | undefined {
    const id = views.findCascade(this.reading(), idOrRunId)?.id;
    return id === undefined ? undefined : this.cascades.find(id);
  }

  // ---- triggering ------------------------------------------------------------------------

  /** Stacks to trigger now, at most `limit`, in a stable order, with the cascade each serves. */
  takeReady(limit: number): Array<{ stackId: string; cascadeId: string }> {
    const out: Array<{ stackId: string; cascadeId: string }> = [];
    // Frozen: no trigger is decided (the candidates stay for when it is lifted).
    if (limit <= 0 || this.controls.freeze) return out;
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
        if (this.gated(id) && this.verdict(id, e.need) !== 'approved') {
          // Held until a person approves it in this cascade (approve puts it back among the candidates).
          (this.cascades.find(e.need.cascade)!.awaiting ??= {})[id] ??= this.clock;
          continue;
        }
        // Its cascade spent its failure budget: held until resumed (resume puts it back).
        if (this.cascades.find(e.need.cascade)?.paused) continue;
        // Outside its change window: held until it opens (a timer wakes the coordinator then).
        if (this.windowHold(id, e)) continue;
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
    this.settle(now);
  }

  /** No run could be triggered: the need stays, blocked with the reason until the next pass. */
  triggerFailed(stackId: string, reason: string): void {
    const entry = this.stacks.get(stackId);
    if (!entry?.triggering) return;
    entry.need = entry.triggering;
    entry.triggering = null;
    entry.triggerError = reason;
    this.refresh(stackId);
    this.settle(this.clock);
  }

  /**
   * A trigger was called off before it answered (the estate was frozen): the stack needs its run
   * again, unless a run it created after all is known already.
   */
  triggerHeld(stackId: string, now: number): void {
    const entry = this.stacks.get(stackId);
    const need = entry?.triggering;
    if (!entry || !need) return;
    entry.triggering = null;
    entry.need = need;
    const run = entry.runs.find((r) => r.serving === null && servesNeed(r, need));
    if (run) this.claimNeed(stackId, entry, run, now);
    else if (entry.last && servesNeed(lastRunCreation(entry.last), need)) this.dropNeed(entry, now);
    this.refresh(stackId);
    this.settle(now);
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

  // ---- early cutoff (early-cutoff.ts) ----------------------------------------------------

  /** The outputs reads to make: one per stack with a FINISHED run to decide or to take a baseline from. */
  outputsReads(): Array<{ stackId: string; runId: string }> {
    return this.cutoff.reads();
  }

  /**
   * The outputs read after run `runId` of `stackId` (null: the read failed, or the stack is
   * gone): a run waiting on it is decided. Returns why it is, or is not, a change.
   */
  outputsRead(
    stackId: string,
    runId: string,
    outputs: OutputsRead | null,
    now: number,
  ): { change: boolean; reason: string } | null {
    this.tick(now);
    const verdict = this.cutoff.outputsRead(stackId, runId, outputs, now);
    this.settle(now);
    return verdict;
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
      this.countFailure(live.serving.cascade, now);
      this.cascades.closeServed(live.serving, stackId, run, now);
    }
    this.refresh(stackId);
    this.settle(now);
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
        // The estate shows it canceled, not as its last run left it, until it needs or gets a run.
        entry.canceledBy = cascade.id;
        this.refresh(stackId);
      }
    }
    this.settle(now);
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
      stuck: this.stuck,
      controls: this.controls,
      rules: this.rules,
      cutoff: this.cutoff.view(),
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

function flip(set: Set<string>, id: string, on: boolean): void {
  if (on) set.add(id);
  else set.delete(id);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
