/**
 * `spacelift-cascade` as a library: the pieces the CLI composes, for embedding the webhook
 * receiver or a worker in a process of your own.
 */
export * from './cascade-contract.js';
export * from './constants.js';
export * from './coordinator-contract.js';
export { Coordinator } from './temporal/coordinator.js';
export * from './graph/index.js';
export { createActivities, type CascadeActivityDeps } from './activities/create-activities.js';
export { createCascadeWorker, workflowsEntryPath, type CascadeWorkerOptions } from './worker/index.js';
export {
  connectTemporalClient,
  connectTemporalWorker,
  parseTemporalConnectionConfig,
  type TemporalConnectionConfig,
} from './temporal/connection.js';
export {
  findTemporalCli,
  startDevServer,
  TemporalCliError,
  type DevServer,
  type DevServerOptions,
} from './temporal/dev-server.js';
export { TemporalCascadeGateway } from './temporal/cascade-gateway.js';
export { buildWebhookServer, listenWebhookServer, type WebhookServerOptions } from './webhook/server.js';
export { loadWebhookConfig, type WebhookConfig } from './webhook/webhook-config.js';
export { ConfigError } from './config/config-error.js';
export { parseWebhookPayload } from './webhook/run-event.js';
export { dispatchRunEvent, type DispatchResult, type WebhookAction } from './webhook/dispatch-run-event.js';
