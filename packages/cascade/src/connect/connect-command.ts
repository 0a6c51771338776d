import { Spacelift, SIGNATURE_256_HEADER, signWebhookBody, type SpaceliftApi } from 'spacelift-client';
import type { SpaceliftCredentials } from '../config/service-config.js';
import {
  buildDependencyGraph,
  describeCycle,
  findCycles,
  findNativeDependencyConflicts,
} from '../graph/index.js';
import type { Output } from '../cli/output.js';
import {
  managedEndpoint,
  planWebhookChanges,
  stacksToConnect,
  webhooksOf,
  WEBHOOK_FIELDS,
  type WebhookChange,
} from './webhook-plan.js';

/** Webhooks changed at once: a 1,000-stack estate in seconds, gently. */
const CONCURRENCY = 8;

export interface ConnectOptions {
  /** The receiver's public URL, e.g. https://cascade.example.com/webhook. */
  url: string;
  /** The secret the receiver checks (SPACELIFT_WEBHOOK_SECRET, the first one). */
  secret: string;
  labelPrefix: string;
  dryRun: boolean;
  remove: boolean;
}

export interface ConnectReport {
  stacks: number;
  connected: number;
  changes: WebhookChange[];
  apiCalls: number;
  mutations: number;
  receiver: { ok: boolean; message: string } | null;
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** A Spacelift client that counts its HTTP requests. */
export function countingClient(credentials: SpaceliftCredentials): {
  api: SpaceliftApi;
  calls: () => number;
} {
  let calls = 0;
  const api = new Spacelift({
    ...credentials,
    fetch: (input, init) => {
      calls++;
      return globalThis.fetch(input, init);
    },
  });
  return { api, calls: () => calls };
}

/**
 * `spacelift-cascade connect`: makes Spacelift deliver the run events of every stack of the
 * dependency graph to the receiver at `url` (one managed webhook per stack, created or fixed),
 * then checks that the receiver answers a signed request. Idempotent: a second run changes nothing.
 */
export async function connectCommand(
  client: { api: SpaceliftApi; calls: () => number },
  options: ConnectOptions,
  o: Output,
): Promise<ConnectReport> {
  const { api } = client;
  const say = (line: string) => {
    if (!o.json) o.out(line);
  };
  const endpoint = managedEndpoint(options.url, options.secret);
  // One paged search brings the labels and every stack's webhooks.
  const stacks = await api.searchStacks({ queryFields: ['id', 'labels', WEBHOOK_FIELDS] });
  const graph = buildDependencyGraph(
    stacks.flatMap((s) => (typeof s.id === 'string' ? [{ id: s.id, labels: s.labels ?? [] }] : [])),
    options.labelPrefix,
  );
  const existing = webhooksOf(stacks);
  const spaces = await api.getSpaces();
  const connected = stacksToConnect(graph);
  const cycles = findCycles(graph);
  const native = await findNativeDependencyConflicts(api, options.labelPrefix);
  say(`The API key reads ${graph.stackIds.length} stack(s) in ${spaces.length} space(s).`);
  say(`${connected.length} stack(s) take part in dependencies (an upstream or a dependent).`);
  for (const u of graph.unknownDependencies)
    say(`  warning: ${u.stackId} depends on unknown stack ${u.dependsOn}`);
  for (const c of cycles) say(`  warning: cycle ${describeCycle(c)} (its stacks never run)`);
  for (const c of native)
    say(
      `  warning: ${c.stackId} also has native Spacelift dependencies (${c.native.join(', ')}); keep one kind`,
    );

  const changes = planWebhookChanges(connected, existing, endpoint, options.remove ? 'remove' : 'connect');
  let mutations = 0;
  const input = { endpoint, secret: options.secret, enabled: true, retryOnFailure: true };
  await mapLimited(changes, CONCURRENCY, async (change) => {
    const verb = { create: 'create', update: 'update', delete: 'delete' }[change.kind];
    const why = change.kind === 'create' ? '' : ` (${change.why})`;
    if (options.dryRun) {
      say(`  would ${verb} the webhook of ${change.stackId}${why}`);
      return;
    }
    if (change.kind === 'create') await api.createStackWebhook(change.stackId, input);
    else if (change.kind === 'update') await api.updateStackWebhook(change.stackId, change.webhookId, input);
    else await api.deleteStackWebhook(change.stackId, change.webhookId);
    mutations++;
    say(`  ${verb}d the webhook of ${change.stackId}${why}`);
  });
  const counts = (kind: WebhookChange['kind']) => changes.filter((c) => c.kind === kind).length;
  const [created, updated, deleted] = [counts('create'), counts('update'), counts('delete')];
  if (changes.length === 0) {
    say(
      options.remove
        ? 'No managed webhook left to remove.'
        : `Every one of the ${connected.length} stack(s) already delivers to ${options.url}.`,
    );
  } else if (options.dryRun) {
    say(`Dry run: would create ${created}, update ${updated}, delete ${deleted}; nothing was changed.`);
  } else {
    say(`Done: created ${created}, updated ${updated}, deleted ${deleted}.`);
  }
  const receiver = options.remove ? null : await checkReceiver(endpoint, options.secret);
  if (receiver) say(receiver.ok ? `Receiver: ${receiver.message}` : `Receiver problem: ${receiver.message}`);
  const report: ConnectReport = {
    stacks: graph.stackIds.length,
    connected: connected.length,
    changes,
    apiCalls: client.calls(),
    mutations,
    receiver,
  };
  say(`${report.apiCalls} Spacelift API call(s), ${mutations} change(s) made.`);
  if (o.json) o.out(JSON.stringify(report, null, 2));
  return report;
}

/**
 * Sends the receiver a signed event it acknowledges and ignores, as Spacelift would, and says in
 * words why it did not answer 202 (DNS, TLS, refused, wrong secret, wrong path).
 */
async function checkReceiver(endpoint: string, secret: string): Promise<{ ok: boolean; message: string }> {
  const body = JSON.stringify({
    event_type: 'spacelift_cascade_connect_check',
    event_source: 'spacelift-cascade',
  });
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_256_HEADER]: signWebhookBody(secret, body) },
      body,
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    return { ok: false, message: unreachable(new URL(endpoint), err) };
  }
  const where = new URL(endpoint);
  where.search = '';
  switch (response.status) {
    case 202:
      return { ok: true, message: `${where.toString()} answers signed requests` };
    case 401:
      return {
        ok: false,
        message: `${where.toString()} refused the signature (401): its SPACELIFT_WEBHOOK_SECRET is not the one connect used`,
      };
    case 404:
    case 405:
      return {
        ok: false,
        message: `${where.toString()} has no webhook there (${response.status}): the receiver's path is /webhook`,
      };
    default:
      return {
        ok: false,
        message: `${where.toString()} answered ${response.status}: check the receiver's log`,
      };
  }
}

function unreachable(url: URL, err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = (cause as { code?: string } | undefined)?.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `${url.hostname} does not resolve (DNS): check the --url host`;
  if (code === 'ECONNREFUSED')
    return `nothing listens at ${url.host}: is the receiver running, and is the port public?`;
  if (/CERT|TLS|SSL/i.test(code))
    return `TLS failed for ${url.host} (${code}): the receiver needs a certificate Spacelift trusts`;
  if (err instanceof Error && err.name === 'TimeoutError') return `${url.host} did not answer within 10 s`;
  return `${url.host} could not be reached (${code || (cause instanceof Error ? cause.message : String(cause))})`;
}
