/**
 * The stack dependency graph declared by `dependsOn:<id>` labels, and the linear-time
 * algorithms the cascade needs: downstream closure, cycles, and topological waves.
 * Pure data and functions (workflow code imports this module, so no Node built-ins here).
 */

/** A stack as the graph needs it. */
export interface StackLabels {
  id: string;
  labels: readonly string[];
}

/** A label pointing at a stack that does not exist (or is not visible to the API key). */
export interface UnknownDependency {
  stackId: string;
  dependsOn: string;
}

/** Directed graph: an edge runs from an upstream stack to the stack that depends on it. */
export interface DependencyGraph {
  /** Every known stack id, in input order. */
  readonly stackIds: readonly string[];
  /** stack id -> the stacks it depends on (deduplicated, label order). */
  readonly upstreams: ReadonlyMap<string, readonly string[]>;
  /** stack id -> the stacks that depend on it (deduplicated). Keys may include unknown ids. */
  readonly downstreams: ReadonlyMap<string, readonly string[]>;
  readonly unknownDependencies: readonly UnknownDependency[];
}

/** Plain-data form of a (sub)graph, as it crosses the activity/workflow boundary. */
export interface GraphNode {
  id: string;
  dependsOn: string[];
  /** The stack's `cascade:` labels (what it asks of the cascade); absent when none. */
  cascadeLabels?: string[];
}

/** Labels of the form `cascade:<what>` ask the cascade for something on a stack (an approval, a window). */
export const CASCADE_LABEL_PREFIX = 'cascade:';

/** A stack labelled so is not triggered before a person approves it, in each cascade. */
export const APPROVAL_LABEL = 'cascade:approval';

/** The stack's `cascade:` labels, trimmed and deduplicated, in label order. */
export function cascadeLabelsOf(labels: readonly string[]): string[] {
  return [...new Set(labels.map((l) => l.trim()).filter((l) => l.startsWith(CASCADE_LABEL_PREFIX)))];
}

/** A cycle was found where an order is needed; `cycles` lists each cycle's stacks in edge order. */
export class DependencyCycleError extends Error {
  override readonly name = 'DependencyCycleError';
  constructor(readonly cycles: string[][]) {
    super(
      `Dependency cycle: ${cycles.map(describeCycle).join('; ')}. Remove one dependsOn label of each cycle.`,
    );
  }
}

/** `a -> b -> c -> a`: each stack depends on the one before it. */
export const describeCycle = (cycle: readonly string[]): string => [...cycle, cycle[0]].join(' -> ');

/** Reads the upstream ids declared by a stack's labels (`<prefix><id>`), deduplicated. */
export function declaredUpstreams(labels: readonly string[], labelPrefix: string): string[] {
  const seen = new Set<string>();
  for (const label of labels) {
    if (!label.startsWith(labelPrefix)) continue;
    const id = label.slice(labelPrefix.length).trim();
    if (id) seen.add(id);
  }
  return [...seen];
}

/** Builds the graph from stacks and their labels in O(stacks + labels). */
export function buildDependencyGraph(stacks: readonly StackLabels[], labelPrefix: string): DependencyGraph {
  if (!labelPrefix) throw new TypeError('labelPrefix must not be empty (the default is "dependsOn:")');
  return fromNodes(stacks.map((s) => ({ id: s.id, dependsOn: declaredUpstreams(s.labels, labelPrefix) })));
}

/** Builds the graph from nodes that already list their upstream ids. */
export function fromNodes(nodes: readonly GraphNode[]): DependencyGraph {
  const known = new Set(nodes.map((n) => n.id));
  const upstreams = new Map<string, string[]>();
  const downstreams = new Map<string, string[]>();
  const unknownDependencies: UnknownDependency[] = [];
  for (const node of nodes) {
    const ups = [...new Set(node.dependsOn)];
    upstreams.set(node.id, ups);
    for (const up of ups) {
      if (!known.has(up)) unknownDependencies.push({ stackId: node.id, dependsOn: up });
      const list = downstreams.get(up);
      if (list) list.push(node.id);
      else downstreams.set(up, [node.id]);
    }
  }
  return { stackIds: [...known], upstreams, downstreams, unknownDependencies };
}

/**
 * The root and every stack that transitively depends on it, breadth-first from the root.
 * The root need not be a known stack: labels may point at a stack the API key cannot see.
 */
export function downstreamClosure(graph: DependencyGraph, rootId: string): string[] {
  const seen = new Set([rootId]);
  const order = [rootId];
  for (let i = 0; i < order.length; i++) {
    for (const next of graph.downstreams.get(order[i]!) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        order.push(next);
      }
    }
  }
  return order;
}

/** The closure as plain nodes, upstreams limited to stacks inside it (the part a cascade needs). */
export function closureNodes(graph: DependencyGraph, rootId: string): GraphNode[] {
  const ids = downstreamClosure(graph, rootId);
  const inside = new Set(ids);
  return ids.map((id) => ({
    id,
    dependsOn: (graph.upstreams.get(id) ?? []).filter((up) => inside.has(up)),
  }));
}

/**
 * Cycles among `ids` (default: every stack), one per strongly connected component, each
 * listed in edge order starting at its smallest id.
 */
export function findCycles(graph: DependencyGraph, ids: readonly string[] = graph.stackIds): string[][] {
  const inside = new Set(ids);
  const next = (id: string) => (graph.downstreams.get(id) ?? []).filter((d) => inside.has(d));
  return cyclicComponents(graph, ids)
    .map((component) => cycleThrough(new Set(component), next))
    .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/**
 * The strongly connected components among `ids` that hold a cycle (two or more stacks, or one
 * stack depending on itself), each with all its members. Iterative Tarjan: O(V + E), no
 * recursion, so a 10,000-stack chain does not overflow the stack.
 */
export function cyclicComponents(
  graph: DependencyGraph,
  ids: readonly string[] = graph.stackIds,
): string[][] {
  const inside = new Set(ids);
  const next = (id: string) => (graph.downstreams.get(id) ?? []).filter((d) => inside.has(d));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  for (const start of ids) {
    if (index.has(start)) continue;
    const frames: Array<{ id: string; edges: string[]; i: number }> = [];
    const open = (id: string) => {
      index.set(id, counter);
      low.set(id, counter++);
      stack.push(id);
      onStack.add(id);
      frames.push({ id, edges: next(id), i: 0 });
    };
    open(start);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      if (frame.i < frame.edges.length) {
        const to = frame.edges[frame.i++]!;
        if (!index.has(to)) open(to);
        else if (onStack.has(to)) low.set(frame.id, Math.min(low.get(frame.id)!, index.get(to)!));
        continue;
      }
      frames.pop();
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) !== index.get(frame.id)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.id);
      const selfLoop = component.length === 1 && next(frame.id).includes(frame.id);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  }
  return components;
}

/** One concrete cycle inside a strongly connected component: walk edges until a stack repeats. */
function cycleThrough(component: Set<string>, next: (id: string) => string[]): string[] {
  const start = [...component].sort()[0]!;
  const position = new Map<string, number>();
  const path: string[] = [];
  let at = start;
  while (!position.has(at)) {
    position.set(at, path.length);
    path.push(at);
    // Every member of a non-trivial component has an edge to another member.
    at = next(at).find((d) => component.has(d))!;
  }
  const cycle = path.slice(position.get(at));
  const smallest = cycle.indexOf([...cycle].sort()[0]!);
  return [...cycle.slice(smallest), ...cycle.slice(0, smallest)];
}

/**
 * Topological layers of `ids` (Kahn): wave 0 has no upstream inside `ids`, wave n depends only
 * on earlier waves. Throws {@link DependencyCycleError} naming the cycles when there is one.
 */
export function topologicalWaves(
  graph: DependencyGraph,
  ids: readonly string[] = graph.stackIds,
): string[][] {
  const inside = new Set(ids);
  const remaining = new Map<string, number>();
  for (const id of ids) {
    remaining.set(id, (graph.upstreams.get(id) ?? []).filter((up) => inside.has(up)).length);
  }
  const waves: string[][] = [];
  let current = ids.filter((id) => remaining.get(id) === 0);
  let placed = 0;
  while (current.length > 0) {
    waves.push(current);
    placed += current.length;
    const following: string[] = [];
    for (const id of current) {
      for (const down of graph.downstreams.get(id) ?? []) {
        if (!inside.has(down)) continue;
        const left = remaining.get(down)! - 1;
        remaining.set(down, left);
        if (left === 0) following.push(down);
      }
    }
    current = following;
  }
  if (placed < inside.size) throw new DependencyCycleError(findCycles(graph, ids));
  return waves;
}
