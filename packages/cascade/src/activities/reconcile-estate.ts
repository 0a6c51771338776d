import { createHash } from 'node:crypto';
import type { SpaceliftApi } from 'spacelift-client';
import type { RunObservation } from '../cascade-contract.js';
import { declaredUpstreams, type GraphNode } from '../graph/dependency-graph.js';
import { callSpacelift } from './spacelift-failure.js';
import { observationOf } from './run-observation.js';
import type { ReconcileInput, ReconcileResult } from './types.js';

/**
 * One reconciliation pass: one paged stack search (labels, state, `stateSetAt`), then the
 * runs of only the stacks whose state changed since the previous pass. Finds changes whose
 * webhooks were lost and refreshes the graph. The first pass (no cursor) reads the graph only:
 * the estate's past is not a change.
 */
export async function reconcileEstate(api: SpaceliftApi, input: ReconcileInput): Promise<ReconcileResult> {
  const stacks = await callSpacelift('search stacks', () =>
    api.searchStacks({ queryFields: ['id', 'labels', 'state', 'stateSetAt'] }),
  );
  const nodes: GraphNode[] = [];
  const changed: string[] = [];
  let cursor = input.cursor;
  for (const s of stacks) {
    if (typeof s.id !== 'string') continue;
    nodes.push({ id: s.id, dependsOn: declaredUpstreams(s.labels ?? [], input.labelPrefix) });
    const setAt = (s as { stateSetAt?: number | null }).stateSetAt ?? null;
    if (setAt === null) continue;
    if (input.cursor !== null && setAt >= input.cursor) changed.push(s.id);
    cursor = Math.max(cursor ?? setAt, setAt);
  }
  const since = input.cursor;
  const observations: RunObservation[] = [];
  if (since !== null) {
    for (const stackId of changed) {
      const runs = await callSpacelift(`list runs of stack ${stackId}`, () => api.getStackRuns(stackId));
      // Newest first: keep the runs touched since the previous pass, then put them in order.
      const recent = (runs ?? []).filter(
        (r) => Math.max(r.createdAt, ...r.history.map((h) => h.timestamp)) >= since,
      );
      observations.push(...recent.reverse().map((r) => observationOf(stackId, r)));
    }
  }
  const graphDigest = createHash('sha256').update(JSON.stringify(nodes)).digest('base64url');
  return {
    nodes: graphDigest === input.graphDigest ? null : nodes,
    graphDigest,
    cursor,
    observations,
    stacksRead: since === null ? 0 : changed.length,
    totalStacks: nodes.length,
  };
}
