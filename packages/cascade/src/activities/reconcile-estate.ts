import { createHash } from 'node:crypto';
import type { SpaceliftApi } from 'spacelift-client';
import {
  isManaged,
  managedEndpoint,
  planWebhookChanges,
  stacksToConnect,
  webhooksOf,
  WEBHOOK_FIELDS,
} from '../connect/webhook-plan.js';
import { buildDependencyGraph } from '../graph/dependency-graph.js';
import type { RunObservation } from '../cascade-contract.js';
import { cascadeLabelsOf, declaredUpstreams, type GraphNode } from '../graph/dependency-graph.js';
import { callSpacelift } from './spacelift-failure.js';
import { NATIVE_DEPENDENCY_FIELD, STACK_RECORD_FIELDS, stackRecordsOf } from '../dashboard/estate-graph.js';
import type { EstateCatalog } from '../service/estate-catalog.js';
import { observationOf } from './run-observation.js';
import type { ReconcileInput, ReconcileResult } from './types.js';

/**
 * One reconciliation pass: one paged stack search (labels, state, `stateSetAt`), then the
 * runs of only the stacks whose state changed since the previous pass. Finds changes whose
 * webhooks were lost and refreshes the graph. The first pass (no cursor) reads the graph only:
 * the estate's past is not a change.
 */
export async function reconcileEstate(
  api: SpaceliftApi,
  input: ReconcileInput,
  managed: ManagedWebhooks | null = null,
  catalog: EstateCatalog | null = null,
): Promise<ReconcileResult> {
  // The stacks' webhooks, and what the dashboard draws, come with the same search pages.
  const fields = ['state', 'stateSetAt', WEBHOOK_FIELDS, ...STACK_RECORD_FIELDS];
  const search = (queryFields: string[]) =>
    callSpacelift('search stacks', () => api.searchStacks({ queryFields }));
  // An API that does not give native dependencies on search results still gives the rest.
  const stacks = await search([...fields, NATIVE_DEPENDENCY_FIELD]).catch(() => search(fields));
  catalog?.update(stackRecordsOf(stacks), Date.now());
  const nodes: GraphNode[] = [];
  const changed: string[] = [];
  let cursor = input.cursor;
  for (const s of stacks) {
    if (typeof s.id !== 'string') continue;
    const marks = cascadeLabelsOf(s.labels ?? []);
    nodes.push({
      id: s.id,
      dependsOn: declaredUpstreams(s.labels ?? [], input.labelPrefix),
      ...(marks.length > 0 && { cascadeLabels: marks }),
    });
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
  const webhooks = await checkWebhooks(api, stacks, nodes, input.labelPrefix, managed);
  return {
    ...webhooks,
    nodes: graphDigest === input.graphDigest ? null : nodes,
    graphDigest,
    cursor,
    observations,
    stacksRead: since === null ? 0 : changed.length,
    totalStacks: nodes.length,
  };
}

/** Where `connect` points the stacks' webhooks, when the worker keeps them so (CASCADE_MANAGE_WEBHOOKS). */
export interface ManagedWebhooks {
  url: string;
  secret: string;
}

/**
 * The graph's stacks that no webhook made by `connect` reaches; with managed webhooks, fixes
 * them first. Estates that never ran `connect` (webhooks made by hand, or a notification
 * policy) are not judged.
 */
async function checkWebhooks(
  api: SpaceliftApi,
  stacks: ReadonlyArray<{ id?: string | null }>,
  nodes: readonly GraphNode[],
  labelPrefix: string,
  managed: ManagedWebhooks | null,
): Promise<Pick<ReconcileResult, 'unconnected' | 'webhooksFixed'>> {
  const existing = webhooksOf(stacks);
  const anyManaged = [...existing.values()].some((hooks) => hooks.some(isManaged));
  if (!anyManaged && managed === null) return {};
  const graph = buildDependencyGraph(
    nodes.map((n) => ({ id: n.id, labels: n.dependsOn.map((d) => `${labelPrefix}${d}`) })),
    labelPrefix,
  );
  const wanted = stacksToConnect(graph);
  let webhooksFixed = 0;
  if (managed) {
    const endpoint = managedEndpoint(managed.url, managed.secret);
    const input = { endpoint, secret: managed.secret, enabled: true, retryOnFailure: true };
    for (const change of planWebhookChanges(wanted, existing, endpoint, 'connect')) {
      if (change.kind === 'create') {
        const hook = await callSpacelift(`create the webhook of ${change.stackId}`, () =>
          api.createStackWebhook(change.stackId, input),
        );
        existing.set(change.stackId, [...(existing.get(change.stackId) ?? []), hook]);
      } else if (change.kind === 'update') {
        const hook = await callSpacelift(`fix the webhook of ${change.stackId}`, () =>
          api.updateStackWebhook(change.stackId, change.webhookId, input),
        );
        existing.set(
          change.stackId,
          (existing.get(change.stackId) ?? []).map((h) => (h.id === hook.id ? hook : h)),
        );
      } else {
        continue; // A second managed webhook is connect's to remove, not a pass's.
      }
      webhooksFixed++;
    }
  }
  const unconnected = wanted.filter((id) => !(existing.get(id) ?? []).some((h) => isManaged(h) && h.enabled));
  return { unconnected, webhooksFixed };
}
