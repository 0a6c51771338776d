/**
 * The cascades the estate model keeps. Two cascades under way that reach the same stack merge
 * into one burst (the younger joins the older; its id stays known, pointing at the survivor). A
 * cascade ends completed when nothing is open in it, or blocked when all that is open waits on a
 * failure (the model decides); what it left blocked is taken over by a later cascade, which names
 * it. The newest ended ones are kept for the views.
 */
import type { CascadeChange, CascadeRun } from '../cascade-contract.js';
import type { CascadeRecord, CascadeStack, Need } from './estate-records.js';

/** Completed cascades kept for the list and status queries. */
const KEEP_DONE_CASCADES = 50;
/** Changes a cascade names: the newest. */
const KEEP_CHANGES = 50;

/** The estate's cascades by id, oldest first, and the ids merged into them. */
export class CascadeRecords {
  private readonly byId = new Map<string, CascadeRecord>();
  /** A merged cascade's id -> the id of the one it joined. */
  private readonly merged = new Map<string, string>();

  constructor(records: Iterable<CascadeRecord> = [], merged: Record<string, string> = {}) {
    for (const c of records) this.byId.set(c.id, c);
    for (const [from, to] of Object.entries(merged)) this.merged.set(from, to);
  }

  /** Every cascade kept, oldest first. */
  values(): IterableIterator<CascadeRecord> {
    return this.byId.values();
  }

  /** The merges still worth knowing, as the snapshot carries them. */
  merges(): Record<string, string> {
    return Object.fromEntries(this.merged);
  }

  /** The cascade with exactly this id (a survivor's). */
  get(id: string): CascadeRecord | undefined {
    return this.byId.get(id);
  }

  /** The cascade an id names now, following merges. */
  find(id: string): CascadeRecord | undefined {
    return this.byId.get(this.resolve(id));
  }

  /** The id a cascade is known by now (merged cascades answer with the survivor's). */
  resolve(id: string): string {
    let at = id;
    for (let next = this.merged.get(at); next !== undefined; next = this.merged.get(at)) at = next;
    return at;
  }

  /** The id a cascade is known by now, or null when it is not kept. */
  idOf(id: string): string | null {
    const resolved = this.resolve(id);
    return this.byId.has(resolved) ? resolved : null;
  }

  /** The cascade `id`, started now unless it exists. */
  open(id: string, now: number): CascadeRecord {
    const existing = this.byId.get(id);
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
    this.byId.set(id, cascade);
    return cascade;
  }

  /** Two cascades overlapped: the younger joins the older (one burst). Returns the survivor. */
  merge(a: string, b: string): string {
    const [keep, gone] = [this.byId.get(a)!, this.byId.get(b)!].sort(
      (x, y) => x.startedAt - y.startedAt || (x.id < y.id ? -1 : 1),
    );
    keep!.changes.push(...gone!.changes);
    keep!.open += gone!.open;
    addAll(keep!, 'merged', [gone!.id, ...(gone!.merged ?? [])]);
    addAll(keep!, 'resumes', gone!.resumes ?? []);
    addAll(keep!, 'resumedBy', gone!.resumedBy ?? []);
    // The older cascade's approvals stand; the younger's add to them.
    if (gone!.decisions) keep!.decisions = { ...gone!.decisions, ...keep!.decisions };
    if (gone!.awaiting) keep!.awaiting = { ...gone!.awaiting, ...keep!.awaiting };
    // One burst, one budget: the failures add up, and a pause of either holds the whole.
    if (gone!.failures) keep!.failures = (keep!.failures ?? 0) + gone!.failures;
    keep!.paused ??= gone!.paused;
    if (gone!.upToDate) keep!.upToDate = { ...gone!.upToDate, ...keep!.upToDate };
    for (const [stackId, record] of Object.entries(gone!.stacks)) {
      const mine = keep!.stacks[stackId];
      if (mine) {
        mine.runs.push(...record.runs);
        mine.since = Math.min(mine.since, record.since);
      } else keep!.stacks[stackId] = record;
    }
    this.byId.delete(gone!.id);
    this.merged.set(gone!.id, keep!.id);
    return keep!.id;
  }

  /** A change that started (or joined) `cascade`. */
  noteChange(cascade: CascadeRecord, change: CascadeChange): void {
    cascade.changes.push(change);
    if (cascade.changes.length > KEEP_CHANGES)
      cascade.changes.splice(0, cascade.changes.length - KEEP_CHANGES);
  }

  /** `stackId` joins `cascade` with a need (or a run serving one) open in it. */
  join(cascade: CascadeRecord, stackId: string, now: number): CascadeStack {
    cascade.open++;
    return (cascade.stacks[stackId] ??= { since: now, runs: [] });
  }

  /** A run a cascade caused or counted; a later record of the same run updates it. */
  record(cascadeId: string, stackId: string, run: CascadeRun): void {
    const cascade = this.find(cascadeId);
    if (!cascade) return;
    const record = (cascade.stacks[stackId] ??= { since: run.at, runs: [] });
    const known = record.runs.find((r) => r.runId === run.runId);
    if (known) {
      known.state = run.state;
      known.own ||= run.own;
    } else record.runs.push(run);
  }

  /** A need is done with (served, canceled, its stack gone): its cascade ends with its last one. */
  close(need: Need | null, now: number): void {
    if (!need) return;
    const cascade = this.find(need.cascade);
    if (!cascade) return;
    cascade.open--;
    if (cascade.open === 0) {
      // A cascade that ended blocked keeps when it ended.
      cascade.endedAt ??= now;
      this.forgetOld();
    }
  }

  /**
   * `into` takes over `need` (of `stackId`, or of the run serving it) from the cascade that has
   * ended with it open (blocked, or canceled with the run in flight); one left blocked names `into`.
   */
  takeOver(need: Need, into: CascadeRecord, stackId: string, now: number): void {
    const from = this.find(need.cascade);
    if (from === into) return;
    if (from && !from.canceled) {
      addAll(into, 'resumes', [from.id]);
      addAll(from, 'resumedBy', [into.id]);
    }
    this.close(need, now);
    need.cascade = into.id;
    this.join(into, stackId, now);
  }

  /** The run that served `need` ended: recorded in its cascade, and the need is done with. */
  closeServed(need: Need, stackId: string, run: CascadeRun, now: number): void {
    this.record(need.cascade, stackId, run);
    this.close(need, now);
  }

  private forgetOld(): void {
    const done = [...this.byId.values()].filter((c) => c.open === 0 && c.endedAt !== null);
    for (const c of done.slice(0, Math.max(0, done.length - KEEP_DONE_CASCADES))) this.byId.delete(c.id);
    const alive = new Set(this.byId.keys());
    for (const [from, to] of this.merged) if (!alive.has(this.resolve(to))) this.merged.delete(from);
  }
}

/** Adds `ids` to one of a cascade's lists of other cascades, once each. */
function addAll(
  cascade: CascadeRecord,
  list: 'merged' | 'resumes' | 'resumedBy',
  ids: readonly string[],
): void {
  for (const id of ids) {
    const known = (cascade[list] ??= []);
    if (id !== cascade.id && !known.includes(id)) known.push(id);
  }
}
