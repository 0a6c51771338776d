/** When and how long to wait before sending a request again. Pure: no timers, no I/O. */

export interface RetryPolicy {
  /** Extra attempts after the first; 0 disables retrying. */
  retries: number;
  /** Backoff of the first retry; doubles each time (with jitter) up to maxDelayMs. */
  minDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 3, minDelayMs: 250, maxDelayMs: 10_000 };

/** Error codes meaning the connection never opened, so not even a mutation reached the server. */
const NEVER_CONNECTED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Delay before retry number `attempt` (0-based): exponential backoff with "equal jitter"
 * (half fixed, half random) so clients that failed together do not retry together.
 */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** `Retry-After` as milliseconds from `nowMs`: delta seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(header: string | null, nowMs: number): number | null {
  if (header === null || header.trim() === '') return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

/** HTTP statuses worth retrying for a query: rate limited or a server-side failure. */
export const isRetryableStatus = (status: number): boolean => status === 429 || status >= 500;

/**
 * True when a fetch failure proves the request never reached the server (connection refused,
 * DNS failure), which is the only case where a mutation may be sent again.
 */
export function connectionNeverOpened(error: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NEVER_CONNECTED_CODES.has(code)) return true;
    queue.push((current as { cause?: unknown }).cause);
    // Happy-eyeballs connects fail with an AggregateError of per-address errors.
    if (current instanceof AggregateError) queue.push(...(current.errors as unknown[]));
  }
  return false;
}
