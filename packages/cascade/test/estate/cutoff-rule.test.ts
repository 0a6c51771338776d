import { describe, expect, it } from 'vitest';
import {
  alwaysCascades,
  cutoffVerdict,
  verdictBeforeRead,
  type FinishedRun,
} from '../../src/estate/cutoff-rule.js';

const zero = { added: 0, changed: 0, deleted: 0 };
const run = (overrides: Partial<FinishedRun> = {}): FinishedRun => ({
  runId: 'r2',
  delta: zero,
  previousEnd: 'FINISHED',
  baseline: 'digest-1',
  ...overrides,
});
const outputs = (digest = 'digest-1', hidden: string[] = []) => ({ digest, hidden });

describe('the early-cutoff rule', () => {
  it('a zero delta, the same outputs and a previous run that finished: not a change', () => {
    expect(verdictBeforeRead(run())).toBeNull(); // the outputs decide
    expect(cutoffVerdict(run(), outputs())).toEqual({ change: false, reason: 'run r2 changed nothing' });
    // After a discarded or skipped run nothing was applied: still not a change.
    expect(cutoffVerdict(run({ previousEnd: 'DISCARDED' }), outputs()).change).toBe(false);
  });

  it('any added, changed or deleted resource is a change, whatever the outputs (the total is no change)', () => {
    for (const delta of [
      { ...zero, added: 1 },
      { ...zero, changed: 2 },
      { ...zero, deleted: 1 },
    ]) {
      expect(verdictBeforeRead(run({ delta }))).toMatchObject({ change: true });
      expect(cutoffVerdict(run({ delta }), outputs()).change).toBe(true);
    }
    expect(verdictBeforeRead(run({ delta: { added: 1, changed: 2, deleted: 0 } }))!.reason).toBe(
      'run r2 added 1, changed 2, deleted 0',
    );
  });

  it('an output-only change (zero delta, a new output value) is a change', () => {
    expect(cutoffVerdict(run(), outputs('digest-2'))).toEqual({
      change: true,
      reason: 'run r2 changed the outputs',
    });
  });

  it('is conservative where unsure: no delta, outputs never read, a hidden value, a failed read', () => {
    expect(verdictBeforeRead(run({ delta: null }))).toEqual({ change: true, reason: 'run r2 gave no delta' });
    expect(verdictBeforeRead(run({ delta: undefined }))!.change).toBe(true);
    expect(verdictBeforeRead(run({ baseline: null }))).toEqual({
      change: true,
      reason: 'the outputs before run r2 were never read',
    });
    expect(cutoffVerdict(run(), outputs('digest-1', ['password']))).toEqual({
      change: true,
      reason: 'sensitive output password: the value is hidden',
    });
    expect(cutoffVerdict(run(), null)).toEqual({
      change: true,
      reason: 'the outputs after run r2 could not be read',
    });
    expect(verdictBeforeRead(run({ previousEnd: null }))!.change).toBe(true);
  });

  it('after a failed, stopped, canceled or vanished run the next FINISHED run is a change', () => {
    for (const previousEnd of ['FAILED', 'STOPPED', 'CANCELED', 'UNKNOWN']) {
      expect(cutoffVerdict(run({ previousEnd }), outputs()), previousEnd).toEqual({
        change: true,
        reason: `the run before r2 ended ${previousEnd} and may have applied part of a change`,
      });
    }
  });

  it('cascade:always is a label of its own', () => {
    expect(alwaysCascades(['dependsOn:net', 'cascade:always'])).toBe(true);
    expect(alwaysCascades(['dependsOn:net', 'cascade:always-not'])).toBe(false);
    expect(alwaysCascades([])).toBe(false);
  });
});
