import type { SignalWithStartRequest } from '../coordinator-contract.js';

/** The request a port sends; defined with the coordinator's contract. */
export type { SignalWithStartRequest };

/**
 * What the webhook receiver needs from Temporal, as a small port: the Temporal-backed
 * implementation is `temporal/cascade-gateway.ts`; tests use an in-memory fake.
 */
export interface CascadePort {
  /**
   * Signals a workflow, starting it first when it is not running (one RPC either way).
   * 'spooled': Temporal was unreachable and the request waits in a durable spool.
   */
  signalWithStart(request: SignalWithStartRequest): Promise<'delivered' | 'spooled'>;
  /** Resolves when Temporal answers; throws {@link TemporalUnavailableError} otherwise. */
  checkReady(): Promise<void>;
}

/** Temporal could not be reached in time; the receiver answers 503 so Spacelift redelivers. */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
  constructor(
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`Temporal is unreachable (${operation}); the webhook can be redelivered later`, options);
  }
}
