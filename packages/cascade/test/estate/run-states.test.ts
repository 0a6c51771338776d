import { RUN_STATES, TERMINAL_RUN_STATES as CLIENT_TERMINAL_RUN_STATES } from 'spacelift-client';
import { describe, expect, it } from 'vitest';
import {
  AWAITING_CONFIRMATION,
  isTerminal,
  QUEUED_STATES,
  SUCCESS_STATE,
  TERMINAL_RUN_STATES,
} from '../../src/estate/run-states.js';

describe('run states', () => {
  it("the model's copy of the terminal states equals the client's", () => {
    expect([...TERMINAL_RUN_STATES]).toEqual([...CLIENT_TERMINAL_RUN_STATES]);
  });

  it('names only run states Spacelift has', () => {
    const known: readonly string[] = RUN_STATES;
    for (const state of [...QUEUED_STATES, AWAITING_CONFIRMATION, SUCCESS_STATE]) {
      expect(known).toContain(state);
    }
  });

  it('tells ended runs from runs on their way', () => {
    expect(isTerminal('FAILED')).toBe(true);
    expect(isTerminal(SUCCESS_STATE)).toBe(true);
    expect(isTerminal('APPLYING')).toBe(false);
    expect(isTerminal(AWAITING_CONFIRMATION)).toBe(false);
  });
});
