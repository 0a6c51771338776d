import { ulid } from './ids.js';
import type { Stacks } from './stacks.js';
import { notFound, SpaceliftStoreError } from './store-error.js';

/** A stack's webhook integration (`webhooksIntegrationCreate`), with the schema's field names. */
export interface StackWebhookRecord {
  id: string;
  stackId: string;
  enabled: boolean;
  endpoint: string;
  /** Signs deliveries; the API reads it back as an empty string, as Spacelift does since 2025. */
  secret: string;
  /** Redeliver after a 5xx answer or a failed connection (Spacelift's default: false). */
  retryOnFailure: boolean;
  /** Not in the API: failed deliveries in a row, kept by the webhook sender (10 disable it). */
  consecutiveFailures: number;
}

/** `WebhooksIntegrationInput`. */
export interface StackWebhookSettings {
  enabled: boolean;
  endpoint: string;
  secret: string;
  retryOnFailure?: boolean | null;
}

function validEndpoint(endpoint: string): string {
  let url: URL | null = null;
  try {
    url = new URL(endpoint);
  } catch {
    // Refused below.
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new SpaceliftStoreError('INVALID_INPUT', `webhook endpoint "${endpoint}" is not an http(s) URL`);
  }
  return endpoint;
}

/** Webhook integrations by stack: where each stack's run state changes are delivered. */
export class StackWebhooks {
  private readonly byStack = new Map<string, StackWebhookRecord[]>();

  constructor(
    private readonly stacks: Stacks,
    private readonly now: () => number,
  ) {}

  /** The stack's webhooks in creation order (none for an unknown stack). */
  ofStack(stackId: string): readonly StackWebhookRecord[] {
    return this.byStack.get(stackId) ?? [];
  }

  /** Every stack's webhooks. */
  list(): StackWebhookRecord[] {
    return [...this.byStack.values()].flat();
  }

  /** The stack's webhook `id`; NOT_FOUND for an unknown stack or webhook. */
  require(stackId: string, id: string): StackWebhookRecord {
    this.stacks.require(stackId);
    const webhook = this.ofStack(stackId).find((w) => w.id === id);
    if (!webhook) throw notFound('webhook', id);
    return webhook;
  }

  /** A new webhook on the stack, with a ULID id; a missing `retryOnFailure` is false. */
  create(stackId: string, input: StackWebhookSettings): StackWebhookRecord {
    this.stacks.require(stackId);
    const webhook: StackWebhookRecord = {
      id: ulid(this.now()),
      stackId,
      enabled: input.enabled,
      endpoint: validEndpoint(input.endpoint),
      secret: input.secret,
      retryOnFailure: input.retryOnFailure ?? false,
      consecutiveFailures: 0,
    };
    this.byStack.set(stackId, [...this.ofStack(stackId), webhook]);
    return webhook;
  }

  /**
   * Replaces the settings (a missing `retryOnFailure` is false). An empty secret keeps the
   * current one: Spacelift's Terraform provider updates with an empty secret and expects
   * deliveries to stay signed. Enabling starts the count of failures in a row afresh.
   */
  update(stackId: string, id: string, input: StackWebhookSettings): StackWebhookRecord {
    const webhook = this.require(stackId, id);
    Object.assign(webhook, {
      enabled: input.enabled,
      endpoint: validEndpoint(input.endpoint),
      secret: input.secret === '' ? webhook.secret : input.secret,
      retryOnFailure: input.retryOnFailure ?? false,
    });
    if (webhook.enabled) webhook.consecutiveFailures = 0;
    return webhook;
  }

  delete(stackId: string, id: string): StackWebhookRecord {
    const webhook = this.require(stackId, id);
    this.byStack.set(
      stackId,
      this.ofStack(stackId).filter((w) => w !== webhook),
    );
    return webhook;
  }

  /** Whether the webhook is still there (deliveries queued for a deleted one are not sent). */
  has(webhook: StackWebhookRecord): boolean {
    return this.ofStack(webhook.stackId).includes(webhook);
  }

  /** Forgets a deleted stack's webhooks. */
  removeStack(stackId: string): void {
    this.byStack.delete(stackId);
  }
}
