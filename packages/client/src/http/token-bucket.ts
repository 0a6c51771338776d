/** Client-side request rate limit: `requestsPerSecond` on average, up to `burst` at once. */
export interface RateLimit {
  requestsPerSecond: number;
  /** Requests allowed back to back after idling; default 1. */
  burst?: number;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * A token bucket whose balance may go negative: each caller reserves a token at once and
 * sleeps until it would have been refilled, so waiting callers are served in arrival order.
 */
export class TokenBucket {
  private readonly rate: number;
  private readonly burst: number;
  private tokens: number;
  private updatedAt: number;

  constructor(
    limit: RateLimit,
    private readonly clock: Clock,
  ) {
    this.rate = limit.requestsPerSecond / 1000;
    this.burst = limit.burst ?? 1;
    this.tokens = this.burst;
    this.updatedAt = clock.now();
  }

  /** Resolves when the caller may send one request. */
  async take(): Promise<void> {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.updatedAt) * this.rate);
    this.updatedAt = now;
    this.tokens -= 1;
    if (this.tokens < 0) await this.clock.sleep(Math.ceil(-this.tokens / this.rate));
  }
}
