/**
 * Early cutoff in the estate model (the rule itself is `cutoff-rule.ts`). A FINISHED tracked run
 * of a stack with dependents wants one read of the stack's outputs. When the rule can only
 * answer with them, the run's change is tentative: its dependents are marked and keep waiting
 * while the stack decides (never triggered on a guess); a change makes their needs certain, a
 * run that changed nothing makes the stack up to date and withdraws the needs below it that
 * rested on it alone.
 *
 * A need knows what it rests on: absent `via`, it is certain (an upstream changed); otherwise
 * `via` lists the upstreams through which the changes reached it that may still turn out to
 * change nothing (each has a run to come or to decide). When one of them is done without a
 * change, it leaves the lists below it, and a need whose list empties is withdrawn, and so on
 * down. A stack that needs a run for another reason (a second upstream that did change, or may)
 * keeps its need.
 */
import type { CutoffCounts, RunObservation } from '../cascade-contract.js';
import type { CascadeRecords } from './cascade-records.js';
import {
  alwaysCascades,
  cutoffVerdict,
  verdictBeforeRead,
  type CutoffVerdict,
  type OutputsRead,
} from './cutoff-rule.js';
import type { Need, StackEntry, UpToDate } from './estate-records.js';

/** What early cutoff reads and changes of the model. */
export interface CutoffHost {
  readonly stacks: ReadonlyMap<string, StackEntry>;
  readonly cascades: CascadeRecords;
  /** The stacks that declare `id` as an upstream. */
  downs(id: string): readonly string[];
  /** Whether the stack holds what is below it back (it needs, runs, has failed, or decides). */
  holds(entry: StackEntry): boolean;
  /** The stack changed: whether it and what is below it are dirty is worked out again. */
  refresh(id: string): void;
}

/** What early cutoff counted, as carried through continue-as-new. */
export type CarriedCutoffCounts = Omit<CutoffCounts, 'enabled'>;

/** A need marked by a change: `fresh` when the change created it. */
export interface MarkedNeed {
  stackId: string;
  need: Need;
  fresh: boolean;
}

export class EarlyCutoff {
  private readonly counts: CarriedCutoffCounts;
  /** Stacks with an outputs read wanted: the workflow's scan costs O(reads), not O(stacks). */
  private readonly wanted = new Set<string>();

  constructor(
    private readonly host: CutoffHost,
    private readonly enabled: () => boolean,
    counts?: CarriedCutoffCounts,
  ) {
    this.counts = { outputsReads: 0, cutOff: 0, runsAvoided: 0, ...counts };
    for (const [id, e] of host.stacks) if (e.reading) this.wanted.add(id);
  }

  /** Whether it is on: the coordinator's rules and `CASCADE_CUTOFF`. */
  get on(): boolean {
    return this.enabled();
  }

  /** The counts as the estate view shows them. */
  view(): CutoffCounts {
    return { enabled: this.on, ...this.counts };
  }

  /** The counts to carry. */
  carried(): CarriedCutoffCounts {
    return { ...this.counts };
  }

  /** Outputs reads the coordinator should make: one per stack, for its latest FINISHED run. */
  reads(): Array<{ stackId: string; runId: string }> {
    const out: Array<{ stackId: string; runId: string }> = [];
    for (const stackId of this.wanted) {
      const reading = this.host.stacks.get(stackId)?.reading;
      if (reading) out.push({ stackId, runId: reading.runId });
      else this.wanted.delete(stackId);
    }
    return out;
  }

  /**
   * A FINISHED tracked run of `stackId` ended (its `last` is that run now; `previousEnd` how the
   * run before it ended). Returns whether its change is tentative: its outputs decide it.
   */
  finished(stackId: string, entry: StackEntry, obs: RunObservation, previousEnd: string | null): boolean {
    // An earlier run still deciding can no longer tell its outputs from this one's: a change.
    if (entry.reading?.deciding) this.confirm(stackId);
    const baseline = entry.baseline ?? null;
    // Until this run's outputs are read, the stack has no baseline.
    delete entry.baseline;
    delete entry.reading;
    this.wanted.delete(stackId);
    if (!this.on || this.host.downs(stackId).length === 0) return false;
    const run = { runId: obs.runId, delta: obs.delta ?? null, previousEnd, baseline };
    const sure = verdictBeforeRead(run);
    entry.reading = sure ? { runId: obs.runId } : { runId: obs.runId, deciding: run };
    this.wanted.add(stackId);
    return sure === null;
  }

  /**
   * The needs a change of `origin` marked: what each rests on. Below a tentative change (or on
   * a path through stacks still to run) a need rests on its upstreams that hold (they have a run
   * to come or to decide); a direct dependent of a certain change (or one labelled
   * `cascade:always`) needs its run for certain.
   */
  rest(origin: string, tentative: boolean, marked: readonly MarkedNeed[]): void {
    if (!this.on) return;
    for (const { stackId, need, fresh } of marked) {
      if (!fresh && need.via === undefined) continue;
      const entry = this.host.stacks.get(stackId)!;
      const direct = entry.ups.includes(origin);
      if (direct && (!tentative || alwaysCascades(entry.cascadeLabels ?? []))) {
        delete need.via;
        continue;
      }
      const via = entry.ups.filter((u) => u === origin || this.holdsBack(u));
      if (via.length === 0) delete need.via;
      else need.via = fresh ? via : [...new Set([...need.via!, ...via])];
    }
  }

  /** The outputs read after `runId` answered (`outputs` null: the read failed, or the stack is gone). */
  outputsRead(
    stackId: string,
    runId: string,
    outputs: OutputsRead | null,
    now: number,
  ): CutoffVerdict | null {
    this.counts.outputsReads++;
    const entry = this.host.stacks.get(stackId);
    const reading = entry?.reading;
    if (!entry || reading?.runId !== runId) return null;
    delete entry.reading;
    this.wanted.delete(stackId);
    // The next run's baseline, unless another run of the stack may have applied since.
    if (outputs && entry.runs.length === 0 && entry.last?.runId === runId) entry.baseline = outputs.digest;
    if (!reading.deciding) return null;
    const verdict = cutoffVerdict(reading.deciding, outputs);
    if (verdict.change) this.confirm(stackId);
    else this.cutOff(stackId, entry, runId, reading.cascade ?? null, now);
    this.host.refresh(stackId);
    return verdict;
  }

  /** The stack's run changed something: what rested on it needs its run for certain. */
  private confirm(stackId: string): void {
    for (const id of this.host.downs(stackId)) {
      const e = this.host.stacks.get(id);
      if (!e) continue;
      for (const need of [e.need, e.triggering, ...e.runs.map((r) => r.serving)]) {
        if (need?.via?.includes(stackId)) delete need.via;
      }
    }
  }

  /** The stack's run changed nothing: it is up to date, and what rested on it alone is withdrawn. */
  private cutOff(
    stackId: string,
    entry: StackEntry,
    runId: string,
    cascadeId: string | null,
    now: number,
  ): void {
    this.counts.cutOff++;
    // A dependent labelled cascade:always runs on any FINISHED run of its upstreams.
    for (const id of this.host.downs(stackId)) {
      const e = this.host.stacks.get(id);
      if (e?.need?.via?.includes(stackId) && alwaysCascades(e.cascadeLabels ?? [])) delete e.need.via;
    }
    const mark: UpToDate = { stackId, runId, at: now, spared: this.release(stackId, runId, now) };
    entry.upToDate = mark;
    const cascade = cascadeId === null ? undefined : this.host.cascades.find(cascadeId);
    if (cascade) {
      cascade.stacks[stackId] ??= { since: now, runs: [] };
      (cascade.upToDate ??= {})[stackId] = mark;
    }
  }

  /**
   * `stackId` no longer holds anything back without a change: it leaves what rests on it, and
   * a need left resting on nothing is withdrawn, down the graph. Returns the stacks spared.
   */
  private release(stackId: string, runId: string, now: number): string[] {
    const spared: string[] = [];
    if (this.holdsBack(stackId)) return spared;
    const queue = [stackId];
    for (let i = 0; i < queue.length; i++) {
      const up = queue[i]!;
      for (const id of this.host.downs(up)) {
        const e = this.host.stacks.get(id);
        const need = e?.need;
        if (!e || !need?.via?.includes(up)) continue;
        need.via = need.via.filter((u) => u !== up);
        if (need.via.length > 0) continue;
        const mark: UpToDate = { stackId, runId, at: now };
        const cascade = this.host.cascades.find(need.cascade);
        if (cascade) (cascade.upToDate ??= {})[id] = mark;
        this.host.cascades.close(need, now);
        e.need = null;
        e.upToDate = mark;
        this.counts.runsAvoided++;
        spared.push(id);
        this.host.refresh(id);
        if (!this.host.holds(e)) queue.push(id);
      }
    }
    return spared;
  }

  private holdsBack(stackId: string): boolean {
    const e = this.host.stacks.get(stackId);
    return e !== undefined && this.host.holds(e);
  }
}
