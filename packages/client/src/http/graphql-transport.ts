import type { GraphQLFormattedError } from 'graphql';
import { SpaceliftHttpError, SpaceliftNetworkError } from '../errors.js';
import type { SpaceliftLogger } from '../logger.js';
import {
  backoffDelayMs,
  connectionNeverOpened,
  isRetryableStatus,
  parseRetryAfter,
  type RetryPolicy,
} from './retry-policy.js';
import type { Clock, TokenBucket } from './token-bucket.js';

/** A GraphQL response body as the server sent it. */
export interface GraphQLResponseBody {
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
}

export interface GraphQLRequest {
  /** The printed document. */
  query: string;
  operationName: string | null;
  variables: Record<string, unknown> | undefined;
  /** Safe to send twice (queries, login): retried on network errors, 429 and 5xx. */
  idempotent: boolean;
  /** Sent as `Authorization: Bearer`; absent for the login itself. */
  jwt?: string;
}

export interface GraphQLTransportOptions {
  endpoint: string;
  fetch: typeof fetch;
  timeoutMs: number;
  retry: RetryPolicy;
  rateLimiter: TokenBucket | null;
  log: SpaceliftLogger;
  clock: Clock;
  random: () => number;
}

/** What one HTTP exchange ended in: a GraphQL body, or a failure that may be retried. */
type Attempt =
  | { kind: 'body'; status: number; body: GraphQLResponseBody }
  | { kind: 'failed'; error: SpaceliftHttpError | SpaceliftNetworkError; retryAfterMs: number | null };

/**
 * Sends GraphQL requests over HTTP with a per-request timeout, an optional rate limit and
 * retries with backoff. It knows nothing about login or GraphQL errors: it returns any
 * response that carries a GraphQL body (also a 401 or 400 one) and throws for the rest.
 */
export class GraphQLTransport {
  constructor(private readonly options: GraphQLTransportOptions) {}

  async send(request: GraphQLRequest): Promise<{ status: number; body: GraphQLResponseBody }> {
    const { retry, clock, log } = this.options;
    for (let attempt = 0; ; attempt++) {
      const result = await this.attempt(request);
      if (result.kind === 'body') return result;
      const { error } = result;
      const mayRetry =
        attempt < retry.retries &&
        (request.idempotent ? error.retryable : connectionNeverOpened(error.cause));
      if (!mayRetry) throw error;
      const delayMs = result.retryAfterMs ?? backoffDelayMs(attempt, retry, this.options.random);
      log.warn(
        { operation: request.operationName, attempt: attempt + 1, delayMs, reason: error.message },
        'spacelift request failed, retrying',
      );
      await clock.sleep(delayMs);
    }
  }

  private async attempt(request: GraphQLRequest): Promise<Attempt> {
    const { endpoint, timeoutMs, clock, log } = this.options;
    await this.options.rateLimiter?.take();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (request.jwt) headers.authorization = `Bearer ${request.jwt}`;
    const signal = AbortSignal.timeout(timeoutMs);
    const started = clock.now();
    let response: Response;
    let text: string;
    try {
      response = await this.options.fetch(endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          query: request.query,
          operationName: request.operationName ?? undefined,
          variables: request.variables,
        }),
        signal,
      });
      text = await response.text();
    } catch (cause) {
      const timedOut = signal.aborted;
      const what = timedOut ? `timed out after ${timeoutMs} ms` : `could not reach ${endpoint}`;
      return {
        kind: 'failed',
        error: new SpaceliftNetworkError(
          `${request.operationName ?? 'GraphQL operation'} ${what}: ${describe(cause)}`,
          request.operationName,
          timedOut,
          cause,
        ),
        retryAfterMs: null,
      };
    }
    log.debug(
      { operation: request.operationName, status: response.status, durationMs: clock.now() - started },
      'spacelift request',
    );
    const body = parseBody(text);
    const retryableStatus = isRetryableStatus(response.status);
    if (body && !retryableStatus) return { kind: 'body', status: response.status, body };
    if (response.ok && !body) {
      return {
        kind: 'failed',
        error: new SpaceliftHttpError(response.status, request.operationName, 'response is not GraphQL JSON'),
        retryAfterMs: null,
      };
    }
    return {
      kind: 'failed',
      error: new SpaceliftHttpError(response.status, request.operationName),
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), clock.now()),
    };
  }
}

function parseBody(text: string): GraphQLResponseBody | null {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object') return null;
    if (!('data' in parsed) && !('errors' in parsed)) return null;
    return parsed as GraphQLResponseBody;
  } catch {
    return null;
  }
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause instanceof Error ? ` (${cause.cause.message})` : '';
  return `${cause.message}${inner}`;
}
