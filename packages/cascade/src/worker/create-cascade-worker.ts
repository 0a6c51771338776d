import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { SpaceliftApi } from 'spacelift-client';
import { createActivities } from '../activities/create-activities.js';
import type { ManagedWebhooks } from '../activities/reconcile-estate.js';
import type { EstateCatalog } from '../service/estate-catalog.js';
import type { CascadeLogger } from '../activities/cascade-logger.js';
import { DEFAULT_NAMESPACE, TASK_QUEUE } from '../constants.js';

export interface CascadeWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  /** Default `spacelift-task-queue`. */
  taskQueue?: string;
  api: SpaceliftApi;
  /** `triggeredBy` of runs this API key triggers; see `createActivities`. */
  identity?: string;
  log?: CascadeLogger;
  /** Where each reconciliation pass leaves the estate it read (the dashboard of this process draws it). */
  catalog?: EstateCatalog | null;
  /** CASCADE_MANAGE_WEBHOOKS: where reconciliation passes point the stacks' webhooks. */
  webhooks?: ManagedWebhooks | null;
  /** The Spacelift account `api` reaches; the worker refuses to act for another account's coordinator. */
  account?: string | null;
  /** A bundle from `bundleWorkflowCode` (production, tests); else the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxConcurrentActivityTaskExecutions?: number;
  /** Worker identity shown in the Temporal UI. */
  workerIdentity?: string;
}

/** The workflows entry file is missing (a broken build or install). */
export class WorkflowsEntryNotFoundError extends Error {
  override readonly name = 'WorkflowsEntryNotFoundError';
}

/**
 * The workflows entry file next to this module: `.ts` when running from source (tsx, vitest),
 * `.js` when running from the built `dist`.
 */
export function workflowsEntryPath(): string {
  for (const name of ['../workflows/index.ts', '../workflows/index.js']) {
    const path = fileURLToPath(new URL(name, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new WorkflowsEntryNotFoundError(
    `No workflows entry (index.ts or index.js) next to ${fileURLToPath(import.meta.url)}`,
  );
}

/** A Temporal worker running the cascade workflows and activities against `api`. */
export async function createCascadeWorker(options: CascadeWorkerOptions): Promise<Worker> {
  const activities = createActivities({
    api: options.api,
    identity: options.identity,
    log: options.log,
    account: options.account,
    webhooks: options.webhooks,
    catalog: options.catalog,
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? DEFAULT_NAMESPACE,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    activities,
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: workflowsEntryPath() }),
    ...(options.maxConcurrentActivityTaskExecutions !== undefined && {
      maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions,
    }),
    ...(options.workerIdentity !== undefined && { identity: options.workerIdentity }),
  });
}
