import {
  describeCycle,
  describeNativeConflict,
  downstreamClosure,
  findCycles,
  planFor,
  toDot,
  toJson,
  toMermaid,
  toTextTree,
  type DependencyGraph,
} from '../graph/index.js';
import type { Output } from './output.js';
import type { CommandGraph } from './service-graph.js';

export const GRAPH_FORMATS = ['tree', 'mermaid', 'dot', 'json'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

/** A stack id the graph does not know: a usage error worth a clear message. */
export class UnknownStackError extends Error {
  override readonly name = 'UnknownStackError';
  constructor(readonly stackId: string) {
    super(
      `Stack "${stackId}" does not exist (or the API key cannot see it). List stacks with \`spacelift-cascade graph\`.`,
    );
  }
}

function problems(graph: DependencyGraph): string[] {
  const out = findCycles(graph).map((c) => `cycle: ${describeCycle(c)}`);
  for (const u of graph.unknownDependencies)
    out.push(`dangling label: ${u.stackId} depends on unknown stack ${u.dependsOn}`);
  return out;
}

export async function graphCommand(
  source: CommandGraph,
  flags: { root?: string; format: GraphFormat },
  o: Output,
  err: (line: string) => void,
): Promise<number> {
  const { graph } = source;
  if (flags.root !== undefined && !graph.stackIds.includes(flags.root))
    throw new UnknownStackError(flags.root);
  const render = { tree: toTextTree, mermaid: toMermaid, dot: toDot, json: toJson }[
    o.json ? 'json' : flags.format
  ];
  o.out(render(graph, flags.root !== undefined ? { root: flags.root } : {}));
  if (!o.json) {
    for (const p of problems(graph)) err(`warning: ${p}`);
    for (const c of await source.conflicts()) err(`warning: ${describeNativeConflict(c)}`);
    if (source.servedBy) err(`(as ${source.servedBy} read it; --fresh reads Spacelift now)`);
  }
  return 0;
}

/** What `plan` cannot know: whether the runs will change anything. */
const EARLY_CUTOFF_NOTE =
  '  at most: a run that changes nothing (no resource delta, the same outputs) stops the cascade there (early cutoff)';

export function planCommand(
  source: CommandGraph,
  root: string,
  o: Output,
  err: (line: string) => void,
): number {
  const { graph } = source;
  if (!graph.stackIds.includes(root)) throw new UnknownStackError(root);
  const plan = planFor(graph, root);
  const { waves, cycles } = plan;
  const count = downstreamClosure(graph, root).length - 1;
  o.out(
    o.json
      ? JSON.stringify(plan, null, 2)
      : [
          count === 0
            ? `${root} has no dependents: a finished run of it triggers nothing.`
            : `A finished tracked run of ${root} would trigger ${count} stack(s):`,
          ...(cycles.length
            ? cycles.map((c) => `  refused: cycle ${describeCycle(c)} (nothing would be triggered)`)
            : waves.map((w, i) => `  wave ${i + 1}: ${w.join(', ')}${w.length > 1 ? ' (in parallel)' : ''}`)),
          ...plan.unknownDependencies.map(
            (u) => `  warning: ${u.stackId} depends on unknown stack ${u.dependsOn}`,
          ),
          ...(count > 0 && cycles.length === 0 ? [EARLY_CUTOFF_NOTE] : []),
        ].join('\n'),
  );
  if (source.servedBy && !o.json) err(`(as ${source.servedBy} read it; --fresh reads Spacelift now)`);
  return cycles.length ? 1 : 0;
}
