/**
 * Run states the workflows need, as plain data: workflow code cannot import `spacelift-client`
 * (its entry pulls in Node built-ins). A test checks this list equals the client's.
 */
export const TERMINAL_RUN_STATES: readonly string[] = [
  'FINISHED',
  'FAILED',
  'STOPPED',
  'CANCELED',
  'DISCARDED',
  'SKIPPED',
];

export const isTerminal = (state: string): boolean => TERMINAL_RUN_STATES.includes(state);

/** Only FINISHED lets dependents run. */
export const SUCCESS_STATE = 'FINISHED';
