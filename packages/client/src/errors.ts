import type { GraphQLFormattedError } from 'graphql';

/**
 * Base class of every error this client throws. `retryable` says whether sending the same
 * request again later may succeed (the client has already retried what it safely could).
 */
export class SpaceliftError extends Error {
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable;
  }
}

/** Missing or malformed configuration; names what is missing, never a secret's value. */
export class SpaceliftConfigError extends SpaceliftError {
  /** Environment variables that were needed but not set. */
  readonly missing: string[];

  constructor(message: string, missing: string[] = []) {
    super(message, { retryable: false });
    this.missing = missing;
  }
}

/**
 * Why authentication failed: `unknown-key` (Spacelift knows no API key with that id:
 * `apiKeyUser` answered null), `key-refused` (the login itself was refused, e.g. a wrong
 * secret), `unauthorized` (a request stayed unauthorized after a fresh login).
 */
export type SpaceliftAuthFailure = 'unknown-key' | 'key-refused' | 'unauthorized';

/** The API key was refused, or a request stayed `unauthorized` after a fresh login. */
export class SpaceliftAuthError extends SpaceliftError {
  constructor(
    message: string,
    readonly operationName: string | null,
    readonly reason: SpaceliftAuthFailure,
    cause?: unknown,
  ) {
    super(message, { retryable: false, cause });
  }
}

/** The API answered with GraphQL errors; `message` and `path` are the first error's. */
export class SpaceliftGraphQLError extends SpaceliftError {
  readonly path: ReadonlyArray<string | number> | null;

  constructor(
    readonly operationName: string | null,
    readonly errors: readonly GraphQLFormattedError[],
  ) {
    const first = errors[0];
    const where = first?.path ? ` at ${first.path.join('.')}` : '';
    const message = first?.message ?? 'unknown error';
    super(`${operationName ?? 'GraphQL operation'} failed${where}: ${message}`, { retryable: false });
    this.path = first?.path ?? null;
  }
}

/** An HTTP answer without a usable GraphQL body (e.g. 502, or 429 after retries). Retryable for 429 and 5xx. */
export class SpaceliftHttpError extends SpaceliftError {
  constructor(
    readonly status: number,
    readonly operationName: string | null,
    detail?: string,
  ) {
    super(`${operationName ?? 'GraphQL operation'} failed: HTTP ${status}${detail ? ` (${detail})` : ''}`, {
      retryable: status === 429 || status >= 500,
    });
  }
}

/** The request failed below HTTP: connection refused or reset, DNS, or the per-request timeout. */
export class SpaceliftNetworkError extends SpaceliftError {
  constructor(
    message: string,
    readonly operationName: string | null,
    readonly timedOut: boolean,
    cause?: unknown,
  ) {
    super(message, { retryable: true, cause });
  }
}

/** Bad caller input (e.g. an invalid `queryFields` selection), rejected before any request. */
export class SpaceliftValidationError extends SpaceliftError {
  constructor(message: string) {
    super(message, { retryable: false });
  }
}

/** A resource the operation needs (a stack to update, a context to delete) does not exist or is not visible. */
export class SpaceliftNotFoundError extends SpaceliftError {
  constructor(
    readonly resource: 'stack' | 'space' | 'context' | 'blueprint',
    readonly id: string,
  ) {
    super(`${resource} "${id}" does not exist or is not visible to this API key`, { retryable: false });
  }
}
