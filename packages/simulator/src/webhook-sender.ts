import { signWebhookBody, signWebhookBodySha1 } from 'spacelift-client';
import { shuffled } from './seeded-random.js';
import type { SimulatorConfig } from './simulator-options.js';
import type { SimulatorStats, WebhookStatus } from './simulator-stats.js';
import type { RunStateChange } from './spacelift/runs.js';
import type { SpaceliftStore } from './spacelift/spacelift-store.js';
import { runStateWebhookPayload } from './webhook-payload.js';

/** Redeliveries after a 5xx answer (or a failed connection), as Spacelift's "retry on failure". */
export const MAX_WEBHOOK_RETRIES = 3;

interface Delivery {
  body: string;
}

/**
 * Posts a signed webhook for every run state change to each configured URL. Deliveries of
 * one run go out one after another, in order (unless the shuffle knob is on).
 */
export class WebhookSender {
  /** Per URL and run: the tail of its delivery chain. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Per run: deliveries held back until the run ends, for the shuffle knob. */
  private readonly held = new Map<string, Delivery[]>();
  private readonly unsubscribe: () => void;

  /** Per URL, as shown in `stats.webhooks`. */
  private readonly status = new Map<string, WebhookStatus>();

  constructor(
    store: SpaceliftStore,
    private readonly config: SimulatorConfig['webhooks'] & { account: string; baseUrl: string },
    private readonly faults: SimulatorConfig['faults'],
    private readonly random: () => number,
    private readonly stats: SimulatorStats,
    private readonly fetchImpl: typeof fetch,
    private readonly log: (message: string) => void,
  ) {
    for (const url of config.urls) {
      const status: WebhookStatus = { url, consecutiveFailures: 0, disabled: false };
      this.status.set(url, status);
      stats.webhooks.push(status);
    }
    this.unsubscribe = config.urls.length > 0 ? store.onRunStateChange((c) => this.onChange(c)) : () => {};
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

  private onChange(change: RunStateChange): void {
    const payload = runStateWebhookPayload(this.config.account, this.config.baseUrl, change);
    const delivery = { body: JSON.stringify(payload) };
    const runId = change.run.id;
    if (!this.faults.shuffleDeliveries) {
      this.enqueue(runId, [delivery]);
      return;
    }
    const held = [...(this.held.get(runId) ?? []), delivery];
    // A run that ended or waits for a human sends nothing more for a while: flush it now.
    if (change.transition.terminal || change.transition.state === 'UNCONFIRMED') {
      this.held.delete(runId);
      this.enqueue(runId, shuffled(held, this.random));
    } else {
      this.held.set(runId, held);
    }
  }

  private enqueue(runId: string, deliveries: Delivery[]): void {
    const toSend: Delivery[] = [];
    for (const delivery of deliveries) {
      if (this.random() < this.faults.dropRate) {
        this.stats.deliveries.dropped++;
        continue;
      }
      for (let i = 0; i < this.faults.deliveryCopies; i++) toSend.push(delivery);
    }
    for (const url of this.config.urls) {
      const key = `${url}\n${runId}`;
      const chain = (this.chains.get(key) ?? Promise.resolve()).then(async () => {
        for (const delivery of toSend) await this.deliver(url, delivery.body);
      });
      this.chains.set(key, chain);
      void chain.finally(() => {
        if (this.chains.get(key) === chain) this.chains.delete(key);
      });
    }
  }

  private async deliver(url: string, body: string): Promise<void> {
    const status = this.status.get(url)!;
    if (status.disabled) {
      this.stats.deliveries.skippedDisabled++;
      return;
    }
    const ok = await this.attempts(url, body);
    if (ok) {
      status.consecutiveFailures = 0;
      return;
    }
    status.consecutiveFailures++;
    const limit = this.config.disableAfterFailures;
    // Deliveries already on their way when it was disabled fail too: say it once.
    if (limit > 0 && status.consecutiveFailures >= limit && !status.disabled) {
      status.disabled = true;
      this.log(
        `webhook ${url} disabled after ${status.consecutiveFailures} failed deliveries in a row, as Spacelift does; ` +
          'restart the simulator to enable it again',
      );
    }
  }

  /** Sends one delivery with its retries; true when it was answered with 2xx. */
  private async attempts(url: string, body: string): Promise<boolean> {
    const headers: Record<string, string> = { ...this.config.headers, 'content-type': 'application/json' };
    if (this.config.secret) {
      headers['x-signature-256'] = signWebhookBody(this.config.secret, body);
      headers['x-signature'] = signWebhookBodySha1(this.config.secret, body);
    }
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        this.stats.deliveries.retried++;
        await new Promise((resolve) => setTimeout(resolve, this.config.retryBackoffMs * attempt));
      }
      let status: number | null = null;
      try {
        const response = await this.fetchImpl(url, { method: 'POST', headers, body });
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
      if (!retryable || attempt >= MAX_WEBHOOK_RETRIES) {
        this.stats.deliveries.failed++;
        return false;
      }
    }
  }
}
