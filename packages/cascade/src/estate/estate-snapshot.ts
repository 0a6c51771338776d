/**
 * The estate model's snapshot: what the coordinator carries through continue-as-new. Compact,
 * because at 10,000 stacks it must stay well under Temporal's 2 MB payload limit: fields at
 * their default left out, stacks named by index. Coordinators continued before compaction carry
 * the uncompacted form (`LegacySnapshot`); it is still restored. Snapshots from before cascades
 * ended blocked (no `lifecycle` mark) may say a cascade ended while it has open stacks: restored
 * as under way (the model ends it again when it is).
 */
import type { CascadeRecord, LiveRun, Need, PendingRead, StackEntry, UpToDate } from './estate-records.js';
import type { CarriedControls } from './operator-controls.js';
import type { CarriedCutoffCounts } from './early-cutoff.js';

/**
 * A stack entry as carried: upstreams as indexes into `ids` (names only for unknown ones), the
 * last run's id only when it is not the newest of `d`.
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
  /** The cascade whose cancel dropped the stack's need. */
  x?: string;
  /** The stack's `cascade:` labels. */
  c?: string[];
  /** Early cutoff: the outputs digest after its last FINISHED run. */
  o?: string;
  /** Early cutoff: the outputs read wanted; 1: for its last run, only to take a baseline from. */
  k?: PendingRead | 1;
  /** Early cutoff: the run that changed nothing and made it up to date. */
  y?: UpToDate;
}

/**
 * [stack index or id, since, runs as [runId, state, own 0/1, at], canceled (or null), blocked as
 * [blockedBy, reason]]; times from the cascade's start.
 */
type CarriedCascadeStack = [
  number | string,
  number,
  Array<[string, string, 0 | 1, number]>,
  (string | null)?,
  [string, string]?,
];

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
  /** 1: cascades end blocked (a cascade ended with open stacks did); absent in older snapshots. */
  lifecycle?: 1;
  /** The freeze (and what else operators decided) in force; absent when nothing is. */
  controls?: CarriedControls;
  /** What early cutoff counted; absent in older snapshots (and their stacks have no outputs baseline). */
  cutoff?: CarriedCutoffCounts;
}

/** The uncompacted snapshot coordinators carried before compaction; still restored. */
export interface LegacySnapshot extends Omit<EstateSnapshot, 'ids' | 'entries' | 'cascades'> {
  stacks: Record<string, StackEntry>;
  cascades: CascadeRecord[];
}

/** What a snapshot holds, in the form the model keeps it; stacks and cascades in their order. */
export interface EstateState {
  stacks: Map<string, StackEntry>;
  cascades: CascadeRecord[];
  merged: Record<string, string>;
  graphReadAt: number | null;
  reconcileCursor: number | null;
  controls?: CarriedControls;
  cutoff?: CarriedCutoffCounts;
}

/** The compact snapshot of `state`. */
export function toSnapshot(state: EstateState): EstateSnapshot {
  const ids = [...state.stacks.keys()];
  const index = new Map(ids.map((id, i) => [id, i]));
  const ref = (id: string) => index.get(id) ?? id;
  return {
    ids,
    entries: [...state.stacks.values()].map((e) => compactEntry(e, ref)),
    cascades: state.cascades.map((c) => compactCascade(c, ref)),
    merged: state.merged,
    graphReadAt: state.graphReadAt,
    reconcileCursor: state.reconcileCursor,
    lifecycle: 1,
    ...(state.controls && { controls: state.controls }),
    ...(state.cutoff && { cutoff: state.cutoff }),
  };
}

/** The state a snapshot carries, from either form. */
export function fromSnapshot(snapshot: EstateSnapshot | LegacySnapshot): EstateState {
  const { merged, graphReadAt, reconcileCursor } = snapshot;
  const controls = 'controls' in snapshot ? snapshot.controls : undefined;
  const cutoff = 'cutoff' in snapshot ? snapshot.cutoff : undefined;
  if ('stacks' in snapshot) {
    return {
      stacks: new Map(Object.entries(snapshot.stacks)),
      cascades: snapshot.cascades.map(underWayUnlessClosed),
      merged,
      graphReadAt,
      reconcileCursor,
    };
  }
  const id = (ref: number | string) => (typeof ref === 'number' ? snapshot.ids[ref]! : ref);
  const cascades = snapshot.cascades.map((c) => expandCascade(c, id));
  return {
    stacks: new Map(snapshot.entries.map((c, i) => [snapshot.ids[i]!, expandEntry(c, id)])),
    cascades: snapshot.lifecycle === 1 ? cascades : cascades.map(underWayUnlessClosed),
    merged,
    graphReadAt,
    reconcileCursor,
    controls,
    cutoff,
  };
}

/** Before the lifecycle rule a cascade with open stacks had not ended, whatever `endedAt` said. */
function underWayUnlessClosed(c: CascadeRecord): CascadeRecord {
  return c.open > 0 && !c.canceled ? { ...c, endedAt: null } : c;
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
  if (e.canceledBy !== undefined) c.x = e.canceledBy;
  if (e.cascadeLabels) c.c = e.cascadeLabels;
  if (e.baseline !== undefined) c.o = e.baseline;
  if (e.reading) c.k = !e.reading.deciding && e.reading.runId === e.last?.runId ? 1 : e.reading;
  if (e.upToDate) c.y = e.upToDate;
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
    ...(c.x !== undefined && { canceledBy: c.x }),
    ...(c.c && { cascadeLabels: c.c }),
    ...(c.o !== undefined && { baseline: c.o }),
    ...(c.k && { reading: c.k === 1 ? { runId: c.l?.[2] ?? ended[ended.length - 1]! } : c.k }),
    ...(c.y && { upToDate: c.y }),
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
      if (s.canceled !== undefined || s.blocked) carried.push(s.canceled ?? null);
      if (s.blocked) carried.push([s.blocked.blockedBy, s.blocked.reason]);
      return carried;
    }),
  };
}

function expandCascade(c: CarriedCascade, id: (ref: number | string) => string): CascadeRecord {
  const stacks: CascadeRecord['stacks'] = {};
  for (const [stack, since, runs, canceled, blocked] of c.stacks) {
    stacks[id(stack)] = {
      since: since + c.startedAt,
      runs: runs.map(([runId, state, own, at]) => ({ runId, state, own: own === 1, at: at + c.startedAt })),
      ...(canceled != null && { canceled }),
      ...(blocked && { blocked: { blockedBy: blocked[0], reason: blocked[1] } }),
    };
  }
  return { ...c, stacks };
}
