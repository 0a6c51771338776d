import { describe, expect, it } from 'vitest';
import { EstateModel } from '../../src/estate/estate-model.js';
import type { EstateSnapshot } from '../../src/estate/estate-snapshot.js';
import {
  ActionRefusal,
  checkFreeze,
  checkUnfreeze,
  OperatorControls,
} from '../../src/estate/operator-controls.js';
import { Estate, options } from './estate-driver.js';

/** root -> {a, b}; a -> c; b -> c. */
const DIAMOND = { root: [], a: ['root'], b: ['root'], c: ['a', 'b'], other: [] };

describe('freeze', () => {
  it('decides no trigger while frozen; needs accumulate; unfreeze runs each waiting stack once, in order', () => {
    const e = new Estate(DIAMOND);
    const freeze = e.model.freeze({ by: 'alice', reason: 'incident 4711', until: null }, e.clock * 1000);
    expect(freeze).toEqual({ since: e.clock * 1000, by: 'alice', reason: 'incident 4711', until: null });
    const first = e.push('root');
    e.push('root');
    e.push('root');
    expect(e.step()).toEqual([]);
    expect(e.view('a')).toEqual({
      state: 'held',
      hold: 'freeze',
      reason: 'the estate is frozen by alice: incident 4711',
      heldSince: freeze.since,
    });
    expect(e.view('c')).toEqual({ state: 'waiting', waitingFor: ['a', 'b'] });
    const cascade = e.model.findCascade(first)!;
    expect(cascade).toMatchObject({
      phase: 'held',
      heldOn: ['the estate is frozen by alice: incident 4711'],
    });
    expect(e.model.estate()).toMatchObject({ freeze, cascadeCounts: { held: 1 } });
    expect(e.model.unfreeze('bob')).toEqual({ freeze, by: 'bob', waiting: ['a', 'b'] });
    expect(e.settle()).toEqual([['a', 'b'], ['c']]);
    expect(e.triggered).toEqual(['a', 'b', 'c']);
    expect(e.model.estate().freeze).toBeNull();
  });

  it('runs in flight go on while frozen, and their changes wait', () => {
    const e = new Estate(DIAMOND);
    e.push('root');
    expect(e.step()).toEqual(['a', 'b']);
    e.model.freeze({ by: 'alice' }, e.clock * 1000);
    expect(e.wave()).toEqual([]);
    expect(e.view('a').state).toBe('finished');
    expect(e.view('c')).toMatchObject({ state: 'held', hold: 'freeze' });
    e.model.unfreeze('alice');
    expect(e.step()).toEqual(['c']);
  });

  it('a trigger called off by a freeze needs its run again, unless the run it created is seen', () => {
    const e = new Estate({ root: [], a: ['root'], b: ['root'] });
    e.push('root');
    expect(e.model.takeReady(10).map((r) => r.stackId)).toEqual(['a', 'b']);
    e.model.freeze({ by: 'alice' }, e.clock * 1000);
    // a's trigger created its run before it was called off: its delivery shows it.
    e.clock++;
    e.obs('a', 'a-run', 'QUEUED', { triggeredBy: 'api::cascade' });
    e.model.triggerHeld('a', e.clock * 1000);
    e.model.triggerHeld('b', e.clock * 1000);
    expect(e.view('a')).toMatchObject({ state: 'queued', runId: 'a-run' });
    expect(e.view('b')).toMatchObject({ state: 'held', hold: 'freeze' });
    e.model.unfreeze('alice');
    expect(e.step()).toEqual(['b']);
  });

  it('is carried through a snapshot (continue-as-new)', () => {
    const e = new Estate(DIAMOND);
    e.model.freeze({ by: 'alice', reason: 'change freeze', until: 9_000_000 }, 100_000);
    e.push('root');
    const snapshot = e.model.snapshot();
    expect(snapshot.controls).toEqual({
      freeze: { since: 100_000, by: 'alice', reason: 'change freeze', until: 9_000_000 },
    });
    const restored = new EstateModel(options, JSON.parse(JSON.stringify(snapshot)) as EstateSnapshot);
    expect(restored.takeReady(10)).toEqual([]);
    expect(restored.controlsView()).toEqual(e.model.controlsView());
    expect(restored.snapshot()).toEqual(snapshot);
    restored.unfreeze('bob');
    expect(restored.takeReady(10).map((r) => r.stackId)).toEqual(['a', 'b']);
  });

  it('validates requests: who, the end in the future, not twice; unfreeze only when frozen', () => {
    const controls = new OperatorControls();
    const now = 1_000_000;
    expect(() => checkFreeze({ by: ' ' }, controls, now)).toThrow(ActionRefusal);
    expect(() => checkFreeze({ by: ' ' }, controls, now)).toThrow(/say who acts/);
    expect(() => checkFreeze({ by: 'alice', until: now - 1 }, controls, now)).toThrow(
      "the freeze's end (1970-01-01T00:16Z) is not in the future",
    );
    expect(() => checkFreeze({ by: 'alice', reason: 'x'.repeat(501) }, controls, now)).toThrow(
      /longer than 500/,
    );
    expect(() => checkUnfreeze('alice', controls)).toThrow('the estate is not frozen');
    checkFreeze({ by: 'alice', until: now + 1 }, controls, now);
    controls.freeze = { since: now, by: 'alice', reason: 'incident', until: null };
    expect(() => checkFreeze({ by: 'bob' }, controls, now)).toThrow(
      'the estate is already frozen since 1970-01-01T00:16Z by alice: incident; unfreeze it first',
    );
    checkUnfreeze('bob', controls);
  });
});
