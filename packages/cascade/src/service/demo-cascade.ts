import type { Simulator } from 'spacelift-simulator';
import { tally } from '../cli/cascade-report.js';
import { followRun } from '../cli/follow-cascade.js';
import { buildDependencyGraph, downstreamClosure } from '../graph/index.js';
import type { Coordinator } from '../temporal/coordinator.js';

/**
 * The demo's push: the stack with the largest downstream closure, and the direct dependent of
 * it with the largest closure of its own (one commit that changed a stack and its upstream).
 */
function demoPush(simulator: Simulator, labelPrefix: string): string[] {
  const stacks = simulator.store.listStacks().map((s) => ({ id: s.id, labels: s.labels }));
  const graph = buildDependencyGraph(stacks, labelPrefix);
  const largest = (ids: readonly string[]) => {
    let best: { id: string; size: number } | null = null;
    for (const id of ids) {
      const size = downstreamClosure(graph, id).length;
      if (!best || size > best.size) best = { id, size };
    }
    return best?.id ?? null;
  };
  const root = largest(stacks.map((s) => s.id));
  if (root === null) return [];
  const child = largest(graph.downstreams.get(root) ?? []);
  return child === null ? [root] : [root, child];
}

/**
 * Pushes one commit that changes a stack and one of its dependents together (as a monorepo
 * push would) and prints the cascade as it goes: every stack still runs once, after both.
 */
export async function runDemoCascade(
  simulator: Simulator,
  coordinator: Coordinator,
  out: (line: string) => void,
): Promise<void> {
  const pushed = demoPush(simulator, coordinator.ref.options.labelPrefix);
  if (pushed.length === 0) return;
  const runs = pushed.map((id) =>
    simulator.store.triggerRun(id, { type: 'TRACKED', triggeredBy: 'demo-push' }),
  );
  out(
    `Demo: pushed one commit changing ${pushed.map((id, i) => `"${id}" (run ${runs[i]!.id})`).join(' and ')}; ` +
      'the stacks below wait for both, and each runs once.',
  );
  const result = await followRun(coordinator, pushed[0]!, runs[0]!.id, {
    out: (line) => out(`Demo: ${line}`),
    tty: false,
    waitForCascadeMs: 10 * 60_000,
  });
  if (result.kind !== 'cascade') {
    out(`Demo: the pushed run ended without a cascade (${result.kind}).`);
    return;
  }
  const t = tally(result.view);
  const runsMade = Object.values(result.view.stacks).reduce((n, s) => n + s.runs.length, 0);
  out(
    `Demo cascade ${result.view.phase}: ${t.finished} finished, ${t.failed} failed, ` +
      `${t.blocked + t.cyclic} blocked of ${t.total} stacks, ${runsMade} runs. ` +
      'Open the Temporal Web UI to see the coordinator workflow.',
  );
}
