/**
 * `spacelift-client/testing`: an in-memory Spacelift for tests (MockSpacelift) and the
 * store, schema and seed format the simulator shares with it.
 */
export { MockSpacelift, type MockSpaceliftOptions } from './mock-spacelift.js';
export {
  SpaceliftStore,
  ROOT_SPACE_ID,
  type SpaceliftStoreOptions,
  type RunRecord,
  type StackRecord,
  type RunStateChange,
  type RunStateListener,
  type RunTransitionRecord,
} from './spacelift-store.js';
export { SpaceliftStoreError, type SpaceliftStoreErrorCode } from './store-error.js';
export {
  createSpaceliftSchema,
  readSchemaSource,
  type SpaceliftResolverContext,
} from './spacelift-schema.js';
export { nextRunState } from './run-lifecycle.js';
export { SeedSchema, RunOutcomeSchema, type Seed, type SeedInput, type RunOutcome } from './seed-schema.js';
