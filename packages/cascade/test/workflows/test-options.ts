import type { CascadeOptions } from '../../src/cascade-contract.js';

/** Cascade options for tests: polls and passes far away unless a test wants them. */
export const testOptions = (overrides: Partial<CascadeOptions> = {}): CascadeOptions => ({
  labelPrefix: 'dependsOn:',
  maxParallel: 10,
  runType: 'TRACKED',
  pollIntervalMs: 60_000,
  reconcileIntervalMs: 600_000,
  runUrlBase: 'https://acme.app.spacelift.io',
  driftRuns: 'cascade',
  ...overrides,
});
