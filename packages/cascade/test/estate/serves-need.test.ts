import { describe, expect, it } from 'vitest';
import { laterCreation, secondsToMs, servesNeed } from '../../src/estate/serves-need.js';

describe('servesNeed', () => {
  const need = { latest: 100_300 };

  it('a run created after the latest change serves the need', () => {
    expect(servesNeed({ createdMs: 100_301 }, need)).toBe(true);
  });

  it('a run created at or before the latest change does not: it may not include it', () => {
    expect(servesNeed({ createdMs: 100_300 }, need)).toBe(false);
    expect(servesNeed({ createdMs: 100_000 }, need)).toBe(false);
  });

  it('a run whose creation is unknown does not (one run too many, never a stale apply)', () => {
    expect(servesNeed({ createdMs: null }, need)).toBe(false);
    expect(servesNeed({}, need)).toBe(false);
  });

  it('a later change lifts the bar: the same run no longer serves', () => {
    const run = { createdMs: 100_600 };
    expect(servesNeed(run, need)).toBe(true);
    expect(servesNeed(run, { latest: 100_600 })).toBe(false);
  });
});

describe('creation bounds', () => {
  it('whole seconds become ms, rounded down to the second', () => {
    expect(secondsToMs(100)).toBe(100_000);
    expect(secondsToMs(null)).toBeNull();
    expect(secondsToMs(undefined)).toBeNull();
  });

  it('the later of two bounds wins; an unknown one is left out', () => {
    expect(laterCreation(100_000, 100_600)).toBe(100_600);
    expect(laterCreation(100_600, 100_000)).toBe(100_600);
    expect(laterCreation(null, 100_600)).toBe(100_600);
    expect(laterCreation(100_000, undefined)).toBe(100_000);
    expect(laterCreation(null, null)).toBeNull();
    expect(laterCreation(undefined, undefined)).toBeNull();
  });

  it("a QUEUED delivery's ms prove a run in the same second as a change came after it", () => {
    const change = { latest: 100_300 };
    expect(servesNeed({ createdMs: secondsToMs(100) }, change)).toBe(false);
    expect(servesNeed({ createdMs: laterCreation(secondsToMs(100), 100_600) }, change)).toBe(true);
  });
});
