/**
 * The run states the estate model reads, as plain data: workflow code cannot import
 * `spacelift-client` (its entry pulls in Node built-ins). A test checks the terminal states
 * equal the client's.
 */
export const TERMINAL_RUN_STATES: readonly string[] = [
  'FINISHED',
  'FAILED',
  'STOPPED',
  'CANCELED',
  'DISCARDED',
  'SKIPPED',
];

/** Whether a run in `state` has ended. */
export const isTerminal = (state: string): boolean => TERMINAL_RUN_STATES.includes(state);

/** Only FINISHED lets dependents run. */
export const SUCCESS_STATE = 'FINISHED';

/** States of a run waiting for a worker: the stack shows as queued. */
export const QUEUED_STATES: ReadonlySet<string> = new Set(['QUEUED', 'READY', 'PENDING', 'PENDING_REVIEW']);

/** A run waiting for a person to confirm it (a confirmation timeout blocks its dependents). */
export const AWAITING_CONFIRMATION = 'UNCONFIRMED';
