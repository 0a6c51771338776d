/** A webhook URL's health: Spacelift disables a webhook after 10 failed deliveries in a row. */
export interface WebhookStatus {
  url: string;
  consecutiveFailures: number;
  /** Disabled webhooks get no more deliveries (until the simulator restarts). */
  disabled: boolean;
}

/** Counters for tests and benchmarks; live (read them any time). */
export interface SimulatorStats {
  /** Executed GraphQL operations by operation name (`anonymous` when unnamed), logins included. */
  apiCalls: Record<string, number>;
  /** Successful `apiKeyUser` logins. */
  logins: number;
  /** Requests refused as `unauthorized` (wrong key, missing, bad or expired JWT). */
  unauthorized: number;
  /** API requests answered with an injected fault instead of being executed. */
  injected: { http500: number; http429: number };
  deliveries: {
    /** Deliveries answered with 2xx. */
    sent: number;
    /** Deliveries that ended without a 2xx (4xx, or 5xx / network errors after every retry). */
    failed: number;
    /** HTTP attempts that were retries of a 5xx or network failure. */
    retried: number;
    /** Deliveries skipped by the drop knob. */
    dropped: number;
    /** Deliveries not sent because their webhook is disabled (or, for a webhook integration, was deleted while they waited). */
    skippedDisabled: number;
  };
  /** One entry per configured webhook URL; webhook integrations keep theirs in the store (`enabled`). */
  webhooks: WebhookStatus[];
}

export function emptyStats(): SimulatorStats {
  return {
    apiCalls: {},
    logins: 0,
    unauthorized: 0,
    injected: { http500: 0, http429: 0 },
    deliveries: { sent: 0, failed: 0, retried: 0, dropped: 0, skippedDisabled: 0 },
    webhooks: [],
  };
}
