import { Client, Connection, ServiceError, isGrpcServiceError } from '@temporalio/client';
import { DEFAULT_NAMESPACE } from '../constants.js';
import type { TemporalConnectOptions } from './connection.js';
import type { SignalWithStartRequest } from '../coordinator-contract.js';
import type { CascadePort } from '../webhook/cascade-port.js';
import { TemporalUnavailableError } from '../webhook/cascade-port.js';
import { sendSignalWithStart } from './coordinator.js';

/** gRPC status codes that mean "could not reach Temporal in time" (grpc-js `status`). */
const UNREACHABLE_GRPC_CODES = new Set([
  1, // CANCELLED
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  14, // UNAVAILABLE
]);

function isUnreachable(err: unknown): boolean {
  const grpc = err instanceof ServiceError ? err.cause : err;
  if (isGrpcServiceError(grpc) && UNREACHABLE_GRPC_CODES.has(grpc.code)) return true;
  // A lazy connection's first connect to a server that is down fails with grpc-js's plain Error.
  return err instanceof Error && /^Failed to connect before the deadline/.test(err.message);
}

export interface CascadeGatewayOptions {
  /** An existing connection; the gateway does not close it. */
  connection: Connection;
  namespace?: string;
  /** Deadline of each signal or start call; past it the receiver answers 503. */
  rpcTimeoutMs?: number;
  /** Deadline of the readiness probe. */
  readyTimeoutMs?: number;
}

/** The receiver's {@link CascadePort} backed by a Temporal client. */
export class TemporalCascadeGateway implements CascadePort {
  private readonly client: Client;
  private readonly connection: Connection;
  private readonly rpcTimeoutMs: number;
  private readonly readyTimeoutMs: number;

  constructor(options: CascadeGatewayOptions) {
    this.connection = options.connection;
    this.client = new Client({
      connection: options.connection,
      namespace: options.namespace ?? DEFAULT_NAMESPACE,
    });
    this.rpcTimeoutMs = options.rpcTimeoutMs ?? 5_000;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 1_000;
  }

  /**
   * A gateway over a lazy connection: the receiver starts (and answers /readyz 503) while
   * Temporal is still down, and connects once it is up.
   */
  static lazy(options: TemporalConnectOptions & Omit<CascadeGatewayOptions, 'connection'>): {
    gateway: TemporalCascadeGateway;
    close: () => Promise<void>;
  } {
    const { namespace, rpcTimeoutMs, readyTimeoutMs, ...connect } = options;
    const connection = Connection.lazy(connect);
    return {
      gateway: new TemporalCascadeGateway({ connection, namespace, rpcTimeoutMs, readyTimeoutMs }),
      close: () => connection.close(),
    };
  }

  private async call<T>(operation: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.connection.withDeadline(Date.now() + timeoutMs, fn);
    } catch (err) {
      if (isUnreachable(err)) throw new TemporalUnavailableError(operation, { cause: err });
      throw err;
    }
  }

  async signalWithStart(request: SignalWithStartRequest): Promise<'delivered'> {
    await this.call(`signal ${request.workflowId}`, this.rpcTimeoutMs, () =>
      sendSignalWithStart(this.client, request),
    );
    return 'delivered';
  }

  async checkReady(): Promise<void> {
    try {
      await this.connection.withDeadline(Date.now() + this.readyTimeoutMs, () =>
        this.connection.workflowService.getSystemInfo({}),
      );
    } catch (err) {
      // Any failure of this cheap call means Temporal is not usable right now.
      throw new TemporalUnavailableError('readiness check', { cause: err });
    }
  }
}
