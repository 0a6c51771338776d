import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type CascadeActivityDeps } from '../activities/create-activities.js';
import { DEFAULT_NAMESPACE, TASK_QUEUE } from '../constants.js';

/** The worker's options: its connection and queue, the activities' dependencies, its sizes. */
export interface CascadeWorkerOptions extends CascadeActivityDeps {
  connection: NativeConnection;
  namespace?: string;
  /** Default `spacelift-task-queue`. */
  taskQueue?: string;
  /**
   * A bundle from `bundleWorkflowCode` (tests, benches); else the one `npm run build` wrote into
   * dist (see {@link prebuiltWorkflowBundlePath}); else the workflows are bundled at start.
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * Workflows kept in memory between their tasks (default {@link DEFAULT_MAX_CACHED_WORKFLOWS});
   * one evicted replays its history at its next task.
   */
  maxCachedWorkflows?: number;
  /** Workflow tasks run at once (default {@link DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS}). */
  maxConcurrentWorkflowTaskExecutions?: number;
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

/**
 * The workflow bundle `npm run build` writes next to the built workflows
 * (`dist/workflow-bundle.js`, by scripts/bundle-workflows.mjs), so a worker started from dist
 * does not load webpack into the service to bundle at start. null when running from source
 * (`entry` is TypeScript), when there is none, or when it is older than the workflows entry (they
 * were compiled again after it was made: a stale bundle would run old workflow code).
 */
export function prebuiltWorkflowBundlePath(
  bundle = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url)),
  entry = workflowsEntryPath(),
): string | null {
  if (!entry.endsWith('.js') || !existsSync(bundle)) return null;
  return statSync(bundle).mtimeMs >= statSync(entry).mtimeMs ? bundle : null;
}

/**
 * Cached workflows: the service runs one coordinator per estate (and, for a moment, the one it
 * takes over), so a handful, not the SDK's default sized from the heap limit (about 2,400 with a
 * 4 GB heap). An evicted coordinator is replayed from its history, never lost.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 8;
/** Temporal runs one task of a workflow at a time: a few slots serve one coordinator. */
export const DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS = 4;

/** Where the worker's workflow code comes from: given, prebuilt in dist, or bundled at start. */
function workflowSource(
  given: WorkerOptions['workflowBundle'],
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (given) return { workflowBundle: given };
  const codePath = prebuiltWorkflowBundlePath();
  return codePath ? { workflowBundle: { codePath } } : { workflowsPath: workflowsEntryPath() };
}

/** A Temporal worker running the cascade workflows and activities against `api`. */
export async function createCascadeWorker(options: CascadeWorkerOptions): Promise<Worker> {
  const activities = createActivities(options);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? DEFAULT_NAMESPACE,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    activities,
    ...workflowSource(options.workflowBundle),
    maxCachedWorkflows: options.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions:
      options.maxConcurrentWorkflowTaskExecutions ?? DEFAULT_MAX_CONCURRENT_WORKFLOW_TASKS,
    ...(options.maxConcurrentActivityTaskExecutions !== undefined && {
      maxConcurrentActivityTaskExecutions: options.maxConcurrentActivityTaskExecutions,
    }),
    ...(options.workerIdentity !== undefined && { identity: options.workerIdentity }),
  });
}
