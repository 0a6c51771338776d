import { Counter, Histogram, Registry } from 'prom-client';
import type { WebhookAction } from './dispatch-run-event.js';

/** How a webhook delivery ended: `accepted` (202) or the reason it was refused. */
export type WebhookOutcome =
  | 'accepted'
  | 'invalid_signature'
  | 'malformed_json'
  | 'invalid_payload'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'account_mismatch'
  | 'temporal_unavailable'
  | 'internal_error';

/** Prometheus metrics of one receiver, in a registry of its own (several servers per process in tests). */
export class WebhookMetrics {
  readonly registry = new Registry();
  private readonly deliveries = new Counter({
    name: 'cascade_webhooks_total',
    help: 'Webhook deliveries by outcome and by what the receiver did (action "none" when refused)',
    labelNames: ['outcome', 'action'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'cascade_webhook_duration_seconds',
    help: 'Time from receiving a webhook to answering it',
    labelNames: ['outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  record(outcome: WebhookOutcome, action: WebhookAction | null, seconds: number): void {
    this.deliveries.inc({ outcome, action: action ?? 'none' });
    this.duration.observe({ outcome }, seconds);
  }
}
