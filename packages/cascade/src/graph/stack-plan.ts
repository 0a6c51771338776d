import {
  closureNodes,
  DependencyCycleError,
  fromNodes,
  topologicalWaves,
  type DependencyGraph,
} from './dependency-graph.js';

/** What a finished tracked run of `root` would trigger, in waves (the CLI's `plan`). */
export interface StackPlan {
  root: string;
  waves: string[][];
  cycles: string[][];
  unknownDependencies: Array<{ stackId: string; dependsOn: string }>;
}

/** The waves of stacks a finished run of `root` triggers; a cycle in the closure refuses them all. */
export function planFor(graph: DependencyGraph, root: string): StackPlan {
  const closure = fromNodes(closureNodes(graph, root));
  const inside = new Set(closure.stackIds);
  let waves: string[][] = [];
  let cycles: string[][] = [];
  try {
    // The root already finished, so the waves start with its direct dependents.
    waves = topologicalWaves(closure, closure.stackIds).slice(1);
  } catch (e) {
    if (!(e instanceof DependencyCycleError)) throw e;
    cycles = e.cycles;
  }
  return {
    root,
    waves,
    cycles,
    unknownDependencies: graph.unknownDependencies.filter((u) => u.stackId !== root && inside.has(u.stackId)),
  };
}
