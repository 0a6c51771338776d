import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Client } from '@temporalio/client';
import { pino } from 'pino';
import { buildAdminServer } from '../admin/admin-server.js';
import { adminExposureProblem } from '../admin/admin-exposure.js';
import { ConfigError } from '../config/config-error.js';
import { coordinatorRef, type ServiceConfig } from '../config/service-config.js';
import { createDashboardSource } from '../dashboard/dashboard-source.js';
import { describeNativeConflict, findNativeDependencyConflicts } from '../graph/index.js';
import { takeOverPreAccountCoordinator } from '../service/coordinator-takeover.js';
import { acquireDataDirLock } from '../service/data-dir-lock.js';
import { runDemoCascade } from '../service/demo-cascade.js';
import { assertPortsFree, type PortClaim } from '../service/port-guard.js';
import { startReceiverPart, type ReceiverPart } from '../service/receiver-part.js';
import { serviceProblems } from '../service/service-problems.js';
import { EstateCatalog } from '../service/estate-catalog.js';
import { ShutdownStack } from '../service/shutdown-stack.js';
import { startSpaceliftPart } from '../service/spacelift-part.js';
import { startTemporalPart } from '../service/temporal-part.js';
import { startWorkerPart, type WorkerPart } from '../service/worker-part.js';
import { Coordinator } from '../temporal/coordinator.js';
import { freePort } from '../temporal/dev-server.js';
import { watchProblems } from './problem-banner.js';

export interface StartOptions {
  /** Run the webhook receiver (and the admin side beside it). */
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

/**
 * The composition root: checks what must hold before anything starts, then assembles the parts
 * (Temporal, Spacelift or the demo's simulator, receiver, admin side, worker), each of which
 * knows how to start and stop itself, and prints where everything is.
 */
export async function startService(
  config: ServiceConfig,
  options: StartOptions,
  out: (line: string) => void,
): Promise<RunningService> {
  const demo = config.spacelift === null && config.account === null;
  const log = pino(
    { level: config.logLevel ?? (demo ? 'warn' : 'info'), base: { service: 'spacelift-cascade' } },
    pino.destination(2),
  );
  const exposure = options.webhook ? adminExposureProblem(config.admin.host, config.admin.token) : null;
  if (exposure) throw new ConfigError([exposure]);
  await mkdir(config.dataDir, { recursive: true });
  const dataDir = resolve(config.dataDir);
  await assertPortsFree(portClaims(config, options, demo));
  const shutdown = new ShutdownStack();
  try {
    if (options.webhook && options.worker) {
      const lock = await acquireDataDirLock(dataDir);
      shutdown.push('data folder lock', () => lock.release());
    }
    const temporal = await startTemporalPart(config, dataDir, log);
    shutdown.push('temporal', () => temporal.stop());
    // The demo's simulator delivers to the receiver, so the receiver's port is known first.
    const webhook = demo
      ? {
          ...config.webhook,
          secrets: [randomBytes(24).toString('hex')],
          allowUnsigned: false,
          port: config.webhook.port || (await freePort()),
        }
      : config.webhook;
    const localHost = ['0.0.0.0', '::'].includes(webhook.host) ? '127.0.0.1' : webhook.host;
    const spacelift = await startSpaceliftPart(
      config,
      {
        webhookUrl: options.webhook ? `http://${localHost}:${webhook.port}/webhook` : null,
        webhookSecret: webhook.secrets[0] ?? '',
        seedPath: options.seedPath,
        dataDir,
        temporalAddress: temporal.settings.address,
      },
      log,
    );
    shutdown.push('spacelift', () => spacelift.stop());
    const named = coordinatorRef(config, spacelift.account);
    const ref = {
      ...named,
      account: spacelift.account,
      options: { ...named.options, runUrlBase: spacelift.runUrlBase },
    };
    const coordinator = new Coordinator(
      new Client({ connection: temporal.connection, namespace: temporal.settings.namespace }),
      ref,
    );
    /** Fast recovery: after one of our own parts failed and came back, look for missed changes now. */
    const askForPass = (why: string) => () =>
      coordinator
        .reconcileNow(why)
        .catch((err: unknown) => log.warn({ err }, 'could not ask for a reconciliation pass'));
    temporal.onRestarted(() => void askForPass('the embedded Temporal server restarted')());
    const lines = [
      `Temporal:           ${temporal.settings.address} (namespace ${temporal.settings.namespace})`,
      ...(temporal.uiUrl ? [`Temporal Web UI:    ${temporal.uiUrl}`] : []),
      ...spacelift.lines,
      `Coordinator:        ${ref.estateId} (task queue ${ref.taskQueue})`,
      `Data folder:        ${dataDir}`,
    ];

    // The estate as the worker's passes read it: the dashboard of this process draws from it.
    const catalog = new EstateCatalog();
    let receiver: ReceiverPart | null = null;
    let worker: WorkerPart | null = null;
    const problems = serviceProblems({
      temporal: { ...temporal.settings, connection: temporal.connection, gateway: null },
      coordinator: ref,
      spacelift: {
        api: spacelift.api,
        keyId: config.spacelift?.keyId ?? null,
        baseUrl: spacelift.runUrlBase,
      },
      worker: () => worker?.worker ?? null,
    });
    if (options.webhook) {
      receiver = await startReceiverPart(
        temporal,
        {
          webhook,
          coordinator: ref,
          ownIdentity: spacelift.identity,
          dataDir,
          onReplayed: () => void askForPass('spooled deliveries replayed')(),
        },
        log,
      );
      shutdown.push('webhook receiver', () => receiver!.stop());
      lines.push(
        `Webhook:            ${receiver.url}/webhook`,
        `Health:             ${receiver.url}/healthz, ${receiver.url}/readyz`,
      );
      const admin = buildAdminServer({
        host: config.admin.host,
        port: config.admin.port,
        adminToken: config.admin.token,
        dashboard: {
          source: createDashboardSource({
            coordinator,
            api: spacelift.api,
            // With the worker in this process, the graph is what its passes read (no read of its own).
            catalog: options.worker
              ? { estate: catalog, maxAgeMs: 2 * ref.options.reconcileIntervalMs + 30_000 }
              : null,
            labelPrefix: ref.options.labelPrefix,
            runUrlBase: ref.options.runUrlBase,
          }),
          labelPrefix: ref.options.labelPrefix,
        },
        problems,
        metrics: [receiver.metrics.registry],
        receiverUrl: receiver.url,
        logger: log.child({ component: 'admin' }),
      });
      const adminUrl = await admin.listen();
      shutdown.push('admin listener', () => admin.close());
      lines.push(
        `Dashboard:          ${adminUrl}/`,
        `API docs:           ${adminUrl}/docs (OpenAPI: ${adminUrl}/openapi.json)`,
        `Metrics:            ${adminUrl}/metrics, status: ${adminUrl}/api/status`,
      );
    }

    // Webhooks are taken (and spooled) from here on: a restart of the whole service is short
    // for Spacelift, which disables a webhook after 10 failed deliveries in a row.
    await temporal.started;
    if (options.worker) {
      if (spacelift.api === null)
        throw new ConfigError([
          'SPACELIFT_KEY_ID and SPACELIFT_KEY_SECRET are not set: a worker triggers runs with them',
        ]);
      const taken = await takeOverPreAccountCoordinator(
        temporal,
        coordinator,
        { ...spacelift, api: spacelift.api },
        log,
      );
      if (taken)
        out(
          `Took over the coordinator ${taken} of an earlier version: its cascades go on under ${ref.estateId}.`,
        );
      worker = await startWorkerPart(
        temporal,
        { ...spacelift, api: spacelift.api },
        ref,
        config.managedWebhooks,
        catalog,
        log,
      );
      shutdown.push('worker', () => worker!.stop());
      // Warm start: the coordinator runs and holds the graph before the service says ready. One
      // that ran before this start may have missed changes meanwhile: it reads the estate at once.
      const wasRunning = await coordinator.isRunning().catch(() => false);
      await coordinator.configure();
      if (wasRunning) await askForPass('the service started again')();
      await coordinator
        .graphRead(30_000)
        .catch((err: unknown) => log.warn({ err }, 'the first read of the estate is slow'));
    }

    let stopping: Promise<void> | null = null;
    const stop = () => (stopping ??= shutdown.run(log));
    // A worker that stops on its own (Temporal gone for good) takes the service down; so does a
    // dev server the supervisor gave up on (the error makes the process exit non-zero).
    const running = (async () => {
      await (worker?.running.catch((err: unknown) => log.error({ err }, 'worker stopped unexpectedly')) ??
        receiver?.closed);
      await stop();
    })();
    let fatal: Error | null = null;
    void temporal.supervisor?.failed.catch((err: unknown) => {
      fatal = err instanceof Error ? err : new Error(String(err));
      void stop();
    });
    const stopped = running.then(() => {
      if (fatal) throw fatal;
    });

    out('');
    for (const line of lines) out(line);
    out('');
    const banner = watchProblems(problems, out, 'Press Ctrl-C to stop.');
    shutdown.push('problem watch', () => banner.stop());
    await banner.first;
    // Off the start path: reading a large estate takes a while.
    if (spacelift.api)
      void findNativeDependencyConflicts(spacelift.api, ref.options.labelPrefix).then(
        (conflicts) => conflicts.forEach((c) => out(`Warning: ${describeNativeConflict(c)}`)),
        (err: unknown) => log.warn({ err }, 'could not check for native stack dependencies'),
      );
    if (spacelift.simulator && options.demo && receiver && worker) {
      void runDemoCascade(spacelift.simulator, coordinator, out).catch((err: unknown) =>
        log.error({ err }, 'demo cascade failed'),
      );
    }
    return { stopped, stop, webhookUrl: receiver ? `${receiver.url}/webhook` : null };
  } catch (err) {
    await shutdown.run(log);
    throw err;
  }
}

/** The ports this start will listen on, each with the setting that chooses it. */
function portClaims(config: ServiceConfig, options: StartOptions, demo: boolean): PortClaim[] {
  const claims: PortClaim[] = [];
  if (config.temporal.address === null) {
    const hint = 'or set TEMPORAL_ADDRESS to use that server on purpose';
    claims.push({ port: config.temporal.port, host: '127.0.0.1', setting: 'TEMPORAL_PORT', hint });
    claims.push({ port: config.temporal.uiPort, host: '127.0.0.1', setting: 'TEMPORAL_UI_PORT', hint });
  }
  if (demo) claims.push({ port: config.simulator.port, host: '127.0.0.1', setting: 'SIMULATOR_PORT' });
  if (options.webhook) {
    claims.push({ port: config.webhook.port, host: config.webhook.host, setting: 'PORT (or --port)' });
    claims.push({ port: config.admin.port, host: config.admin.host, setting: 'CASCADE_ADMIN_PORT' });
  }
  return claims;
}
