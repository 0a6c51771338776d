import { connect } from 'node:net';
import { Client } from '@temporalio/client';
import { coordinatorRef, type ServiceConfig } from '../config/service-config.js';
import { DEFAULT_TEMPORAL_PORT } from '../constants.js';
import { connectTemporalClient, temporalConnectOptions } from '../temporal/connection.js';
import { Coordinator } from '../temporal/coordinator.js';

/** How long a command waits for Temporal to answer before it says it cannot reach it. */
const TEMPORAL_CONNECT_TIMEOUT_MS = 2_000;

/** Where a command's Temporal address came from, so an unreachable one is explained in those terms. */
export type TemporalAddressSource =
  | { kind: 'TEMPORAL_ADDRESS' }
  | { kind: 'demo'; demoEnvPath: string }
  /** `demoEnvPath`: the demo settings looked for and not found; null when no demo was looked for. */
  | { kind: 'TEMPORAL_PORT'; dataDir: string; demoEnvPath: string | null };

function origin(source: TemporalAddressSource): string {
  switch (source.kind) {
    case 'TEMPORAL_ADDRESS':
      return 'TEMPORAL_ADDRESS';
    case 'demo':
      return `the demo's ${source.demoEnvPath} (is its \`spacelift-cascade start\` still running?)`;
    case 'TEMPORAL_PORT':
      return source.demoEnvPath === null
        ? 'TEMPORAL_PORT (TEMPORAL_ADDRESS is not set)'
        : `TEMPORAL_PORT (TEMPORAL_ADDRESS is not set, and no demo runs from the data folder ${source.dataDir}: ` +
            `no ${source.demoEnvPath})`;
  }
}

/** Why a connection failed, in words: refused, unknown host, or no answer in time. */
function reasonOf(err: unknown, waitedMs: number): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ECONNREFUSED') return 'nothing listens there';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
  const message = err instanceof Error ? err.message : String(err);
  // gRPC's own "Failed to connect before the deadline" says no more than this.
  if (/before the deadline/i.test(message)) return `no answer within ${waitedMs / 1000} s`;
  return message;
}

/** Temporal cannot be reached at `address`: says why, where that address came from, and what to set. */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
  constructor(
    readonly address: string,
    readonly source: TemporalAddressSource,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(
      [
        `cannot reach Temporal at ${address} (${reason}); the address comes from ${origin(source)}. Set:`,
        '  - TEMPORAL_ADDRESS=host:port: a Temporal server of your own (or Temporal Cloud)',
        `  - TEMPORAL_PORT: the embedded Temporal of a \`spacelift-cascade start\` on this machine (default ${DEFAULT_TEMPORAL_PORT})`,
        '  - --data-dir (or CASCADE_DATA_DIR): the data folder of a running demo `start`, to join it',
      ].join('\n'),
      options,
    );
  }
}

/**
 * Rejects as soon as a TCP connection to `address` is refused (nothing listens there, unknown
 * host), where gRPC would retry until its deadline; stays pending when something answers.
 */
function refused(address: string): Promise<never> {
  const colon = address.lastIndexOf(':');
  return new Promise((_resolve, reject) => {
    const socket = connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    socket.unref();
    socket.once('connect', () => socket.destroy());
    socket.once('error', reject);
  });
}

/**
 * Runs `fn` with the estate coordinator of this configuration, over a client connection that
 * says at once when nothing listens at Temporal's address, and within
 * {@link TEMPORAL_CONNECT_TIMEOUT_MS} when something does but does not answer.
 */
export async function withCoordinator<T>(
  config: ServiceConfig,
  source: TemporalAddressSource,
  fn: (coordinator: Coordinator) => Promise<T>,
): Promise<T> {
  const settings = {
    ...config.temporal,
    address: config.temporal.address ?? `127.0.0.1:${config.temporal.port}`,
  };
  const { address } = await temporalConnectOptions(settings); // an unreadable certificate is a ConfigError, first
  const connecting = connectTemporalClient(settings, TEMPORAL_CONNECT_TIMEOUT_MS);
  const connection = await Promise.race([connecting, refused(address)]).catch((err: unknown) => {
    // The attempt may still be under way: close the connection should it succeed after all.
    void connecting.then((late) => late.close()).catch(() => undefined);
    throw new TemporalUnreachableError(address, source, reasonOf(err, TEMPORAL_CONNECT_TIMEOUT_MS), {
      cause: err,
    });
  });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    return await fn(new Coordinator(client, coordinatorRef(config)));
  } finally {
    await connection.close();
  }
}
