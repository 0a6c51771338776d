/**
 * `spacelift-simulator`: a local Spacelift (GraphQL API, run lifecycle, signed webhooks,
 * HTML pages). For unit tests, `MockSpacelift` is in `spacelift-simulator/testing`.
 */
export { startSimulator, type Simulator } from './simulator.js';
export {
  SimulatorConfigSchema,
  type SimulatorConfig,
  type SimulatorConfigInput,
  type StartSimulatorOptions,
} from './simulator-options.js';
export type { SimulatorStats, WebhookStatus } from './simulator-stats.js';
export type { SimulatorApiKey } from './api-key-auth.js';
/** The delivery body the simulator sends for a run state change (tests sign it like Spacelift does). */
export { runStateWebhookPayload, type RunStateWebhookPayload } from './webhook-payload.js';
