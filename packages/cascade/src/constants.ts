/** Names other systems see; the seed project's values, kept so its users find things where they expect. */
export const TASK_QUEUE = 'spacelift-task-queue';
/** The estate coordinator (the seed's name for "the workflow that runs the dependency chain"). */
export const PARENT_WORKFLOW = 'stackDependencyChainWorkflow';
/** One coordinator per estate: every receiver and worker of the estate uses this workflow id. */
export const DEFAULT_ESTATE_ID = 'spacelift-cascade-estate';
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_LABEL_PREFIX = 'dependsOn:';
export const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_TEMPORAL_UI_PORT = 8088;
export const DEFAULT_WEBHOOK_PORT = 8000;
export const DEFAULT_WEBHOOK_HOST = '0.0.0.0';
/** The admin side (dashboard, API, docs, metrics) listens on loopback unless the operator exposes it. */
export const DEFAULT_ADMIN_HOST = '127.0.0.1';
export const DEFAULT_ADMIN_PORT = 8001;
/** The demo's Spacelift simulator (demo mode only). */
export const DEFAULT_SIMULATOR_PORT = 4000;
/** The data folder: the embedded Temporal's SQLite file, the demo's settings, the service's lock. */
export const DEFAULT_DATA_DIR = '.data';
