import { signWebhookBody, signWebhookBodySha1 } from 'spacelift-client';
import { shuffled } from './seeded-random.js';
import type { SimulatorConfig } from './simulator-options.js';
import type { SimulatorStats, WebhookStatus } from './simulator-stats.js';
import type { RunStateChange } from './spacelift/runs.js';
import type { SpaceliftStore } from './spacelift/spacelift-store.js';
import type { StackWebhookRecord } from './spacelift/stack-webhooks.js';
import { runStateWebhookPayload } from './webhook-payload.js';

/** Redeliveries after a 5xx answer (or a failed connection), as Spacelift's "retry on failure". */
const MAX_WEBHOOK_RETRIES = 3;

interface Delivery {
  body: string;
}

/** Where and how to send, read when a delivery goes out (an integration may change meanwhile). */
interface Endpoint {
  url: string;
  secret: string;
  headers: Record<string, string>;
  retries: number;
}

/** A receiver of deliveries: a `--webhook-url`, or a webhook integration of the run's stack. */
interface Destination {
  /** One run's deliveries to one destination go out one after another. */
  readonly key: string;
  /** Its failures in a row. */
  readonly health: { consecutiveFailures: number };
  /** Null while it takes no deliveries (disabled, or deleted). */
  endpoint(): Endpoint | null;
  /** Stops its deliveries after too many failures; returns the notice to log. */
  disable(failures: number): string;
}

const disabledNotice = (what: string, failures: number, enableAgain: string) =>
  `${what} disabled after ${failures} failed deliveries in a row, as Spacelift does; ${enableAgain}`;

/**
 * Posts a signed webhook for every run state change to each configured URL and to the
 * enabled webhook integrations of the run's stack (each signed with its own secret).
 * Deliveries of one run go out one after another, in order (unless the shuffle knob is on).
 */
export class WebhookSender {
  /** Per destination and run: the tail of its delivery chain. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Per run: deliveries held back until the run ends, for the shuffle knob. */
  private readonly held = new Map<string, Delivery[]>();
  private readonly unsubscribe: () => void;
  /** The `--webhook-url` destinations; their health is in `stats.webhooks`. */
  private readonly urls: Destination[];

  constructor(
    private readonly store: SpaceliftStore,
    private readonly config: SimulatorConfig['webhooks'] & { account: string; baseUrl: string },
    private readonly faults: SimulatorConfig['faults'],
    private readonly random: () => number,
    private readonly stats: SimulatorStats,
    private readonly fetchImpl: typeof fetch,
    private readonly log: (message: string) => void,
  ) {
    this.urls = config.urls.map((url) => {
      const status: WebhookStatus = { url, consecutiveFailures: 0, disabled: false };
      stats.webhooks.push(status);
      const endpoint = { url, secret: config.secret, headers: config.headers, retries: MAX_WEBHOOK_RETRIES };
      return {
        key: `url ${url}`,
        health: status,
        endpoint: () => (status.disabled ? null : endpoint),
        disable: (failures) => {
          status.disabled = true;
          return disabledNotice(`webhook ${url}`, failures, 'restart the simulator to enable it again');
        },
      };
    });
    // Always listening: webhook integrations can be added at any time.
    this.unsubscribe = store.onRunStateChange((c) => this.onChange(c));
  }

  /** Resolves once every delivery queued so far has been sent or has failed. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all(this.chains.values());
  }

  /** Stops listening and waits for queued deliveries. */
  async stop(): Promise<void> {
    this.unsubscribe();
    await this.idle();
  }

  private integration(webhook: StackWebhookRecord): Destination {
    return {
      key: `integration ${webhook.id}`,
      health: webhook,
      endpoint: () =>
        webhook.enabled && this.store.webhooks.has(webhook)
          ? {
              url: webhook.endpoint,
              secret: webhook.secret,
              headers: {},
              retries: webhook.retryOnFailure ? MAX_WEBHOOK_RETRIES : 0,
            }
          : null,
      disable: (failures) => {
        webhook.enabled = false;
        return disabledNotice(
          `webhook ${webhook.id} of stack ${webhook.stackId} (${webhook.endpoint})`,
          failures,
          'webhooksIntegrationUpdate with enabled: true enables it again',
        );
      },
    };
  }

  /** Every destination of a change of this stack (disabled ones count their skipped deliveries). */
  private destinations(stackId: string): Destination[] {
    const integrations = this.store.webhooks.ofStack(stackId).map((w) => this.integration(w));
    return integrations.length === 0 ? this.urls : [...this.urls, ...integrations];
  }

  private onChange(change: RunStateChange): void {
    // Nobody to tell: draw no random numbers either, so the fault knobs replay the same.
    if (this.urls.length === 0 && this.store.webhooks.ofStack(change.stack.id).length === 0) return;
    const payload = runStateWebhookPayload(this.config.account, this.config.baseUrl, change);
    const delivery = { body: JSON.stringify(payload) };
    const { id: runId, stackId } = change.run;
    if (!this.faults.shuffleDeliveries) {
      this.enqueue(stackId, runId, [delivery]);
      return;
    }
    const held = [...(this.held.get(runId) ?? []), delivery];
    // A run that ended or waits for a human sends nothing more for a while: flush it now.
    if (change.transition.terminal || change.transition.state === 'UNCONFIRMED') {
      this.held.delete(runId);
      this.enqueue(stackId, runId, shuffled(held, this.random));
    } else {
      this.held.set(runId, held);
    }
  }

  private enqueue(stackId: string, runId: string, deliveries: Delivery[]): void {
    const toSend: Delivery[] = [];
    for (const delivery of deliveries) {
      if (this.random() < this.faults.dropRate) {
        this.stats.deliveries.dropped++;
        continue;
      }
      for (let i = 0; i < this.faults.deliveryCopies; i++) toSend.push(delivery);
    }
    for (const destination of this.destinations(stackId)) {
      const key = `${destination.key}\n${runId}`;
      const chain = (this.chains.get(key) ?? Promise.resolve()).then(async () => {
        for (const delivery of toSend) await this.deliver(destination, delivery.body);
      });
      this.chains.set(key, chain);
      void chain.finally(() => {
        if (this.chains.get(key) === chain) this.chains.delete(key);
      });
    }
  }

  private async deliver(destination: Destination, body: string): Promise<void> {
    const endpoint = destination.endpoint();
    if (!endpoint) {
      this.stats.deliveries.skippedDisabled++;
      return;
    }
    const { health } = destination;
    if (await this.attempts(endpoint, body)) {
      health.consecutiveFailures = 0;
      return;
    }
    health.consecutiveFailures++;
    const limit = this.config.disableAfterFailures;
    // Deliveries already on their way when it was disabled fail too: say it once.
    if (limit > 0 && health.consecutiveFailures >= limit && destination.endpoint() !== null) {
      this.log(destination.disable(health.consecutiveFailures));
    }
  }

  /** Sends one delivery with its retries; true when it was answered with 2xx. */
  private async attempts(endpoint: Endpoint, body: string): Promise<boolean> {
    const headers: Record<string, string> = { ...endpoint.headers, 'content-type': 'application/json' };
    if (endpoint.secret) {
      headers['x-signature-256'] = signWebhookBody(endpoint.secret, body);
      headers['x-signature'] = signWebhookBodySha1(endpoint.secret, body);
    }
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        this.stats.deliveries.retried++;
        await new Promise((resolve) => setTimeout(resolve, this.config.retryBackoffMs * attempt));
      }
      let status: number | null = null;
      try {
        const response = await this.fetchImpl(endpoint.url, { method: 'POST', headers, body });
        status = response.status;
        await response.body?.cancel();
      } catch {
        // Connection failures count as retryable, like a 5xx.
      }
      if (status !== null && status >= 200 && status < 300) {
        this.stats.deliveries.sent++;
        return true;
      }
      const retryable = status === null || status >= 500;
      if (!retryable || attempt >= endpoint.retries) {
        this.stats.deliveries.failed++;
        return false;
      }
    }
  }
}
