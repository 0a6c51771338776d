import { isTerminalRunState, type RunState, type RunType } from '../types.js';
import type { RunOutcome } from './seed-schema.js';

/**
 * The state a run moves to next on its own (no user action), or `null` when it has ended or
 * waits for one (UNCONFIRMED waits for a confirm or discard).
 *
 * TRACKED: QUEUED, PREPARING, INITIALIZING, PLANNING, APPLYING, FINISHED.
 * PROPOSED (and TESTING): the same up to PLANNING, then FINISHED. TASK: PREPARING, PERFORMING,
 * FINISHED. DESTROY: like TRACKED with DESTROYING instead of APPLYING.
 * Outcome FAILED fails a run after PLANNING; UNCONFIRMED stops a tracked run there.
 */
export function nextRunState(type: RunType, outcome: RunOutcome, current: RunState): RunState | null {
  if (isTerminalRunState(current) || current === 'UNCONFIRMED') return null;
  if (type === 'TASK') {
    if (current === 'QUEUED') return 'PREPARING';
    if (current === 'PREPARING') return 'PERFORMING';
    return 'FINISHED';
  }
  switch (current) {
    case 'QUEUED':
      return 'PREPARING';
    case 'PREPARING':
      return 'INITIALIZING';
    case 'INITIALIZING':
      return 'PLANNING';
    case 'PLANNING':
      if (outcome === 'FAILED') return 'FAILED';
      if (type === 'PROPOSED' || type === 'TESTING') return 'FINISHED';
      if (outcome === 'UNCONFIRMED') return 'UNCONFIRMED';
      return type === 'DESTROY' ? 'DESTROYING' : 'APPLYING';
    case 'CONFIRMED':
      return type === 'DESTROY' ? 'DESTROYING' : 'APPLYING';
    default:
      return 'FINISHED';
  }
}
