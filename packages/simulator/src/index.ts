/** `spacelift-simulator`: a local Spacelift (GraphQL API, run lifecycle, signed webhooks). */
export { startSimulator, type Simulator } from './simulator.js';
export {
  SimulatorConfigSchema,
  type SimulatorConfig,
  type SimulatorConfigInput,
  type StartSimulatorOptions,
} from './simulator-options.js';
export type { SimulatorStats } from './simulator-stats.js';
export { runStateWebhookPayload, type RunStateWebhookPayload } from './webhook-payload.js';
export { MAX_WEBHOOK_RETRIES } from './webhook-sender.js';
