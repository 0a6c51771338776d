import type { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { SpaceliftApi } from 'spacelift-client';
import type { ManagedWebhooks } from '../activities/reconcile-estate.js';
import type { EstateCatalog } from './estate-catalog.js';
import type { CoordinatorRef } from '../coordinator-contract.js';
import { routeTemporalLogs } from '../cli/temporal-runtime-logs.js';
import { connectTemporalWorker } from '../temporal/connection.js';
import { createCascadeWorker } from '../worker/index.js';
import type { TemporalPart } from './temporal-part.js';

/** A worker polling the account's task queue. */
export interface WorkerPart {
  worker: Worker;
  /** Settles when the worker stops, on request or on its own (Temporal gone for good). */
  running: Promise<void>;
  stop(): Promise<void>;
}

/** Starts a worker on its own connection (the SDK's workers need a native one) once Temporal is up. */
export async function startWorkerPart(
  temporal: TemporalPart,
  spacelift: { api: SpaceliftApi; identity: string | null; account: string },
  coordinator: CoordinatorRef,
  webhooks: ManagedWebhooks | null,
  catalog: EstateCatalog,
  log: Logger,
): Promise<WorkerPart> {
  routeTemporalLogs(log.child({ component: 'worker' }));
  const connection = await connectTemporalWorker(temporal.settings);
  try {
    const worker = await createCascadeWorker({
      connection,
      namespace: temporal.settings.namespace,
      taskQueue: coordinator.taskQueue,
      api: spacelift.api,
      identity: spacelift.identity ?? undefined,
      account: spacelift.account,
      webhooks,
      catalog,
      log: log.child({ component: 'worker' }),
    });
    const running = worker.run().finally(() => connection.close());
    return {
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
}
