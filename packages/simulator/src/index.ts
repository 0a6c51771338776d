/**
 * `spacelift-simulator`: a local Spacelift (GraphQL API, run lifecycle, signed webhooks,
 * webhook integrations, HTML pages), the seed format it starts from, and the seeded random
 * source its fault knobs draw from. For unit tests, `MockSpacelift` is in
 * `spacelift-simulator/testing`.
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
/** The seed format (`--seed`, `startSimulator({ seed })`, `MockSpacelift`) and a file loader for it. */
export { SeedSchema, type Seed, type SeedInput } from './spacelift/seed-schema.js';
export { loadSeed, readSeedFile, SeedFileError } from './seed-file.js';
export { seededRandom, shuffled } from './seeded-random.js';
