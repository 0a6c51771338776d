import type { CascadeInput, CascadeOptions } from '../../src/cascade-contract.js';

/** Cascade options for tests: short polls, run links on a fixed account URL. */
export const testOptions = (overrides: Partial<CascadeOptions> = {}): CascadeOptions => ({
  labelPrefix: 'dependsOn:',
  maxParallel: 10,
  runType: 'TRACKED',
  pollIntervalMs: 50,
  runUrlBase: 'https://acme.app.spacelift.io',
  ...overrides,
});

export const cascadeInput = (
  rootStackId: string,
  rootRunId: string,
  overrides: Partial<CascadeOptions> = {},
  rootFinished = true,
): CascadeInput => ({ rootStackId, rootRunId, rootFinished, options: testOptions(overrides) });
