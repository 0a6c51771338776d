import type { SpaceliftApi } from 'spacelift-client';
import { buildDependencyGraph, declaredUpstreams, type DependencyGraph } from './dependency-graph.js';

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

/** A stack that declares `dependsOn:` labels and also has Spacelift's native stack dependencies. */
export interface NativeDependencyConflict {
  stackId: string;
  /** Upstreams from the labels. */
  labelled: string[];
  /** Upstreams from native dependencies (`stackDependencyCreate`). */
  native: string[];
}

/**
 * Stacks with both kinds of dependency: Spacelift queues their native dependents itself, so
 * the cascade and Spacelift would both run them. One paged search, like the graph read.
 */
export async function findNativeDependencyConflicts(
  api: SpaceliftApi,
  labelPrefix: string,
): Promise<NativeDependencyConflict[]> {
  const stacks = await api.searchStacks({ queryFields: ['id', 'labels', 'dependsOn { dependsOnStackId }'] });
  const out: NativeDependencyConflict[] = [];
  for (const s of stacks) {
    if (typeof s.id !== 'string') continue;
    const labelled = declaredUpstreams(s.labels ?? [], labelPrefix);
    const native = ((s as { dependsOn?: Array<{ dependsOnStackId: string }> }).dependsOn ?? []).map(
      (d) => d.dependsOnStackId,
    );
    if (labelled.length > 0 && native.length > 0) out.push({ stackId: s.id, labelled, native });
  }
  return out;
}

/** One warning line for a conflict. */
export const describeNativeConflict = (c: NativeDependencyConflict): string =>
  `${c.stackId} has dependsOn labels (${c.labelled.join(', ')}) and native Spacelift dependencies ` +
  `(${c.native.join(', ')}): both would run it; keep one kind`;
