import { createHash } from 'node:crypto';
import type { StackWebhook } from 'spacelift-client';
import type { DependencyGraph } from '../graph/index.js';

/**
 * The query parameter that marks a webhook `connect` manages. Its value is a fingerprint of
 * the secret (never the secret): Spacelift does not return a webhook's secret, so this is how
 * `connect` tells a webhook signed with an old secret from one that is in place.
 */
const MANAGED_PARAM = 'spacelift-cascade';

/** A short one-way fingerprint of the webhook secret. */
export const secretFingerprint = (secret: string): string =>
  createHash('sha256').update(`spacelift-cascade:${secret}`).digest('hex').slice(0, 16);

/** The endpoint `connect` registers on each stack: the receiver's URL, marked as managed. */
export function managedEndpoint(url: string, secret: string): string {
  const endpoint = new URL(url);
  endpoint.searchParams.set(MANAGED_PARAM, secretFingerprint(secret));
  return endpoint.toString();
}

/** Whether `connect` created this webhook (whatever URL or secret it had then). */
export function isManaged(webhook: Pick<StackWebhook, 'endpoint'>): boolean {
  try {
    return new URL(webhook.endpoint).searchParams.has(MANAGED_PARAM);
  } catch {
    return false;
  }
}

/** The fields of a stack search that bring each stack's webhooks along (no request per stack). */
export const WEBHOOK_FIELDS = 'integrations { webhooks { id enabled endpoint } }';

/** Each stack's webhooks, from search results read with {@link WEBHOOK_FIELDS}. */
export function webhooksOf(stacks: ReadonlyArray<{ id?: string | null }>): Map<string, StackWebhook[]> {
  const found = new Map<string, StackWebhook[]>();
  for (const s of stacks) {
    const hooks = (s as { integrations?: { webhooks?: StackWebhook[] | null } | null }).integrations
      ?.webhooks;
    if (typeof s.id === 'string') found.set(s.id, hooks ?? []);
  }
  return found;
}

/** Stacks whose runs the cascade must hear of: every stack with an upstream or a dependent. */
export function stacksToConnect(graph: DependencyGraph): string[] {
  return graph.stackIds.filter(
    (id) => (graph.upstreams.get(id)?.length ?? 0) > 0 || (graph.downstreams.get(id)?.length ?? 0) > 0,
  );
}

export type WebhookChange =
  | { kind: 'create'; stackId: string }
  | { kind: 'update'; stackId: string; webhookId: string; why: string }
  | { kind: 'delete'; stackId: string; webhookId: string; why: string };

/**
 * What makes the stacks' managed webhooks match: one enabled webhook on `endpoint` per stack to
 * connect. Webhooks the user made are never touched; a stack that left the graph keeps its
 * webhook (it may gain dependents again), and `remove` deletes every managed webhook.
 */
export function planWebhookChanges(
  stacks: readonly string[],
  existing: ReadonlyMap<string, readonly StackWebhook[]>,
  endpoint: string,
  mode: 'connect' | 'remove',
): WebhookChange[] {
  const changes: WebhookChange[] = [];
  if (mode === 'remove') {
    for (const [stackId, webhooks] of existing)
      for (const w of webhooks.filter(isManaged))
        changes.push({ kind: 'delete', stackId, webhookId: w.id, why: 'connect --remove' });
    return changes;
  }
  for (const stackId of stacks) {
    const [kept, ...extra] = (existing.get(stackId) ?? []).filter(isManaged);
    if (!kept) {
      changes.push({ kind: 'create', stackId });
      continue;
    }
    const why = [
      ...(kept.endpoint === endpoint ? [] : [endpointChange(kept.endpoint, endpoint)]),
      ...(kept.enabled ? [] : ['Spacelift had disabled it']),
    ];
    if (why.length > 0) changes.push({ kind: 'update', stackId, webhookId: kept.id, why: why.join('; ') });
    for (const w of extra)
      changes.push({ kind: 'delete', stackId, webhookId: w.id, why: 'a second managed webhook' });
  }
  return changes;
}

function endpointChange(from: string, to: string): string {
  const base = (url: string) => {
    const u = new URL(url);
    u.searchParams.delete(MANAGED_PARAM);
    return u.toString();
  };
  return base(from) === base(to)
    ? 'the webhook secret changed'
    : `the receiver URL changed (was ${base(from)})`;
}
