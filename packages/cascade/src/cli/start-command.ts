import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { adminExposureProblem } from '../admin/admin-exposure.js';
import { ConfigError } from '../config/config-error.js';
import { coordinatorRef, type ServiceConfig } from '../config/service-config.js';
import { describeNativeConflict, findNativeDependencyConflicts } from '../graph/index.js';
import { startAdminPart } from '../service/admin-part.js';
import { acquireDataDirLock } from '../service/data-dir-lock.js';
import { runDemoCascade } from '../service/demo-cascade.js';
import { EstateCatalog } from '../service/estate-catalog.js';
import { assertPortsFree, type PortClaim } from '../service/port-guard.js';
import {
  localWebhookUrl,
  receiverWebhook,
  startReceiverPart,
  type ReceiverPart,
} from '../service/receiver-part.js';
import { serviceLifetime } from '../service/service-lifetime.js';
import { serviceProblems } from '../service/service-problems.js';
import { ShutdownStack } from '../service/shutdown-stack.js';
import { startSpaceliftPart, type SpaceliftPart } from '../service/spacelift-part.js';
import { startTemporalPart, type TemporalPart } from '../service/temporal-part.js';
import { startWorkerPart, type WorkerPart } from '../service/worker-part.js';
import { Coordinator } from '../temporal/coordinator.js';
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
  const dataDir = await preflight(config, options, demo);
  const shutdown = new ShutdownStack();
  try {
    if (options.webhook && options.worker) {
      const lock = await acquireDataDirLock(dataDir);
      shutdown.push('data folder lock', () => lock.release());
    }
    const temporal = await startTemporalPart(config, dataDir, log);
    shutdown.push('temporal', () => temporal.stop());
    const webhook = await receiverWebhook(config.webhook, demo);
    const spacelift = await startSpaceliftPart(
      config,
      {
        webhookUrl: options.webhook ? localWebhookUrl(webhook) : null,
        webhookSecret: webhook.secrets[0] ?? '',
        seedPath: options.seedPath,
        dataDir,
        temporalAddress: temporal.settings.address,
      },
      log,
    );
    shutdown.push('spacelift', () => spacelift.stop());
    const { coordinator, ref } = coordinatorOf(config, temporal, spacelift);
    /** Fast recovery: after one of our own parts failed and came back, look for missed changes now. */
    const askForPass = (why: string) =>
      void coordinator
        .reconcileNow(why)
        .catch((err: unknown) => log.warn({ err }, 'could not ask for a reconciliation pass'));
    temporal.onRestarted(() => askForPass('the embedded Temporal server restarted'));
    const lines = [
      ...temporal.lines,
      ...spacelift.lines,
      `Coordinator:        ${ref.estateId} (task queue ${ref.taskQueue})`,
      `Data folder:        ${dataDir}`,
    ];

    // The estate as the worker's passes read it: the dashboard of this process draws from it.
    const catalog = new EstateCatalog();
    let receiver: ReceiverPart | null = null;
    let worker: WorkerPart | null = null;
    const problems = serviceProblems({
      temporal: { address: temporal.settings.address, client: temporal.client, gateway: null },
      coordinator: ref,
      spacelift: {
        api: spacelift.api,
        keyId: config.spacelift?.keyId ?? null,
        baseUrl: ref.options.runUrlBase,
      },
      worker: () => worker?.worker ?? null,
    });
    if (options.webhook) {
      const onReplayed = () => askForPass('spooled deliveries replayed');
      const settings = { webhook, coordinator: ref, ownIdentity: spacelift.identity, dataDir, onReplayed };
      receiver = await startReceiverPart(temporal, settings, log);
      shutdown.push('webhook receiver', () => receiver!.stop());
      const admin = await startAdminPart(
        config,
        { coordinator, api: spacelift.api, catalog: options.worker ? catalog : null, problems, receiver },
        log,
      );
      shutdown.push('admin listener', () => admin.stop());
      lines.push(...receiver.lines, ...admin.lines);
    }

    // Webhooks are taken (and spooled) from here on: a restart of the whole service is short
    // for Spacelift, which disables a webhook after 10 failed deliveries in a row.
    await temporal.started;
    if (options.worker) {
      const extras = { webhooks: config.managedWebhooks, catalog };
      worker = await startWorkerPart(temporal, coordinator, spacelift, extras, log, out);
      shutdown.push('worker', () => worker!.stop());
    }
    const { stop, stopped } = serviceLifetime(shutdown, log, {
      ended: worker?.running ?? receiver?.closed,
      fatal: temporal.supervisor?.failed,
    });

    out('');
    for (const line of lines) out(line);
    out('');
    const banner = watchProblems(problems, out, 'Press Ctrl-C to stop.');
    shutdown.push('problem watch', () => banner.stop());
    await banner.first;
    afterReady(spacelift, coordinator, options.demo && receiver !== null && worker !== null, out, log);
    return { stopped, stop, webhookUrl: receiver ? `${receiver.url}/webhook` : null };
  } catch (err) {
    await shutdown.run(log);
    throw err;
  }
}

/** What must hold before anything starts: the admin side's exposure, the data folder, free ports. */
async function preflight(config: ServiceConfig, options: StartOptions, demo: boolean): Promise<string> {
  const exposure = options.webhook ? adminExposureProblem(config.admin.host, config.admin.token) : null;
  if (exposure) throw new ConfigError([exposure]);
  await mkdir(config.dataDir, { recursive: true });
  await assertPortsFree(portClaims(config, options, demo));
  return resolve(config.dataDir);
}

/** The process's one coordinator client, named after the account (run links on its Spacelift). */
function coordinatorOf(config: ServiceConfig, temporal: TemporalPart, spacelift: SpaceliftPart) {
  const named = coordinatorRef(config, spacelift.account);
  const ref = {
    ...named,
    account: spacelift.account,
    options: { ...named.options, runUrlBase: spacelift.runUrlBase },
  };
  return { coordinator: new Coordinator(temporal.client, ref), ref };
}

/** Off the start path: the native-dependency check (reading a large estate takes a while), the demo's cascade. */
function afterReady(
  spacelift: SpaceliftPart,
  coordinator: Coordinator,
  demo: boolean,
  out: (line: string) => void,
  log: Logger,
): void {
  if (spacelift.api)
    void findNativeDependencyConflicts(spacelift.api, coordinator.ref.options.labelPrefix).then(
      (conflicts) => conflicts.forEach((c) => out(`Warning: ${describeNativeConflict(c)}`)),
      (err: unknown) => log.warn({ err }, 'could not check for native stack dependencies'),
    );
  if (spacelift.simulator && demo)
    void runDemoCascade(spacelift.simulator, coordinator, out).catch((err: unknown) =>
      log.error({ err }, 'demo cascade failed'),
    );
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
