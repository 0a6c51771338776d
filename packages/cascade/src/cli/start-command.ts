import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { Spacelift, type SpaceliftApi } from 'spacelift-client';
import { SeedSchema } from 'spacelift-simulator/testing';
import { startSimulator, type Simulator } from 'spacelift-simulator';
import { createDashboardSource } from '../dashboard/dashboard-source.js';
import {
  buildDependencyGraph,
  describeNativeConflict,
  downstreamClosure,
  findNativeDependencyConflicts,
} from '../graph/index.js';
import { apiKeyIdentity } from '../own-identity.js';
import { Coordinator } from '../temporal/coordinator.js';
import { Supervisor } from '../service/supervisor.js';
import type { CascadePort } from '../webhook/cascade-port.js';
import { DeliverySpool } from '../webhook/delivery-spool.js';
import { withSupervisedReadiness } from '../service/supervised-readiness.js';
import { freePort, startDevServer, type DevServer } from '../temporal/dev-server.js';
import { TemporalCascadeGateway } from '../temporal/cascade-gateway.js';
import {
  connectTemporalClient,
  connectTemporalWorker,
  temporalConnectOptions,
  type TemporalConnectionConfig,
} from '../temporal/connection.js';
import { buildWebhookServer, listenWebhookServer } from '../webhook/server.js';
import { WebhookMetrics } from '../webhook/webhook-metrics.js';
import { buildAdminServer } from '../admin/admin-server.js';
import { adminExposureProblem } from '../admin/admin-exposure.js';
import { ConfigError } from '../config/config-error.js';
import { createCascadeWorker } from '../worker/index.js';
import { tally } from './cascade-report.js';
import { followRun } from './follow-cascade.js';
import { routeTemporalLogs } from './temporal-runtime-logs.js';
import { removeDemoEnv, writeDemoEnv } from './demo-env.js';
import { coordinatorRef, type ServiceConfig } from '../config/service-config.js';

/** The demo seed shipped in this package's `seeds/` folder (the same path from src/cli and dist/cli). */
export const DEMO_SEED_PATH = new URL('../../seeds/demo-seed.json', import.meta.url);

export interface StartOptions {
  /** Run the webhook receiver. */
  webhook: boolean;
  /** Run a worker. */
  worker: boolean;
  /** In demo mode, push one run to the demo graph's root once ready and follow its cascade. */
  demo: boolean;
  /** The demo seed file (default: seeds/demo-seed.json in this package). */
  seedPath?: string;
}

export interface RunningService {
  /** Resolves when the service has stopped (after `stop()` or a fatal error). */
  stopped: Promise<void>;
  stop(): Promise<void>;
  webhookUrl: string | null;
}

/** Stops what was started, in reverse order; each step runs even if an earlier one failed. */
class ShutdownStack {
  private readonly steps: Array<{ name: string; run: () => Promise<void> }> = [];
  push(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }
  async run(log: Logger): Promise<void> {
    for (const step of this.steps.reverse()) {
      try {
        await step.run();
      } catch (err) {
        log.error({ err, step: step.name }, 'shutdown step failed');
      }
    }
    this.steps.length = 0;
  }
}

/**
 * Starts the parts of the service in one process: the embedded Temporal dev server (unless
 * TEMPORAL_ADDRESS), the simulator (unless Spacelift credentials are set), the worker and the
 * webhook receiver. Prints where everything is. Ctrl-C / SIGTERM stop it cleanly.
 */
export async function startService(
  config: ServiceConfig,
  options: StartOptions,
  out: (line: string) => void,
): Promise<RunningService> {
  const level = config.logLevel ?? (config.spacelift === null ? 'warn' : 'info');
  const log = pino({ level, base: { service: 'spacelift-cascade' } }, pino.destination(2));
  const shutdown = new ShutdownStack();
  const lines: string[] = [];
  // Refused before anything starts: the admin side leaves this machine only behind a token.
  const exposure = options.webhook ? adminExposureProblem(config.admin.host, config.admin.token) : null;
  if (exposure) throw new ConfigError([exposure]);
  try {
    await mkdir(config.dataDir, { recursive: true });
    const dataDir = resolve(config.dataDir);

    let temporal: TemporalConnectionConfig = config.temporal;
    let temporalUi: string | null = null;
    let devServer: Supervisor<DevServer> | null = null;
    /** The embedded server's start, awaited only before the worker: the receiver listens first. */
    let devServerStarting: Promise<DevServer> | null = null;
    if (temporal.address === null) {
      out(`Starting the embedded Temporal dev server (data in ${dataDir}/temporal) ...`);
      // Restarted on the same ports and SQLite file when it exits: cascades in flight resume.
      const port = config.temporal.port === 0 ? await freePort() : config.temporal.port;
      const uiPort = config.temporal.uiPort === 0 ? await freePort() : config.temporal.uiPort;
      devServer = new Supervisor({
        name: 'embedded Temporal dev server',
        start: () =>
          startDevServer({
            dataDir: `${dataDir}/temporal`,
            port,
            uiPort,
            namespace: config.temporal.namespace,
          }),
        log: log.child({ component: 'supervisor' }),
        maxRestarts: config.temporal.maxRestarts,
        remedy:
          `Check ${dataDir}/temporal (disk space, permissions), that ports ${port} and ${uiPort} are free and the Temporal CLI runs, then start the service again ` +
          '(or point TEMPORAL_ADDRESS at a Temporal server you run).',
      });
      const supervised = devServer;
      devServerStarting = supervised.start();
      // Awaited below; until then a failure must not count as unhandled.
      devServerStarting.catch(() => undefined);
      shutdown.push('temporal dev server', () => supervised.stop());
      temporal = { ...temporal, address: `127.0.0.1:${port}`, tls: null, apiKey: null };
      temporalUi = `http://127.0.0.1:${uiPort}`;
    }
    const connectOptions = await temporalConnectOptions(temporal);
    const temporalAddress = connectOptions.address;
    lines.push(`Temporal:           ${temporalAddress} (namespace ${temporal.namespace})`);
    if (temporalUi) lines.push(`Temporal Web UI:    ${temporalUi}`);

    const demo = config.spacelift === null;
    const webhookConfig = demo
      ? { ...config.webhook, secrets: [randomBytes(24).toString('hex')], allowUnsigned: false }
      : config.webhook;

    // The simulator needs the receiver's URL and the receiver the simulator's (for run links),
    // so the receiver's port is chosen before either starts.
    const webhookPort = webhookConfig.port === 0 ? await freePort() : webhookConfig.port;
    const localHost = ['0.0.0.0', '::'].includes(webhookConfig.host) ? '127.0.0.1' : webhookConfig.host;
    const webhookUrl = options.webhook ? `http://${localHost}:${webhookPort}/webhook` : null;

    let api: SpaceliftApi;
    let identity: string;
    let simulator: Simulator | null = null;
    if (config.spacelift) {
      api = new Spacelift({ ...config.spacelift, log: log.child({ component: 'spacelift' }) });
      identity = apiKeyIdentity(config.spacelift.keyId);
      lines.push(`Spacelift:          ${config.spacelift.baseUrl}`);
    } else {
      const seedFile = options.seedPath ? resolve(options.seedPath) : DEMO_SEED_PATH;
      const seed = SeedSchema.parse(JSON.parse(await readFile(seedFile, 'utf8')));
      const apiKey = { id: 'demo', secret: randomBytes(24).toString('hex') };
      simulator = await startSimulator({
        port: config.simulator.port,
        seed,
        apiKey,
        stateDurationMs: config.simulator.stateDurationMs,
        webhooks: webhookUrl ? { urls: [webhookUrl], secret: webhookConfig.secrets[0] ?? '' } : undefined,
      });
      const sim = simulator;
      shutdown.push('simulator', () => sim.close());
      api = new Spacelift({ baseUrl: sim.baseUrl, keyId: apiKey.id, keySecret: apiKey.secret });
      identity = apiKeyIdentity(apiKey.id);
      await writeDemoEnv(dataDir, {
        SPACELIFT_BASE_URL: sim.baseUrl,
        SPACELIFT_KEY_ID: apiKey.id,
        SPACELIFT_KEY_SECRET: apiKey.secret,
        TEMPORAL_ADDRESS: temporalAddress,
      });
      shutdown.push('demo env file', () => removeDemoEnv(dataDir));
      lines.push(`Simulator GraphQL:  ${sim.url} (no Spacelift credentials set: using the local simulator)`);
      lines.push(`                    its webhooks go to the receiver, signed with a generated secret`);
    }
    lines.push(`Data folder:        ${dataDir}`);

    // Run links point at the simulator when it stands in for Spacelift.
    const cascadeOptions = simulator ? { ...config.cascade, runUrlBase: simulator.baseUrl } : config.cascade;
    let receiver: FastifyInstance | null = null;
    if (options.webhook) {
      const lazy = TemporalCascadeGateway.lazy({ ...connectOptions, namespace: temporal.namespace });
      shutdown.push('temporal gateway', lazy.close);
      const supervised = devServer ? withSupervisedReadiness(lazy.gateway, devServer) : lazy.gateway;
      let gateway: CascadePort = supervised;
      if (webhookConfig.spoolMax > 0) {
        const spool = await DeliverySpool.open(supervised, {
          file: join(dataDir, 'webhook-spool.jsonl'),
          maxEntries: webhookConfig.spoolMax,
          log: log.child({ component: 'spool' }),
        });
        // Closed after the receiver drains (steps run in reverse): what waits stays on disk.
        shutdown.push('delivery spool', () => spool.close());
        gateway = spool;
      }
      // The dashboard queries the coordinator over its own lazy connection.
      const dashboardConnection = Connection.lazy(connectOptions);
      shutdown.push('dashboard connection', () => dashboardConnection.close());
      const dashboardClient = new Client({ connection: dashboardConnection, namespace: temporal.namespace });
      const webhookMetrics = new WebhookMetrics();
      const app = buildWebhookServer({
        gateway,
        secrets: webhookConfig.secrets,
        allowUnsigned: webhookConfig.allowUnsigned,
        estateId: coordinatorRef(config).estateId,
        taskQueue: coordinatorRef(config).taskQueue,
        cascadeOptions,
        ownIdentity: identity,
        bodyLimit: webhookConfig.bodyLimit,
        rateLimit: webhookConfig.rateLimit,
        requestTimeoutMs: webhookConfig.requestTimeoutMs,
        connectionTimeoutMs: webhookConfig.connectionTimeoutMs,
        retryAfterSeconds: webhookConfig.retryAfterSeconds,
        logger: log.child({ component: 'webhook' }),
        metrics: webhookMetrics,
      });
      const publicUrl = await listenWebhookServer(app, { port: webhookPort, host: webhookConfig.host });
      receiver = app;
      // Stop taking webhooks first (Fastify drains in-flight requests on close).
      shutdown.push('webhook receiver', () => app.close());
      lines.push(`Webhook:            ${publicUrl}/webhook`);
      lines.push(`Health:             ${publicUrl}/healthz, ${publicUrl}/readyz`);
      // The dashboard, API, docs and metrics: on their own listener (loopback unless exposed with a token).
      const admin = buildAdminServer({
        host: config.admin.host,
        port: config.admin.port,
        adminToken: config.admin.token,
        dashboard: {
          source: createDashboardSource({
            coordinator: new Coordinator(dashboardClient, {
              ...coordinatorRef(config),
              options: cascadeOptions,
            }),
            api,
            labelPrefix: config.cascade.labelPrefix,
            runUrlBase: cascadeOptions.runUrlBase,
          }),
          labelPrefix: config.cascade.labelPrefix,
        },
        metrics: [webhookMetrics.registry],
        receiverUrl: publicUrl,
        logger: log.child({ component: 'admin' }),
      });
      const adminUrl = await admin.listen();
      shutdown.push('admin listener', () => admin.close());
      lines.push(`Dashboard:          ${adminUrl}/`);
      lines.push(`API docs:           ${adminUrl}/docs (OpenAPI: ${adminUrl}/openapi.json)`);
      lines.push(`Metrics:            ${adminUrl}/metrics`);
    }

    // Webhooks are taken (and spooled) from here on, so a restart of the whole service is short
    // for Spacelift, which disables a webhook after 10 failed deliveries in a row.
    if (devServerStarting) await devServerStarting;

    let worker: Worker | null = null;
    let workerRun: Promise<void> | null = null;
    if (options.worker) {
      routeTemporalLogs(log.child({ component: 'worker' }));
      const nativeConnection = await connectTemporalWorker(temporal);
      shutdown.push('worker connection', () => nativeConnection.close());
      worker = await createCascadeWorker({
        connection: nativeConnection,
        namespace: temporal.namespace,
        taskQueue: coordinatorRef(config).taskQueue,
        api,
        identity,
        log: log.child({ component: 'worker' }),
      });
      const w = worker;
      workerRun = w.run();
      shutdown.push('worker', async () => {
        if (w.getState() === 'RUNNING') w.shutdown();
        await workerRun;
      });
      // The coordinator runs its reconciliation passes even before the first webhook comes.
      const clientConnection = await connectTemporalClient(temporal);
      shutdown.push('coordinator connection', () => clientConnection.close());
      const client = new Client({ connection: clientConnection, namespace: temporal.namespace });
      await new Coordinator(client, { ...coordinatorRef(config), options: cascadeOptions }).configure();
    }

    let stopping: Promise<void> | null = null;
    const stop = () => {
      stopping ??= shutdown.run(log);
      return stopping;
    };
    // A worker that dies on its own (e.g. Temporal gone for good) takes the service down; so
    // does a dev server that cannot be restarted (the error makes the process exit non-zero).
    const running = (async () => {
      if (workerRun) {
        try {
          await workerRun;
        } catch (err) {
          log.error({ err }, 'worker stopped unexpectedly');
        }
        await stop();
      } else {
        await new Promise<void>((resolveStop) => receiver?.server.once('close', () => resolveStop()));
      }
      await stop();
    })();
    const stopped = devServer
      ? Promise.race([
          running,
          devServer.failed.catch(async (err: unknown) => {
            await stop();
            throw err;
          }),
        ])
      : running;

    out('');
    for (const line of lines) out(line);
    out('');
    out('spacelift-cascade is ready. Press Ctrl-C to stop.');
    // Off the start path: reading a large estate takes a while.
    void findNativeDependencyConflicts(api, config.cascade.labelPrefix).then(
      (conflicts) => {
        for (const c of conflicts) {
          log.warn({ stackId: c.stackId }, describeNativeConflict(c));
          out(`Warning: ${describeNativeConflict(c)}`);
        }
      },
      (err: unknown) => log.warn({ err }, 'could not check for native stack dependencies'),
    );

    if (simulator && options.demo && webhookUrl && worker) {
      void runDemoCascade(simulator, temporal, config, cascadeOptions, out).catch((err: unknown) =>
        log.error({ err }, 'demo cascade failed'),
      );
    }
    return { stopped, stop, webhookUrl };
  } catch (err) {
    await shutdown.run(log);
    throw err;
  }
}

/**
 * The demo's push: the stack with the largest downstream closure, and the direct dependent of
 * it with the largest closure of its own (one commit that changed a stack and its upstream).
 */
function demoPush(simulator: Simulator, labelPrefix: string): string[] {
  const stacks = simulator.store.listStacks().map((s) => ({ id: s.id, labels: s.labels }));
  const graph = buildDependencyGraph(stacks, labelPrefix);
  const largest = (ids: readonly string[]) => {
    let best: { id: string; size: number } | null = null;
    for (const id of ids) {
      const size = downstreamClosure(graph, id).length;
      if (!best || size > best.size) best = { id, size };
    }
    return best?.id ?? null;
  };
  const root = largest(stacks.map((s) => s.id));
  if (root === null) return [];
  const child = largest(graph.downstreams.get(root) ?? []);
  return child === null ? [root] : [root, child];
}

/**
 * Pushes one commit that changes a stack and one of its dependents together (as a monorepo
 * push would) and prints the cascade as it goes: every stack still runs once, after both.
 */
async function runDemoCascade(
  simulator: Simulator,
  temporal: TemporalConnectionConfig,
  config: ServiceConfig,
  cascadeOptions: ServiceConfig['cascade'],
  out: (line: string) => void,
): Promise<void> {
  const pushed = demoPush(simulator, config.cascade.labelPrefix);
  if (pushed.length === 0) return;
  const runs = pushed.map((id) =>
    simulator.store.triggerRun(id, { type: 'TRACKED', triggeredBy: 'demo-push' }),
  );
  out(
    `Demo: pushed one commit changing ${pushed.map((id, i) => `"${id}" (run ${runs[i]!.id})`).join(' and ')}; ` +
      'the stacks below wait for both, and each runs once.',
  );
  const connection = await connectTemporalClient(temporal);
  try {
    const client = new Client({ connection, namespace: temporal.namespace });
    const coordinator = new Coordinator(client, { ...coordinatorRef(config), options: cascadeOptions });
    const result = await followRun(coordinator, pushed[0]!, runs[0]!.id, {
      out: (line) => out(`Demo: ${line}`),
      tty: false,
      waitForCascadeMs: 10 * 60_000,
    });
    if (result.kind !== 'cascade') {
      out(`Demo: the pushed run ended without a cascade (${result.kind}).`);
      return;
    }
    const t = tally(result.view);
    const runsMade = Object.values(result.view.stacks).reduce((n, s) => n + s.runs.length, 0);
    out(
      `Demo cascade ${result.view.phase}: ${t.finished} finished, ${t.failed} failed, ` +
        `${t.blocked + t.cyclic} blocked of ${t.total} stacks, ${runsMade} runs. ` +
        'Open the Temporal Web UI to see the coordinator workflow.',
    );
  } finally {
    await connection.close();
  }
}
