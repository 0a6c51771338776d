import { z } from 'zod';
import { SpaceliftConfigError } from './errors.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './http/retry-policy.js';
import type { RateLimit } from './http/token-bucket.js';
import { silentLogger, type SpaceliftLogger } from './logger.js';

const isFunction = (value: unknown): boolean => typeof value === 'function';

/** The shape of {@link SpaceliftOptions}: the single source of truth for the client's options. */
export const SpaceliftOptionsSchema = z.strictObject({
  /** Account URL, e.g. `https://acme.app.spacelift.io` (with or without `/graphql`). Env: `SPACELIFT_BASE_URL`. */
  baseUrl: z.string().optional(),
  /** API key ID. Env: `SPACELIFT_KEY_ID`. */
  keyId: z.string().optional(),
  /** API key secret. Env: `SPACELIFT_KEY_SECRET`. */
  keySecret: z.string().optional(),
  /** `fetch` implementation; defaults to the global one (tests pass a fake). */
  fetch: z.custom<typeof fetch>(isFunction, 'must be a fetch function').optional(),
  /** Per-request timeout in ms; default 30 000. */
  timeoutMs: z.number().positive().default(30_000),
  /** Retries of queries (and of mutations that never reached the server); default 3 from 250 ms up to 10 s. */
  retry: z
    .strictObject({
      retries: z.number().int().min(0).default(DEFAULT_RETRY_POLICY.retries),
      minDelayMs: z.number().min(0).default(DEFAULT_RETRY_POLICY.minDelayMs),
      maxDelayMs: z.number().min(0).default(DEFAULT_RETRY_POLICY.maxDelayMs),
    })
    .default(DEFAULT_RETRY_POLICY),
  /** Optional client-side rate limit (like the Terraform provider's `SPACELIFT_MAX_REQUESTS_PER_SECOND`). */
  rateLimit: z
    .strictObject({
      requestsPerSecond: z.number().positive(),
      burst: z.number().int().positive().default(1),
    })
    .optional(),
  /** Renew the JWT this many seconds before `validUntil`; default 60. */
  tokenRefreshMarginSeconds: z.number().min(0).default(60),
  /**
   * Check `queryFields` selections against the bundled schema.graphql before sending, so
   * unknown fields fail locally; default true. Turn off to select fields the bundled
   * (partial) schema lacks.
   */
  validateQueryFieldsAgainstSchema: z.boolean().default(true),
  /** pino-compatible logger (debug: each request; warn: retries). */
  log: z
    .custom<SpaceliftLogger>((v) => {
      const candidate = v as { debug?: unknown; warn?: unknown } | null;
      return typeof v === 'object' && isFunction(candidate?.debug) && isFunction(candidate?.warn);
    }, 'must have debug() and warn() methods (a pino logger fits)')
    .optional(),
});

/** Options of `Spacelift`; the three credentials fall back to environment variables. */
export type SpaceliftOptions = z.input<typeof SpaceliftOptionsSchema>;

/** Options with defaults applied and the credentials resolved. */
export interface ResolvedOptions {
  endpoint: string;
  keyId: string;
  keySecret: string;
  fetch: typeof fetch;
  timeoutMs: number;
  retry: RetryPolicy;
  rateLimit: Required<RateLimit> | null;
  tokenRefreshMarginSeconds: number;
  validateQueryFieldsAgainstSchema: boolean;
  log: SpaceliftLogger;
}

const ENV_BASE_URL = 'SPACELIFT_BASE_URL';
const ENV_KEY_ID = 'SPACELIFT_KEY_ID';
const ENV_KEY_SECRET = 'SPACELIFT_KEY_SECRET';

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

/**
 * Validates the options, applies defaults and resolves each credential from its option, else
 * its environment variable. Throws {@link SpaceliftConfigError} naming each bad option and
 * every missing variable, never a value.
 */
export function resolveOptions(
  options: SpaceliftOptions,
  env: Record<string, string | undefined>,
): ResolvedOptions {
  const parsed = SpaceliftOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`,
    );
    throw new SpaceliftConfigError(`Invalid Spacelift client options: ${problems.join('; ')}.`);
  }
  const valid = parsed.data;
  const pick = (value: string | undefined, envName: string) => {
    const chosen = value ?? env[envName];
    return chosen === undefined || chosen.trim() === '' ? null : chosen;
  };
  const baseUrl = pick(valid.baseUrl, ENV_BASE_URL);
  const keyId = pick(valid.keyId, ENV_KEY_ID);
  const keySecret = pick(valid.keySecret, ENV_KEY_SECRET);
  if (baseUrl === null || keyId === null || keySecret === null) {
    const missing = [
      baseUrl === null ? ENV_BASE_URL : null,
      keyId === null ? ENV_KEY_ID : null,
      keySecret === null ? ENV_KEY_SECRET : null,
    ].filter((name): name is string => name !== null);
    throw new SpaceliftConfigError(
      `Spacelift client is not configured: set ${missing.join(', ')} ` +
        '(or pass baseUrl, keyId and keySecret to new Spacelift()).',
      missing,
    );
  }
  return {
    endpoint: graphqlEndpoint(baseUrl),
    keyId,
    keySecret,
    fetch: valid.fetch ?? globalThis.fetch,
    timeoutMs: valid.timeoutMs,
    retry: valid.retry,
    rateLimit: valid.rateLimit ?? null,
    tokenRefreshMarginSeconds: valid.tokenRefreshMarginSeconds,
    validateQueryFieldsAgainstSchema: valid.validateQueryFieldsAgainstSchema,
    log: valid.log ?? silentLogger,
  };
}
