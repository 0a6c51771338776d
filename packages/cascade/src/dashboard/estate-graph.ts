/**
 * The estate as the dashboard draws it: every stack with its name, space, labels, declared
 * (`dependsOn:`) and native upstreams, and the problems worth showing. Pure functions of a
 * Spacelift read and the coordinator's view; no I/O here.
 */
import { z } from 'zod';
import type { EstateView, StackView } from '../cascade-contract.js';
import {
  describeCycle,
  describeNativeConflict,
  findCycles,
  fromNodes,
  declaredUpstreams,
  type DependencyGraph,
} from '../graph/index.js';

/** A stack as a Spacelift read gives it to the dashboard. */
export interface StackRecord {
  id: string;
  name: string;
  space: string | null;
  labels: string[];
  /** Native Spacelift stack dependencies (`dependsOn` of the stack); [] when not read. */
  nativeUpstreams: string[];
}

/** Search fields a {@link StackRecord} is read from; the native dependencies may be refused. */
export const STACK_RECORD_FIELDS = ['id', 'name', 'labels', 'space'];
export const NATIVE_DEPENDENCY_FIELD = 'dependsOn { dependsOnStack { id } }';

const nativeDependencies = z
  .array(z.object({ dependsOnStack: z.object({ id: z.string() }).nullish() }))
  .nullish()
  .catch(null);

/** The records of a stack search read with {@link STACK_RECORD_FIELDS}. */
export function stackRecordsOf(stacks: ReadonlyArray<Record<string, unknown>>): StackRecord[] {
  return stacks.flatMap((s) => {
    if (typeof s.id !== 'string') return [];
    const labels = Array.isArray(s.labels) ? s.labels.filter((l): l is string => typeof l === 'string') : [];
    const native = nativeDependencies.parse(s.dependsOn) ?? [];
    return [
      {
        id: s.id,
        name: typeof s.name === 'string' ? s.name : s.id,
        space: typeof s.space === 'string' ? s.space : null,
        labels,
        nativeUpstreams: [...new Set(native.flatMap((d) => (d.dependsOnStack ? [d.dependsOnStack.id] : [])))],
      },
    ];
  });
}

/** A stack on the page: the read plus what the graph derives. */
export interface EstateStack extends StackRecord {
  /** Declared by `dependsOn:` labels (the edges the cascade follows). */
  upstreams: string[];
  downstreams: string[];
}

export type ProblemKind = 'unknown-dependency' | 'cycle' | 'labels-and-native';

export interface EstateProblem {
  kind: ProblemKind;
  /** The stacks concerned, for highlighting. */
  stackIds: string[];
  message: string;
}

export interface EstateGraph {
  stacks: EstateStack[];
  graph: DependencyGraph;
  /** Changes when any stack, label or edge changes: the page lays the graph out again only then. */
  version: string;
}

/** Builds the page's graph from a read of every stack. */
export function buildEstateGraph(records: readonly StackRecord[], labelPrefix: string): EstateGraph {
  const graph = fromNodes(
    records.map((r) => ({ id: r.id, dependsOn: declaredUpstreams(r.labels, labelPrefix) })),
  );
  const stacks = records.map((r) => ({
    ...r,
    upstreams: [...(graph.upstreams.get(r.id) ?? [])],
    downstreams: [...(graph.downstreams.get(r.id) ?? [])],
  }));
  return { stacks, graph, version: versionOf(stacks) };
}

/** A graph of the stacks the coordinator knows, without edges: used when there is no Spacelift API. */
export function graphFromEstate(estate: EstateView | null): EstateGraph {
  const ids = Object.keys(estate?.stacks ?? {});
  return buildEstateGraph(
    ids.map((id) => ({ id, name: id, space: null, labels: [], nativeUpstreams: [] })),
    'dependsOn:',
  );
}

/** FNV-1a over the graph's content: cheap, stable, and short enough to send on every poll. */
function versionOf(stacks: readonly EstateStack[]): string {
  let hash = 0x811c9dc5;
  const add = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
  };
  for (const s of stacks) {
    add(s.id);
    add('\u0000');
    add(s.name);
    add(s.space ?? '');
    add(s.labels.join('\u0001'));
    add(s.nativeUpstreams.join('\u0001'));
    add('\u0002');
  }
  return `${stacks.length}-${(hash >>> 0).toString(36)}`;
}

/**
 * Unknown `dependsOn:` labels, cycles (from the read and from the coordinator) and stacks that
 * declare dependencies both ways (labels and native Spacelift dependencies: they may run twice).
 */
export function estateProblems(estate: EstateGraph, view: EstateView | null): EstateProblem[] {
  const problems: EstateProblem[] = [];
  const seenCycles = new Set<string>();
  for (const cycle of [...findCycles(estate.graph), ...(view?.cycles ?? [])]) {
    const key = [...cycle].sort().join('\u0000');
    if (seenCycles.has(key)) continue;
    seenCycles.add(key);
    problems.push({
      kind: 'cycle',
      stackIds: [...cycle],
      message: `Cycle: ${describeCycle(cycle)}. These stacks never run; remove one dependsOn label.`,
    });
  }
  const seenUnknown = new Set<string>();
  for (const u of [...estate.graph.unknownDependencies, ...(view?.unknownDependencies ?? [])]) {
    const key = `${u.stackId}\u0000${u.dependsOn}`;
    if (seenUnknown.has(key)) continue;
    seenUnknown.add(key);
    problems.push({
      kind: 'unknown-dependency',
      stackIds: [u.stackId],
      message: `${u.stackId} depends on unknown stack "${u.dependsOn}" (no such stack, or the API key cannot see it).`,
    });
  }
  for (const s of estate.stacks) {
    if (s.upstreams.length === 0 || s.nativeUpstreams.length === 0) continue;
    problems.push({
      kind: 'labels-and-native',
      stackIds: [s.id, ...s.nativeUpstreams],
      message: describeNativeConflict({ stackId: s.id, labelled: s.upstreams, native: s.nativeUpstreams }),
    });
  }
  return problems;
}

/** The coordinator's view of a stack, or idle when it has not seen the stack yet. */
export const viewOf = (view: EstateView | null, stackId: string): StackView =>
  view?.stacks[stackId] ?? { state: 'idle' };

/** A stack with its state, as GET /api/estate lists it. */
export interface EstateEntry extends EstateStack {
  view: StackView;
}

/**
 * The read's stacks with the coordinator's states, plus the stacks only the coordinator knows
 * (created since the last read) without edges; `version` covers both.
 */
export function mergeEstate(
  estate: EstateGraph,
  view: EstateView | null,
): { stacks: EstateEntry[]; version: string } {
  const stacks: EstateEntry[] = estate.stacks.map((s) => ({ ...s, view: viewOf(view, s.id) }));
  const known = new Set(estate.graph.stackIds);
  const extra = Object.keys(view?.stacks ?? {})
    .filter((id) => !known.has(id))
    .map((id) => ({
      id,
      name: id,
      space: null,
      labels: [],
      nativeUpstreams: [],
      upstreams: [],
      downstreams: [],
      view: viewOf(view, id),
    }));
  stacks.push(...extra);
  return { stacks, version: extra.length ? `${estate.version}+${versionOf(extra)}` : estate.version };
}
