import { randomBytes } from 'node:crypto';
import type { RunType } from 'spacelift-client';
import type { RunRecord } from './runs.js';
import type { SpaceliftStore } from './spacelift-store.js';
import { SpaceliftStoreError } from './store-error.js';

/*
 * The sources of runs a real account has besides API calls: a git push, a user in the UI,
 * drift detection. The simulator offers them as simulator-only mutations.
 */

/**
 * A push of one commit touching `stackIds`: one TRACKED run per stack on that commit,
 * `triggeredBy` null (Spacelift shows "Git commit"). Disabled stacks ignore pushes; unknown
 * stacks fail the whole push before any run is created.
 */
export function pushCommit(
  store: SpaceliftStore,
  stackIds: readonly string[],
  commitSha: string | null,
  message: string | null,
): RunRecord[] {
  if (stackIds.length === 0)
    throw new SpaceliftStoreError('INVALID_INPUT', 'a push needs at least one stack');
  const stacks = stackIds.map((id) => store.stacks.require(id));
  const sha = commitSha ?? randomBytes(20).toString('hex');
  const commit = store.runs.commitFor(stacks[0]!, sha, message ?? `Push ${sha.slice(0, 7)}`);
  return stacks
    .filter((s) => !s.isDisabled)
    .map((s) => store.runs.trigger(s.id, { type: 'TRACKED', triggeredBy: null, commit }));
}

/** A run a user starts from the UI; `triggeredBy` is their name. */
export function uiRun(
  store: SpaceliftStore,
  stackId: string,
  user: string,
  type: RunType = 'TRACKED',
): RunRecord {
  if (user.trim() === '') throw new SpaceliftStoreError('INVALID_INPUT', 'user must not be empty');
  return store.runs.trigger(stackId, { type, triggeredBy: user });
}

/** A drift-detection reconciliation run: TRACKED, `driftDetection` true, `triggeredBy` null. */
export function driftRun(store: SpaceliftStore, stackId: string): RunRecord {
  return store.runs.trigger(stackId, { type: 'TRACKED', triggeredBy: null, driftDetection: true });
}
