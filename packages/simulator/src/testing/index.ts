/**
 * `spacelift-simulator/testing`: `MockSpacelift`, an in-memory Spacelift for your unit tests,
 * and the store and seed format it shares with the simulator.
 */
export { MockSpacelift, MockedSpacelift, type MockSpaceliftOptions } from './mock-spacelift.js';
export { SpaceliftStore, type SpaceliftStoreOptions } from '../spacelift/spacelift-store.js';
export { ROOT_SPACE_ID, type SpaceRecord } from '../spacelift/spaces.js';
export type { StackBehaviourInput, StackOutputRecord, StackRecord } from '../spacelift/stacks.js';
export type { RunDeltaRecord } from '../spacelift/stack-behaviour.js';
export type { ContextRecord } from '../spacelift/contexts.js';
export type { BlueprintRecord } from '../spacelift/blueprints.js';
export type { DependencyRecord } from '../spacelift/stack-dependencies.js';
export type { StackWebhookRecord, StackWebhookSettings } from '../spacelift/stack-webhooks.js';
export type {
  CommitRecord,
  RunRecord,
  RunRequest,
  RunStateChange,
  RunStateListener,
  RunTransitionRecord,
} from '../spacelift/runs.js';
export { SpaceliftStoreError, type SpaceliftStoreErrorCode } from '../spacelift/store-error.js';
export { nextRunState } from '../spacelift/run-lifecycle.js';
export {
  SeedSchema,
  RunOutcomeSchema,
  type Seed,
  type SeedInput,
  type RunOutcome,
} from '../spacelift/seed-schema.js';
