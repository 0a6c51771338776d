import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config/service-config.js';
import { Supervisor } from './supervisor.js';
import { freePort, startDevServer, type DevServer } from '../temporal/dev-server.js';
import { temporalConnectOptions, type TemporalConnectionConfig } from '../temporal/connection.js';

/** Temporal as the service's other parts use it: one client connection, whether embedded or not. */
export interface TemporalPart {
  /** The settings to connect with (the embedded server's address when there is one). */
  settings: TemporalConnectionConfig & { address: string };
  /** The process's one client connection (lazy: it connects once the server answers). */
  connection: Connection;
  /** The process's one client, on that connection and namespace. */
  client: Client;
  /** Banner lines: the server, and the embedded server's Web UI. */
  lines: string[];
  /** The embedded server's supervisor; null for a server the operator runs. */
  supervisor: Supervisor<DevServer> | null;
  /** Calls `listener` each time the embedded server is up again after a restart. */
  onRestarted(listener: () => void): void;
  /** Resolves once the server has started (at once for a server the operator runs). */
  started: Promise<void>;
  stop(): Promise<void>;
}

const banner = (settings: { address: string; namespace: string }) =>
  `Temporal:           ${settings.address} (namespace ${settings.namespace})`;

/**
 * Starts the embedded dev server under a supervisor (unless TEMPORAL_ADDRESS names a server),
 * without waiting for it: the receiver listens (and spools) meanwhile.
 */
export async function startTemporalPart(
  config: ServiceConfig,
  dataDir: string,
  log: Logger,
): Promise<TemporalPart> {
  if (config.temporal.address !== null) {
    const settings = { ...config.temporal, address: config.temporal.address };
    const connection = Connection.lazy(await temporalConnectOptions(settings));
    return {
      settings,
      connection,
      client: new Client({ connection, namespace: settings.namespace }),
      lines: [banner(settings)],
      supervisor: null,
      onRestarted: () => undefined,
      started: Promise.resolve(),
      stop: () => connection.close(),
    };
  }
  // Restarted on the same ports and SQLite file when it exits: cascades in flight resume.
  const port = config.temporal.port === 0 ? await freePort() : config.temporal.port;
  const uiPort = config.temporal.uiPort === 0 ? await freePort() : config.temporal.uiPort;
  const restartListeners: Array<() => void> = [];
  const supervisor = new Supervisor({
    name: 'embedded Temporal dev server',
    onRestarted: () => restartListeners.forEach((listener) => listener()),
    start: () =>
      startDevServer({ dataDir: `${dataDir}/temporal`, port, uiPort, namespace: config.temporal.namespace }),
    log: log.child({ component: 'supervisor' }),
    maxRestarts: config.temporal.maxRestarts,
    remedy:
      `Check ${dataDir}/temporal (disk space, permissions), that ports ${port} and ${uiPort} are free and the Temporal CLI runs, then start the service again ` +
      '(or point TEMPORAL_ADDRESS at a Temporal server you run).',
  });
  const started = supervisor.start().then(() => undefined);
  // Awaited by the caller; until then a failure must not count as unhandled.
  started.catch(() => undefined);
  const settings = { ...config.temporal, address: `127.0.0.1:${port}`, tls: null, apiKey: null };
  const connection = Connection.lazy(await temporalConnectOptions(settings));
  return {
    settings,
    connection,
    client: new Client({ connection, namespace: settings.namespace }),
    lines: [banner(settings), `Temporal Web UI:    http://127.0.0.1:${uiPort}`],
    supervisor,
    onRestarted: (listener) => restartListeners.push(listener),
    started,
    async stop() {
      await connection.close();
      await supervisor.stop();
    },
  };
}
