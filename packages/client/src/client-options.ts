import { SpaceliftConfigError } from './errors.js';
import type { RetryPolicy } from './http/retry-policy.js';
import { DEFAULT_RETRY_POLICY } from './http/retry-policy.js';
import type { RateLimit } from './http/token-bucket.js';
import type { SpaceliftLogger } from './logger.js';
import { silentLogger } from './logger.js';

/** Options of {@link Spacelift}; the three credentials fall back to environment variables. */
export interface SpaceliftOptions {
  /** Account URL, e.g. `https://acme.app.spacelift.io` (with or without `/graphql`). Env: `SPACELIFT_BASE_URL`. */
  baseUrl?: string;
  /** API key ID. Env: `SPACELIFT_KEY_ID`. */
  keyId?: string;
  /** API key secret. Env: `SPACELIFT_KEY_SECRET`. */
  keySecret?: string;
  /** `fetch` implementation; defaults to the global one (tests pass a fake). */
  fetch?: typeof fetch;
  /** Per-request timeout; default 30 000 ms. */
  timeoutMs?: number;
  /** Retries of queries (and of mutations that never reached the server); default 3 from 250 ms up to 10 s. */
  retry?: Partial<RetryPolicy>;
  /** Optional client-side rate limit (like the Terraform provider's `SPACELIFT_MAX_REQUESTS_PER_SECOND`). */
  rateLimit?: RateLimit;
  /** Renew the JWT this many seconds before `validUntil`; default 60. */
  tokenRefreshMarginSeconds?: number;
  /**
   * Check `queryFields` selections against the bundled schema.graphql before sending, so
   * unknown fields fail locally; default true. Turn off to select fields the bundled
   * (partial) schema lacks.
   */
  validateQueryFieldsAgainstSchema?: boolean;
  /** pino-compatible logger (debug: each request; warn: retries). */
  log?: SpaceliftLogger;
}

/** Options with defaults applied and the credentials resolved. */
export interface ResolvedOptions {
  endpoint: string;
  keyId: string;
  keySecret: string;
  fetch: typeof fetch;
  timeoutMs: number;
  retry: RetryPolicy;
  rateLimit: RateLimit | null;
  tokenRefreshMarginSeconds: number;
  validateQueryFieldsAgainstSchema: boolean;
  log: SpaceliftLogger;
}

export const ENV_BASE_URL = 'SPACELIFT_BASE_URL';
export const ENV_KEY_ID = 'SPACELIFT_KEY_ID';
export const ENV_KEY_SECRET = 'SPACELIFT_KEY_SECRET';

/** The GraphQL endpoint for an account URL: `/graphql` appended unless already there. */
export function graphqlEndpoint(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new SpaceliftConfigError(
      `Spacelift base URL "${baseUrl}" is not a URL; expected e.g. https://acme.app.spacelift.io (option baseUrl or ${ENV_BASE_URL}).`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new SpaceliftConfigError(
      `Spacelift base URL "${baseUrl}" must use http or https (option baseUrl or ${ENV_BASE_URL}).`,
    );
  }
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith('/graphql') ? path : `${path}/graphql`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new SpaceliftConfigError(
      `Spacelift option ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}.`,
    );
  }
  return value;
}

/**
 * Applies defaults and resolves each credential from its option, else its environment
 * variable. Throws {@link SpaceliftConfigError} naming every missing variable (never a value).
 */
export function resolveOptions(
  options: SpaceliftOptions,
  env: Record<string, string | undefined>,
): ResolvedOptions {
  const pick = (value: string | undefined, envName: string) => {
    const chosen = value ?? env[envName];
    return chosen === undefined || chosen.trim() === '' ? null : chosen;
  };
  const baseUrl = pick(options.baseUrl, ENV_BASE_URL);
  const keyId = pick(options.keyId, ENV_KEY_ID);
  const keySecret = pick(options.keySecret, ENV_KEY_SECRET);
  const missing = [
    baseUrl === null ? ENV_BASE_URL : null,
    keyId === null ? ENV_KEY_ID : null,
    keySecret === null ? ENV_KEY_SECRET : null,
  ].filter((name): name is string => name !== null);
  if (baseUrl === null || keyId === null || keySecret === null) {
    throw new SpaceliftConfigError(
      `Spacelift client is not configured: set ${missing.join(', ')} ` +
        '(or pass baseUrl, keyId and keySecret to new Spacelift()).',
      missing,
    );
  }
  const retry = {
    retries: positive('retry.retries', options.retry?.retries, DEFAULT_RETRY_POLICY.retries, true),
    minDelayMs: positive(
      'retry.minDelayMs',
      options.retry?.minDelayMs,
      DEFAULT_RETRY_POLICY.minDelayMs,
      true,
    ),
    maxDelayMs: positive(
      'retry.maxDelayMs',
      options.retry?.maxDelayMs,
      DEFAULT_RETRY_POLICY.maxDelayMs,
      true,
    ),
  };
  let rateLimit: RateLimit | null = null;
  if (options.rateLimit) {
    rateLimit = {
      requestsPerSecond: positive('rateLimit.requestsPerSecond', options.rateLimit.requestsPerSecond, 0),
      burst: positive('rateLimit.burst', options.rateLimit.burst, 1),
    };
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  return {
    endpoint: graphqlEndpoint(baseUrl),
    keyId,
    keySecret,
    fetch: fetchImpl,
    timeoutMs: positive('timeoutMs', options.timeoutMs, 30_000),
    retry,
    rateLimit,
    tokenRefreshMarginSeconds: positive(
      'tokenRefreshMarginSeconds',
      options.tokenRefreshMarginSeconds,
      60,
      true,
    ),
    validateQueryFieldsAgainstSchema: options.validateQueryFieldsAgainstSchema ?? true,
    log: options.log ?? silentLogger,
  };
}
