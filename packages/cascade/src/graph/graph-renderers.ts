/**
 * Renders a dependency graph (or the downstream closure of one stack) as Mermaid, Graphviz
 * DOT, an indented text tree, or JSON. Edges point from a stack to the stacks that depend on it.
 */
import { downstreamClosure, type DependencyGraph } from './dependency-graph.js';

export interface RenderOptions {
  /** Render only this stack and everything downstream of it. */
  root?: string;
}

function selection(graph: DependencyGraph, options: RenderOptions): string[] {
  if (options.root !== undefined) return downstreamClosure(graph, options.root);
  const ids = new Set(graph.stackIds);
  for (const { dependsOn } of graph.unknownDependencies) ids.add(dependsOn);
  return [...ids];
}

function edges(graph: DependencyGraph, ids: readonly string[]): Array<[string, string]> {
  const inside = new Set(ids);
  const out: Array<[string, string]> = [];
  for (const from of ids) {
    for (const to of graph.downstreams.get(from) ?? []) if (inside.has(to)) out.push([from, to]);
  }
  return out;
}

/** Mermaid flowchart; node keys are generated (`s0`, `s1`...) because stack ids may hold any character. */
export function toMermaid(graph: DependencyGraph, options: RenderOptions = {}): string {
  const ids = selection(graph, options);
  const key = new Map(ids.map((id, i) => [id, `s${i}`]));
  const known = new Set(graph.stackIds);
  const lines = ['flowchart TD'];
  for (const id of ids) {
    const label = id.replace(/"/g, '#quot;') + (known.has(id) ? '' : ' (unknown)');
    lines.push(`  ${key.get(id)}["${label}"]`);
  }
  for (const [from, to] of edges(graph, ids)) lines.push(`  ${key.get(from)} --> ${key.get(to)}`);
  return lines.join('\n') + '\n';
}

const dotString = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** Graphviz DOT digraph; unknown stacks are drawn dashed. */
export function toDot(graph: DependencyGraph, options: RenderOptions = {}): string {
  const ids = selection(graph, options);
  const known = new Set(graph.stackIds);
  const lines = ['digraph stacks {', '  rankdir=TB;'];
  for (const id of ids) lines.push(`  ${dotString(id)}${known.has(id) ? '' : ' [style=dashed]'};`);
  for (const [from, to] of edges(graph, ids)) lines.push(`  ${dotString(from)} -> ${dotString(to)};`);
  lines.push('}');
  return lines.join('\n') + '\n';
}

/**
 * Indented tree of dependents. A stack reached a second time (a diamond) or closing a cycle is
 * printed once more with a marker instead of its subtree, so output stays linear in the graph size.
 */
export function toTextTree(graph: DependencyGraph, options: RenderOptions = {}): string {
  const roots =
    options.root !== undefined
      ? [options.root]
      : graph.stackIds.filter((id) =>
          (graph.upstreams.get(id) ?? []).every((up) => !graph.upstreams.has(up)),
        );
  const printed = new Set<string>();
  const lines: string[] = [];
  // Explicit stack instead of recursion: a 10,000-stack chain is 10,000 levels deep.
  const todo = roots
    .slice()
    .reverse()
    .map((id) => ({ id, depth: 0 }));
  while (todo.length > 0) {
    const { id, depth } = todo.pop()!;
    const indent = '  '.repeat(depth);
    if (printed.has(id)) {
      lines.push(`${indent}${id} (see above)`);
      continue;
    }
    printed.add(id);
    lines.push(`${indent}${id}`);
    const children = graph.downstreams.get(id) ?? [];
    for (let i = children.length - 1; i >= 0; i--) todo.push({ id: children[i]!, depth: depth + 1 });
  }
  // Stacks only reachable through a cycle have no root; list them so nothing is silently dropped.
  const rest = options.root === undefined ? graph.stackIds.filter((id) => !printed.has(id)) : [];
  if (rest.length > 0) lines.push(`(in a cycle, no root: ${rest.join(', ')})`);
  return lines.join('\n') + '\n';
}

/** JSON: `{ stacks: [{ id, dependsOn, dependents }], unknownDependencies }`. */
export function toJson(graph: DependencyGraph, options: RenderOptions = {}): string {
  const ids = selection(graph, options).filter((id) => graph.upstreams.has(id) || id === options.root);
  const inside = new Set(ids);
  const stacks = ids.map((id) => ({
    id,
    dependsOn: (graph.upstreams.get(id) ?? []).filter((up) => options.root === undefined || inside.has(up)),
    dependents: (graph.downstreams.get(id) ?? []).filter((d) => inside.has(d)),
  }));
  const unknownDependencies = graph.unknownDependencies.filter((u) => inside.has(u.stackId));
  return JSON.stringify({ stacks, unknownDependencies }, null, 2) + '\n';
}
