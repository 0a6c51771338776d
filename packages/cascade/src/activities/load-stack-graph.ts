import type { SpaceliftApi } from 'spacelift-client';
import { closureNodes } from '../graph/dependency-graph.js';
import { readStackGraph } from '../graph/read-stack-graph.js';
import { callSpacelift } from './spacelift-failure.js';
import type { LoadStackGraphInput, StackGraphSnapshot } from './types.js';

/** Reads the whole graph with one paged search and keeps the root's downstream closure. */
export async function loadClosure(
  api: SpaceliftApi,
  input: LoadStackGraphInput,
): Promise<StackGraphSnapshot> {
  const graph = await callSpacelift('search stacks', () => readStackGraph(api, input.labelPrefix));
  const nodes = closureNodes(graph, input.rootStackId);
  const inside = new Set(nodes.map((n) => n.id));
  const unknownDependencies = graph.unknownDependencies.filter(
    (u) => inside.has(u.stackId) && u.dependsOn !== input.rootStackId,
  );
  return { nodes, unknownDependencies, totalStacks: graph.stackIds.length };
}
