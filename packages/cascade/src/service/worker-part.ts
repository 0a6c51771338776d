import type { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { SpaceliftApi } from 'spacelift-client';
import type { ManagedWebhooks } from '../activities/reconcile-estate.js';
import { routeTemporalLogs } from '../cli/temporal-runtime-logs.js';
import { ConfigError } from '../config/config-error.js';
import type { Coordinator } from '../temporal/coordinator.js';
import { connectTemporalWorker } from '../temporal/connection.js';
import { createCascadeWorker } from '../worker/index.js';
import { takeOverPreAccountCoordinator } from './coordinator-takeover.js';
import type { EstateCatalog } from './estate-catalog.js';
import type { TemporalPart } from './temporal-part.js';

/** A worker polling the account's task queue. */
export interface WorkerPart {
  worker: Worker;
  /** Settles when the worker stops, on request or on its own (Temporal gone for good). */
  running: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a worker on its own connection (the SDK's workers need a native one) once Temporal is
 * up, after taking over a coordinator of an earlier version, and warms the coordinator up: it
 * runs and holds the graph before the service says ready, and one that ran before this start
 * (and may have missed changes meanwhile) reads the estate at once.
 */
export async function startWorkerPart(
  temporal: TemporalPart,
  coordinator: Coordinator,
  spacelift: { api: SpaceliftApi | null; identity: string | null; account: string },
  extras: { webhooks: ManagedWebhooks | null; catalog: EstateCatalog },
  log: Logger,
  out: (line: string) => void,
): Promise<WorkerPart> {
  const { api } = spacelift;
  if (api === null) {
    throw new ConfigError([
      'SPACELIFT_KEY_ID and SPACELIFT_KEY_SECRET are not set: a worker triggers runs with them',
    ]);
  }
  const taken = await takeOverPreAccountCoordinator(temporal, coordinator, { ...spacelift, api }, log);
  if (taken) {
    out(
      `Took over the coordinator ${taken} of an earlier version: its cascades go on under ${coordinator.ref.estateId}.`,
    );
  }
  routeTemporalLogs(log.child({ component: 'worker' }));
  const connection = await connectTemporalWorker(temporal.settings);
  let part: WorkerPart;
  try {
    const worker = await createCascadeWorker({
      connection,
      namespace: temporal.settings.namespace,
      taskQueue: coordinator.ref.taskQueue,
      api,
      identity: spacelift.identity ?? undefined,
      account: spacelift.account,
      webhooks: extras.webhooks,
      catalog: extras.catalog,
      log: log.child({ component: 'worker' }),
    });
    const running = worker.run().finally(() => connection.close());
    part = {
      worker,
      running,
      async stop() {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      },
    };
  } catch (err) {
    await connection.close();
    throw err;
  }
  try {
    const wasRunning = await coordinator.isRunning().catch(() => false);
    await coordinator.configure();
    if (wasRunning) {
      await coordinator
        .reconcileNow('the service started again')
        .catch((err: unknown) => log.warn({ err }, 'could not ask for a reconciliation pass'));
    }
    await coordinator
      .graphRead(30_000)
      .catch((err: unknown) => log.warn({ err }, 'the first read of the estate is slow'));
    return part;
  } catch (err) {
    await part.stop();
    throw err;
  }
}
