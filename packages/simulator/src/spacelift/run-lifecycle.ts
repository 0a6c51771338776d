import { isTerminalRunState, type RunState, type RunType } from 'spacelift-client';
import type { RunOutcome } from './seed-schema.js';

/** Tracked runs, tasks and destroy runs hold their stack one at a time; proposed and testing runs do not. */
export const takesStackLock = (type: RunType): boolean => type !== 'PROPOSED' && type !== 'TESTING';

/**
 * The state a run moves to next on its own (no user action), or `null` when it has ended or
 * waits for one (UNCONFIRMED waits for a confirm or discard). As Spacelift documents it:
 *
 * TRACKED: QUEUED, READY, PREPARING, INITIALIZING, PLANNING, then UNCONFIRMED unless the
 * stack has autodeploy, CONFIRMED, PREPARING_APPLY, APPLYING, FINISHED.
 * PROPOSED (and TESTING): the same up to PLANNING, then FINISHED. TASK: QUEUED, READY,
 * PREPARING, PERFORMING, FINISHED. DESTROY: like TRACKED with DESTROYING instead of APPLYING.
 *
 * The stack's seeded outcome: FAILED fails a run after PLANNING; NO_CHANGES ends a tracked run
 * FINISHED after PLANNING (a plan with nothing to apply); UNCONFIRMED waits for confirmation
 * whatever autodeploy says.
 */
export function nextRunState(
  type: RunType,
  outcome: RunOutcome,
  autodeploy: boolean,
  current: RunState,
): RunState | null {
  if (isTerminalRunState(current) || current === 'UNCONFIRMED') return null;
  if (current === 'QUEUED') return 'READY';
  if (current === 'READY') return 'PREPARING';
  if (type === 'TASK') return current === 'PREPARING' ? 'PERFORMING' : 'FINISHED';
  switch (current) {
    case 'PREPARING':
      return 'INITIALIZING';
    case 'INITIALIZING':
      return 'PLANNING';
    case 'PLANNING':
      if (outcome === 'FAILED') return 'FAILED';
      if (type === 'PROPOSED' || type === 'TESTING' || outcome === 'NO_CHANGES') return 'FINISHED';
      return outcome === 'UNCONFIRMED' || !autodeploy ? 'UNCONFIRMED' : 'CONFIRMED';
    case 'CONFIRMED':
      return 'PREPARING_APPLY';
    case 'PREPARING_APPLY':
      return type === 'DESTROY' ? 'DESTROYING' : 'APPLYING';
    default:
      return 'FINISHED';
  }
}

/** States in which a run occupies a worker (a worker picks a READY run, or a CONFIRMED one to apply it). */
export const WORKER_STATES: ReadonlySet<RunState> = new Set<RunState>([
  'PREPARING',
  'INITIALIZING',
  'PLANNING',
  'PREPARING_APPLY',
  'APPLYING',
  'PERFORMING',
  'DESTROYING',
]);
