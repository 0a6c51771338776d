import type { SpaceliftApi } from 'spacelift-client';
import { buildDependencyGraph, type DependencyGraph } from './dependency-graph.js';

/**
 * Reads every stack's labels with one paged `searchStacks` (not one request per stack) and
 * builds the dependency graph.
 */
export async function readStackGraph(api: SpaceliftApi, labelPrefix: string): Promise<DependencyGraph> {
  const stacks = await api.searchStacks({ queryFields: ['id', 'name', 'labels', 'space'] });
  return buildDependencyGraph(
    stacks.flatMap((s) => (typeof s.id === 'string' ? [{ id: s.id, labels: s.labels ?? [] }] : [])),
    labelPrefix,
  );
}
