import { describe, expect, it } from 'vitest';
import type { CascadeOptions } from '../../src/cascade-contract.js';
import { EstateModel } from '../../src/estate/estate-model.js';
import type { EstateSnapshot } from '../../src/estate/estate-snapshot.js';
import {
  ActionRefusal,
  checkFreeze,
  checkUnfreeze,
  OperatorControls,
  windowsKey,
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

/** root -> gate (cascade:approval) -> below; root -> free. */
function gatedEstate(opts: Partial<CascadeOptions> = {}): Estate {
  const e = new Estate({ root: [], gate: ['root'], below: ['gate'], free: ['root'] }, opts);
  e.model.setGraph(
    [
      { id: 'root', dependsOn: [] },
      { id: 'gate', dependsOn: ['root'], cascadeLabels: ['cascade:approval'] },
      { id: 'below', dependsOn: ['gate'] },
      { id: 'free', dependsOn: ['root'] },
    ],
    0,
  );
  return e;
}

describe('approvals', () => {
  it('a stack labelled cascade:approval waits for a person in its cascade; the approval lets it run', () => {
    const e = gatedEstate();
    const r = e.push('root');
    expect(e.step()).toEqual(['free']);
    const id = e.model.findCascade(r)!.id;
    expect(e.view('gate')).toEqual({
      state: 'held',
      hold: 'approval',
      reason: `awaiting approval in ${id}: spacelift-cascade cascades approve ${id} gate`,
      heldSince: e.clock * 1000,
      cascadeId: id,
    });
    expect(e.model.controlsView().approvals).toEqual([
      { cascadeId: id, stackId: 'gate', since: e.clock * 1000 },
    ]);
    e.wave();
    expect(e.model.findCascade(r)).toMatchObject({
      phase: 'held',
      heldOn: [expect.stringMatching(/^awaiting approval in /)],
    });
    const decision = e.model.decide(
      { cascadeId: r, stackId: 'gate', by: 'alice', note: 'go' },
      'approved',
      5_000,
    );
    expect(decision).toEqual({
      cascadeId: id,
      stackId: 'gate',
      verdict: 'approved',
      by: 'alice',
      at: 5_000,
      note: 'go',
    });
    expect(e.model.controlsView().approvals).toEqual([]);
    expect(e.settle()).toEqual([['gate'], ['below']]);
    expect(e.model.findCascade(r)!.phase).toBe('completed');
  });

  it('an approval holds for its cascade: a change joining it needs none; a new cascade does', () => {
    const e = gatedEstate();
    const r = e.push('root');
    e.model.decide({ cascadeId: r, stackId: 'gate', by: 'alice' }, 'approved', 1);
    // Approved ahead, while root's second change joins before gate runs.
    e.push('root');
    expect(e.settle()).toEqual([['gate', 'free'], ['below']]);
    const later = e.push('root');
    expect(e.step()).toEqual(['free']);
    expect(e.model.findCascade(later)!.id).not.toBe(e.model.findCascade(r)!.id);
    expect(e.view('gate')).toMatchObject({ state: 'held', hold: 'approval' });
  });

  it('a rejection ends the stack and what is below it blocked, saying who and why; a later approval resumes it', () => {
    const e = gatedEstate();
    const r = e.push('root');
    e.settle();
    e.model.decide(
      { cascadeId: r, stackId: 'gate', by: 'alice', note: 'not during the sale' },
      'rejected',
      7_000,
    );
    expect(e.view('gate')).toEqual({
      state: 'blocked',
      blockedBy: 'gate',
      reason: 'rejected by alice: not during the sale',
    });
    expect(e.view('below')).toEqual({
      state: 'blocked',
      blockedBy: 'gate',
      reason: 'upstream gate was rejected by alice: not during the sale',
    });
    const ended = e.model.findCascade(r)!;
    expect(ended).toMatchObject({ phase: 'blocked', endedAt: 7_000 });
    e.model.decide(
      { cascadeId: ended.id, stackId: 'gate', by: 'bob', note: 'sale is over' },
      'approved',
      9_000,
    );
    const resumed = e.model.cascade(`${ended.id}-resumed-1`)!;
    expect(resumed).toMatchObject({ resumes: [ended.id] });
    expect(e.settle()).toEqual([['gate'], ['below']]);
    expect(e.model.cascade(resumed.id)!.phase).toBe('completed');
  });

  it('refuses with the reason: no such cascade, a stack with no label, not reached, the same verdict twice, too late', () => {
    const e = gatedEstate();
    const r = e.push('root');
    e.step();
    const refused = (stackId: string, verdict: 'approved' | 'rejected', cascadeId = r) => {
      try {
        e.model.checkVerdict({ cascadeId, stackId, by: 'alice' }, verdict);
        return null;
      } catch (err) {
        expect(err).toBeInstanceOf(ActionRefusal);
        return (err as Error).message;
      }
    };
    const id = e.model.findCascade(r)!.id;
    expect(refused('gate', 'approved', 'nope')).toBe('no cascade "nope" (or one caused by that run)');
    expect(refused('free', 'approved')).toBe('free needs no approval: it has no cascade:approval label');
    expect(refused('gate', 'approved')).toBeNull();
    e.model.decide({ cascadeId: r, stackId: 'gate', by: 'alice' }, 'approved', 1);
    expect(refused('gate', 'approved')).toBe(`gate was already approved in ${id} by alice`);
    e.step();
    expect(refused('gate', 'rejected')).toBe(
      `gate is not waiting in cascade ${id}: it has run, or is running`,
    );
  });

  it('CASCADE_APPROVAL_TIMEOUT: an approval not given in time ends the stack blocked', () => {
    const e = gatedEstate({ approvalTimeoutMs: 3_600_000 });
    const r = e.push('root');
    e.step();
    const since = e.clock * 1000;
    expect(e.model.nextApprovalDeadline()).toBe(since + 3_600_000);
    e.model.expireApprovals(since + 3_599_999);
    expect(e.view('gate').state).toBe('held');
    e.model.expireApprovals(since + 3_600_000);
    expect(e.view('gate')).toMatchObject({
      state: 'blocked',
      reason: 'rejected by the approval timeout: no approval within 60 min (CASCADE_APPROVAL_TIMEOUT)',
    });
    expect(e.model.nextApprovalDeadline()).toBeNull();
    e.wave();
    expect(e.model.findCascade(r)!.phase).toBe('blocked');
  });

  it('carries labels, verdicts and waits through a snapshot; before the approval rule a label holds nothing', () => {
    const e = gatedEstate();
    const r = e.push('root');
    e.step();
    e.model.decide({ cascadeId: r, stackId: 'gate', by: 'alice', note: 'no' }, 'rejected', 1);
    const snapshot = e.model.snapshot();
    const restored = new EstateModel(options, JSON.parse(JSON.stringify(snapshot)) as EstateSnapshot);
    expect(restored.snapshot()).toEqual(snapshot);
    expect(restored.stackView('gate')).toEqual(e.view('gate'));

    const old = new Estate({ root: [], gate: ['root'] }, {}, { approvals: false });
    old.obs('gate', 'g-p', 'QUEUED', {
      runType: 'PROPOSED',
      stackLabels: ['dependsOn:root', 'cascade:approval'],
    });
    old.push('root');
    expect(old.step()).toEqual(['gate']);
  });
});

describe('failure budget (CASCADE_MAX_FAILURES)', () => {
  /** hub -> bad1, bad2 (fail), slow -> after */
  const graph = { hub: [], bad1: ['hub'], bad2: ['hub'], slow: ['hub'], after: ['slow'] };

  it('pauses a cascade when that many of its runs failed: runs in flight go on, nothing new of it runs; resume lets it go on', () => {
    const e = new Estate(graph, { maxFailures: 2 });
    const r = e.push('hub');
    expect(e.step().sort()).toEqual(['bad1', 'bad2', 'slow']);
    const id = e.model.findCascade(r)!.id;
    e.clock++;
    e.obs('bad1', e.ownRun.get('bad1')!, 'FAILED');
    expect(e.model.controlsView().pauses).toEqual([]);
    e.obs('bad2', e.ownRun.get('bad2')!, 'FAILED');
    const pause = { since: e.clock * 1000, failures: 2, reason: '2 runs failed (CASCADE_MAX_FAILURES=2)' };
    expect(e.model.controlsView().pauses).toEqual([{ cascadeId: id, ...pause }]);
    // slow's run was in flight: it goes on; after, which it changed, is held by the pause.
    e.obs('slow', e.ownRun.get('slow')!, 'FINISHED');
    e.ownRun.clear();
    expect(e.step()).toEqual([]);
    expect(e.view('after')).toEqual({
      state: 'held',
      hold: 'pause',
      cascadeId: id,
      reason: `cascade ${id} paused: 2 runs failed (CASCADE_MAX_FAILURES=2); spacelift-cascade cascades resume ${id}`,
      heldSince: pause.since,
    });
    expect(e.model.findCascade(r)).toMatchObject({ phase: 'held', paused: pause });
    expect(() => e.model.checkResume({ cascadeId: 'nope', by: 'alice' })).toThrow(ActionRefusal);
    expect(e.model.resume({ cascadeId: r, by: 'alice' }, 9_000)).toEqual({
      cascadeId: id,
      by: 'alice',
      at: 9_000,
      pause,
    });
    expect(() => e.model.checkResume({ cascadeId: r, by: 'alice' })).toThrow(`cascade ${id} is not paused`);
    expect(e.step()).toEqual(['after']);
    expect(e.model.controlsView().pauses).toEqual([]);
  });

  it('is off by default, and counts only the runs of its own cascade', () => {
    const off = new Estate(graph);
    off.push('hub');
    off.step();
    off.clock++;
    for (const id of ['bad1', 'bad2']) off.obs(id, off.ownRun.get(id)!, 'FAILED');
    off.obs('slow', off.ownRun.get('slow')!, 'FINISHED');
    expect(off.model.controlsView().pauses).toEqual([]);
    expect(off.model.takeReady(10).map((t) => t.stackId)).toEqual(['after']);

    // A failed run from another source is no run of the cascade.
    const e = new Estate(graph, { maxFailures: 1 });
    const r = e.push('hub');
    e.step();
    const ui = e.start('bad1');
    e.clock++;
    e.finish('bad1', ui, 'FAILED');
    expect(e.model.findCascade(r)!.paused).toBeUndefined();
  });
});

describe('change windows', () => {
  const windows = {
    estate: [{ days: [1], start: 540, end: 1020, zone: 'UTC', text: 'Mon 09:00-17:00 UTC' }],
    named: { night: [{ days: [1], start: 1320, end: 120, zone: 'UTC', text: 'Mon 22:00-02:00 UTC' }] },
  };
  /** Open from 200 s to 300 s (the estate's) and from 400 s to 500 s ("night"), computed outside. */
  const schedule = {
    key: windowsKey(windows),
    computedAt: 0,
    horizon: 14 * 86_400_000,
    windows: {
      '': [{ start: 200_000, end: 300_000, opens: 'Mon 09:00 (UTC)' }],
      night: [{ start: 400_000, end: 500_000, opens: 'Mon 22:00 (UTC)' }],
    },
  };

  it('outside its window a stack is held until it opens; a stack labelled cascade:window:<name> follows that one', () => {
    const e = new Estate({ root: [], day: ['root'], late: ['root'] }, { changeWindows: windows });
    e.model.setGraph(
      [
        { id: 'root', dependsOn: [] },
        { id: 'day', dependsOn: ['root'] },
        { id: 'late', dependsOn: ['root'], cascadeLabels: ['cascade:window:night'] },
      ],
      0,
    );
    expect(e.model.windowsDue(0)).toEqual(windows);
    e.model.setWindowSchedule(schedule);
    expect(e.model.windowsDue(0)).toBeNull();
    const r = e.push('root');
    expect(e.step()).toEqual([]);
    expect(e.view('day')).toEqual({
      state: 'held',
      hold: 'window',
      reason: 'outside the change window: held until Mon 09:00 (UTC)',
      heldSince: 0,
    });
    expect(e.view('late')).toMatchObject({
      reason: 'outside the "night" change window: held until Mon 22:00 (UTC)',
    });
    expect(e.model.findCascade(r)).toMatchObject({ phase: 'held' });
    expect(e.model.nextWindowEdge()).toBe(200_000);
    expect(e.model.controlsView().windows).toEqual({
      '': { open: false, next: schedule.windows[''][0] },
      night: { open: false, next: schedule.windows.night[0] },
    });
    // The estate's window, for the dashboard's banner (the named ones show on their stacks).
    expect(e.model.estate().window).toEqual({ open: false, next: schedule.windows[''][0] });
    e.model.tick(200_000);
    expect(e.model.estate().window).toEqual({ open: true, next: null });
    expect(e.step()).toEqual(['day']);
    expect(e.model.nextWindowEdge()).toBe(300_000);
    e.model.tick(400_000);
    expect(e.step()).toEqual(['late']);
  });

  it('holds what it cannot place: a window not computed yet, a name not configured', () => {
    const e = new Estate({ root: [], odd: ['root'] }, { changeWindows: windows });
    e.model.setGraph(
      [
        { id: 'root', dependsOn: [] },
        { id: 'odd', dependsOn: ['root'], cascadeLabels: ['cascade:window:weekend'] },
      ],
      0,
    );
    e.push('root');
    expect(e.view('odd')).toMatchObject({
      reason: 'the "weekend" change window is being read (held until it is known)',
    });
    e.model.setWindowSchedule(schedule);
    expect(e.view('odd')).toMatchObject({
      reason: 'no change window "weekend" is configured (CASCADE_CHANGE_WINDOWS_WEEKEND)',
    });
    expect(e.step()).toEqual([]);
  });

  it('carries the schedule through a snapshot; a new configuration, or a near horizon, asks for another', () => {
    const e = new Estate({ root: [] }, { changeWindows: windows });
    e.model.setWindowSchedule(schedule);
    const restored = new EstateModel(
      { ...options, changeWindows: windows },
      JSON.parse(JSON.stringify(e.model.snapshot())) as EstateSnapshot,
    );
    expect(restored.windowsDue(0)).toBeNull();
    expect(restored.nextWindowEdge()).toBe(200_000);
    expect(restored.windowsDue(12 * 86_400_000)).toEqual(windows);
    restored.setOptions({ ...options, changeWindows: { ...windows, estate: null } });
    expect(restored.windowsDue(0)).toEqual({ ...windows, estate: null });
  });
});
