import { describe, expect, it } from 'vitest';
import { EstateModel } from '../../src/estate/estate-model.js';
import type { EstateSnapshot } from '../../src/estate/estate-snapshot.js';
import { Estate, options } from './estate-driver.js';

const count = (list: string[], id: string) => list.filter((x) => x === id).length;

describe('EstateModel', () => {
  it('runs a change of the root once per stack, in layers', () => {
    const e = new Estate();
    const root = e.start('base');
    e.clock++;
    expect(e.finish('base', root)).toBe('change');
    expect(e.settle()).toEqual([['vpc'], ['rds', 'redis'], ['api'], ['frontend', 'jobs']]);
    expect(e.view('other')).toEqual({ state: 'idle' });
    expect(e.view('jobs').state).toBe('finished');
  });

  it('overlap: a push to base and vpc together runs vpc once more after base, and everything below once', () => {
    const e = new Estate();
    const baseRun = e.start('base');
    const vpcRun = e.start('vpc');
    e.clock += 5;
    // vpc's push run ends first: rds and redis need a run, but base is still applying.
    e.finish('vpc', vpcRun);
    expect(e.step()).toEqual([]);
    expect(e.view('rds')).toEqual({ state: 'waiting', waitingFor: ['vpc'] });
    e.clock += 5;
    e.finish('base', baseRun);
    // vpc's run started before base's change landed: not enough, it runs again.
    expect(e.settle()).toEqual([['vpc'], ['rds', 'redis'], ['api'], ['frontend', 'jobs']]);
    for (const id of ['vpc', 'rds', 'redis', 'api', 'frontend', 'jobs'])
      expect(count(e.triggered, id)).toBe(1);
    const cascades = e.model.cascadeList(10);
    expect(cascades).toHaveLength(1);
    expect(cascades[0]!.roots.sort()).toEqual(['base', 'vpc']);
    expect(cascades[0]!.phase).toBe('completed');
  });

  it('a diamond bottom waits for both parents and runs once', () => {
    const e = new Estate();
    const run = e.start('vpc');
    e.clock++;
    e.finish('vpc', run);
    expect(e.step()).toEqual(['rds', 'redis']);
    e.clock++;
    e.obs('rds', e.ownRun.get('rds')!, 'FINISHED');
    expect(e.step()).toEqual([]);
    expect(e.view('api')).toEqual({ state: 'waiting', waitingFor: ['redis'] });
    e.obs('redis', e.ownRun.get('redis')!, 'FINISHED');
    e.ownRun.delete('rds');
    e.ownRun.delete('redis');
    expect(e.step()).toEqual(['api']);
  });

  it('two quick changes of the root: a stack already running gets exactly one more run, the rest run once', () => {
    const e = new Estate({ root: [], a: ['root'], b: ['a'], c: ['b'] });
    const first = e.start('root');
    e.clock++;
    e.finish('root', first);
    expect(e.step()).toEqual(['a']);
    // Second change lands while a's run is in progress.
    const second = e.start('root');
    e.clock++;
    e.finish('root', second);
    expect(e.step()).toEqual([]);
    expect(e.view('a').state).toBe('queued');
    const waves = [...e.settle()];
    expect(waves).toEqual([['a'], ['b'], ['c']]);
    expect(count(e.triggered, 'a')).toBe(2);
    expect(count(e.triggered, 'b')).toBe(1);
    expect(count(e.triggered, 'c')).toBe(1);
  });

  it('a run from another source started after the change counts; one started before does not', () => {
    const e = new Estate({ root: [], a: ['root'], b: ['root'] });
    const early = e.start('b'); // someone re-runs b from the UI, before the root change
    e.clock++;
    const root = e.start('root');
    e.clock++;
    e.finish('root', root);
    // a is free to go; b has a run in flight: wait for it.
    expect(e.step()).toEqual(['a']);
    const late = e.start('a'); // a UI run of a... but a was already triggered: it is just another run
    e.clock++;
    e.finish('b', early, 'FINISHED', 99);
    // The early run does not serve the need (created before the change landed).
    expect(e.step()).toEqual(['b']);
    e.finish('a', late);
    expect(count(e.triggered, 'b')).toBe(1);

    // Now a UI run of a waiting stack created after the change serves it.
    const f = new Estate({ root: [], mid: ['root'], leaf: ['mid'] });
    const r = f.start('root');
    f.clock++;
    f.finish('root', r);
    expect(f.step()).toEqual(['mid']);
    f.clock += 2;
    const ui = f.start('leaf'); // leaf's own UI run while mid runs: created after root's change
    expect(f.view('leaf').state).toBe('queued');
    f.clock++;
    f.finish('leaf', ui);
    // leaf still needs mid's change: served by the UI run? No: mid's run has not finished yet.
    f.obs('mid', f.ownRun.get('mid')!, 'FINISHED');
    f.ownRun.clear();
    expect(f.step()).toEqual(['leaf']);
    expect(count(f.triggered, 'leaf')).toBe(1);
  });

  it('a waiting stack run from another source after its upstreams landed is not triggered again', () => {
    const e = new Estate({ root: [], a: ['root'], b: ['a'] });
    const r = e.start('root');
    e.clock++;
    e.finish('root', r);
    expect(e.settle()).toEqual([['a'], ['b']]);
    // a changes again by a push; b waits; the user runs b by hand after a finished.
    const push = e.start('a');
    e.clock++;
    e.finish('a', push);
    expect(e.view('b')).toEqual({ state: 'waiting', waitingFor: [] });
    // (the coordinator would trigger b now; here the user is faster)
    e.clock++;
    const ui = e.start('b');
    expect(e.view('b').state).toBe('queued');
    expect(e.step()).toEqual([]);
    e.clock++;
    e.finish('b', ui);
    expect(e.step()).toEqual([]);
    expect(count(e.triggered, 'b')).toBe(1);
  });

  it('a failure blocks what needs a run because of it, siblings go on, a fixed re-run releases', () => {
    const e = new Estate({ root: [], bad: ['root'], good: ['root'], below: ['bad'], beside: ['good'] });
    const r = e.start('root');
    e.clock++;
    e.finish('root', r);
    expect(e.step()).toEqual(['bad', 'good']);
    const waves = e.settle((id) => (id === 'bad' ? 'FAILED' : 'FINISHED'));
    expect(waves).toEqual([['beside']]);
    expect(e.view('below')).toMatchObject({ state: 'blocked', blockedBy: 'bad' });
    expect((e.view('below') as { reason: string }).reason).toMatch(
      /upstream bad failed: run bad-own-\d+ ended FAILED/,
    );
    expect(e.view('bad').state).toBe('failed');
    const cascade = e.model.cascadeList(1)[0]!;
    expect(cascade.phase).toBe('blocked');
    // The owner fixes it and re-runs bad: the release starts a cascade naming the one it resumes.
    e.clock++;
    const fix = e.start('bad');
    e.clock++;
    expect(e.finish('bad', fix)).toBe('change');
    expect(e.settle()).toEqual([['below']]);
    expect(e.model.findCascade(fix)).toMatchObject({
      id: `cascade-${fix}`,
      phase: 'completed',
      resumes: [cascade.id],
    });
    expect(e.model.cascade(cascade.id)).toMatchObject({ phase: 'blocked', resumedBy: [`cascade-${fix}`] });
  });

  it('a cycle never runs, names itself, and the rest proceeds', () => {
    const e = new Estate({ root: [], x: ['root', 'y'], y: ['x'], z: ['y'], fine: ['root'] });
    const r = e.start('root');
    e.clock++;
    e.finish('root', r);
    expect(e.settle()).toEqual([['fine']]);
    expect(e.view('x')).toEqual({ state: 'cyclic', cycle: 'x -> y -> x' });
    expect(e.view('z')).toMatchObject({ state: 'blocked', blockedBy: 'y' });
    expect(e.model.estate().cycles).toEqual([['x', 'y']]);
    // Breaking the cycle (a label removed, seen in a delivery) lets them run.
    e.obs('x', 'x-ext', 'QUEUED', { runType: 'PROPOSED', stackLabels: ['dependsOn:root'] });
    expect(e.settle()).toEqual([['x'], ['y'], ['z']]);
  });

  it('duplicates, late and shuffled deliveries change nothing', () => {
    const e = new Estate({ root: [], a: ['root'] });
    const r = e.start('root');
    e.clock++;
    expect(e.finish('root', r)).toBe('change');
    expect(e.finish('root', r)).toBe('duplicate');
    expect(e.obs('root', r, 'APPLYING')).toBe('duplicate');
    expect(e.settle()).toEqual([['a']]);
    expect(e.finish('root', r)).toBe('duplicate');
    expect(e.step()).toEqual([]);
    // Out of order within a run: an older state version is ignored.
    const s = e.start('root');
    e.obs('root', s, 'APPLYING', { stateVersion: 5 });
    expect(e.obs('root', s, 'PLANNING', { stateVersion: 3 })).toBe('stale');
    expect(e.view('root')).toMatchObject({ state: 'running', runState: 'APPLYING' });
  });

  it('proposed runs and ignored drift runs change nothing', () => {
    const e = new Estate({ root: [], a: ['root'] }, { driftRuns: 'ignore' });
    expect(e.obs('root', 'p1', 'FINISHED', { runType: 'PROPOSED' })).toBe('ignored');
    expect(e.obs('root', 'd1', 'FINISHED', { driftDetection: true })).toBe('ignored');
    expect(e.step()).toEqual([]);
    const f = new Estate({ root: [], a: ['root'] });
    expect(f.obs('root', 'd1', 'FINISHED', { driftDetection: true })).toBe('change');
  });

  it('caps triggers at the limit it is given', () => {
    const graph: Record<string, string[]> = { hub: [] };
    for (let i = 0; i < 6; i++) graph[`leaf-${i}`] = ['hub'];
    const e = new Estate(graph);
    const r = e.start('hub');
    e.clock++;
    e.finish('hub', r);
    expect(e.step(2)).toHaveLength(2);
    expect(e.model.ownInFlight()).toBe(2);
    expect(e.step(4)).toHaveLength(4);
  });

  it("a change heard only after our run ended, landed before the run's creation in the same second, is in that run", () => {
    // base -> vpc. vpc's own run is created at 100.600 s (its QUEUED says so to the ms) and ends;
    // then base's end at 100.300 s is heard late (a delayed delivery): vpc ran with it already.
    const e = new Estate({ base: [], vpc: ['base'] });
    const first = e.start('base');
    e.finish('base', first);
    expect(e.step()).toEqual(['vpc']);
    const vpcRun = e.ownRun.get('vpc')!;
    e.obs('vpc', vpcRun, 'QUEUED', { stateVersion: 1, createdAtMs: 100_600 });
    e.obs('vpc', vpcRun, 'FINISHED', { createdAt: 100, at: 100_900 });
    const late = 'base-late';
    e.obs('base', late, 'FINISHED', { createdAt: 100, at: 100_300 });
    expect(e.step()).toEqual([]);
    expect(e.view('vpc').state).toBe('finished');
    // The same through a continue-as-new.
    const restored = new EstateModel(
      options,
      JSON.parse(JSON.stringify(e.model.snapshot())) as EstateSnapshot,
    );
    restored.observe(
      {
        stackId: 'base',
        runId: 'base-later',
        state: 'FINISHED',
        stateVersion: null,
        runType: 'TRACKED',
        triggeredBy: null,
        createdAt: 100,
        at: 100_400,
        driftDetection: false,
        stackLabels: null,
      },
      101_000,
    );
    expect(restored.takeReady(10)).toEqual([]);
    // A change after the run's creation still needs a run.
    e.obs('base', 'base-after', 'FINISHED', { createdAt: 100, at: 100_700 });
    expect(e.step()).toEqual(['vpc']);
  });

  it("a run that ended before its trigger answered shows its end in the cascade, not the trigger's state", () => {
    const e = new Estate({ base: [], vpc: ['base'] });
    const root = e.start('base');
    e.finish('base', root);
    const [ready] = e.model.takeReady(10);
    expect(ready!.stackId).toBe('vpc');
    e.obs('vpc', 'vpc-fast', 'FINISHED', { triggeredBy: 'api::k' });
    e.model.triggered('vpc', 'vpc-fast', 'QUEUED', e.clock, e.clock * 1000);
    const cascade = e.model.findCascade(root)!;
    expect(cascade.phase).toBe('completed');
    expect(cascade.stacks.vpc).toMatchObject({
      state: 'finished',
      runs: [{ runId: 'vpc-fast', state: 'FINISHED' }],
    });
  });

  it('survives a snapshot round trip mid-cascade (continue-as-new)', () => {
    const e = new Estate();
    const r = e.start('base');
    e.clock++;
    e.finish('base', r);
    expect(e.step()).toEqual(['vpc']);
    const restored = new EstateModel(
      options,
      JSON.parse(JSON.stringify(e.model.snapshot())) as EstateSnapshot,
    );
    expect(restored.stackView('rds')).toEqual({ state: 'waiting', waitingFor: ['vpc'] });
    restored.observe(
      {
        stackId: 'vpc',
        runId: e.ownRun.get('vpc')!,
        state: 'FINISHED',
        stateVersion: null,
        runType: 'TRACKED',
        triggeredBy: null,
        createdAt: e.clock,
        at: (e.clock + 1) * 1000,
        driftDetection: false,
        stackLabels: null,
      },
      0,
    );
    expect(restored.takeReady(10).map((r) => r.stackId)).toEqual(['rds', 'redis']);
  });

  it('restores from a snapshot exactly what it had: views, cascades and the next snapshot', () => {
    const e = new Estate();
    const r = e.start('base');
    e.clock++;
    e.finish('base', r);
    e.step();
    e.wave();
    const failed = e.start('other');
    e.clock++;
    e.finish('other', failed, 'FAILED');
    const snapshot = e.model.snapshot();
    const restored = new EstateModel(options, JSON.parse(JSON.stringify(snapshot)) as EstateSnapshot);
    expect(restored.snapshot()).toEqual(snapshot);
    expect(restored.estate()).toEqual(e.model.estate());
    expect(restored.cascadeList(10)).toEqual(e.model.cascadeList(10));
    expect(restored.findCascade(r)).toEqual(e.model.findCascade(r));
  });

  it('restores the uncompacted snapshot of coordinators started before compaction', () => {
    const legacy = {
      stacks: {
        a: {
          ups: [],
          need: null,
          triggering: null,
          runs: [],
          failed: null,
          triggerError: null,
          last: null,
          ended: [],
        },
        b: {
          ups: ['a'],
          need: { latest: 5_000, cascade: 'cascade-R1' },
          triggering: null,
          runs: [],
          failed: null,
          triggerError: null,
          last: null,
          ended: [],
        },
      },
      cascades: [
        {
          id: 'cascade-R1',
          startedAt: 5_000,
          endedAt: null,
          canceled: false,
          changes: [{ stackId: 'a', runId: 'R1', at: 5_000 }],
          stacks: { b: { since: 5_000, runs: [] } },
          open: 1,
        },
      ],
      merged: {},
      graphReadAt: 1_000,
      reconcileCursor: null,
    };
    const restored = new EstateModel(options, legacy);
    expect(restored.takeReady(10)).toEqual([{ stackId: 'b', cascadeId: 'cascade-R1' }]);
  });

  it('keeps the snapshot of a cascaded 10,000-stack estate under 1.5 MB (Temporal refuses 2 MB)', () => {
    const graph: Record<string, string[]> = { root: [] };
    for (let i = 0; i < 10_000; i++) {
      const layer = Math.floor(i / 100);
      graph[`s${i}`] = layer === 0 ? ['root'] : [`s${i - 100}`, `s${(layer - 1) * 100 + ((i + 1) % 100)}`];
    }
    const e = new Estate(graph);
    const r = e.start('root');
    e.clock++;
    e.finish('root', r);
    // Spacelift run ids are 26-character ULIDs.
    const waves = e.settle().flat();
    expect(waves).toHaveLength(10_000);
    const ulids = JSON.stringify(e.model.snapshot()).replace(/"[a-z0-9]+-own-\d+"/g, `"${'0'.repeat(26)}"`);
    expect(ulids.length).toBeLessThan(1_500_000);
  });

  it('a trigger that fails leaves the stack blocked with the reason until the next pass retries', () => {
    const e = new Estate({ root: [], a: ['root'], b: ['a'] });
    const r = e.start('root');
    e.clock++;
    e.finish('root', r);
    expect(e.model.takeReady(10).map((r) => r.stackId)).toEqual(['a']);
    e.model.triggerFailed('a', 'stack a is locked by alice');
    expect(e.view('a')).toMatchObject({
      state: 'blocked',
      reason:
        'locked by alice in Spacelift: unlock it, then run `spacelift-cascade trigger a` or push to it ' +
        '(the cascade also tries again by itself within 60 s)',
    });
    expect(e.view('b')).toMatchObject({ state: 'blocked', blockedBy: 'a' });
    expect(e.model.takeReady(10)).toEqual([]);
    e.model.retryTriggerErrors();
    expect(e.model.takeReady(10).map((r) => r.stackId)).toEqual(['a']);
  });

  it('canceling a cascade drops the needs of stacks not yet triggered', () => {
    const e = new Estate({ root: [], a: ['root'], b: ['a'] });
    const r = e.start('root');
    e.clock++;
    e.finish('root', r);
    expect(e.step()).toEqual(['a']);
    const id = e.model.cascadeList(1)[0]!.id;
    expect(id).toBe(`cascade-${r}`);
    expect(e.model.cancel(id, 0)).toBe(true);
    expect(e.wave()).toEqual([]);
    const view = e.model.cascade(id)!;
    expect(view.phase).toBe('canceled');
    expect(view.stacks.b).toMatchObject({ state: 'canceled' });
    expect(view.stacks.a).toMatchObject({ state: 'finished' });
  });

  it("a run seen queued and ended before its trigger answered is the cascade's own: its end is no new change", () => {
    const e = new Estate({ root: [], a: ['root'], b: ['a'] });
    const push = e.start('root');
    e.clock++;
    e.finish('root', push);
    expect(e.model.takeReady(10).map((r) => r.stackId)).toEqual(['a']);
    // The run's queued state and its end come in one batch, before the trigger's answer.
    e.obs('a', 'a-run', 'QUEUED');
    e.clock++;
    e.obs('a', 'a-run', 'FINISHED', { createdAt: e.clock - 1 });
    e.model.triggered('a', 'a-run', 'QUEUED', e.clock - 1, e.clock * 1000);
    const cascade = e.model.findCascade(push)!;
    expect(cascade.changes.map((c) => c.stackId)).toEqual(['root']);
    expect(e.step()).toEqual(['b']);
    expect(e.model.findCascade(push)!.stacks).toHaveProperty('b');
  });

  it('a change landing while the trigger is on its way is in the run when the run was created after it', () => {
    const e = new Estate({ root: [], a: ['root'] });
    const first = e.start('root');
    e.clock++;
    e.finish('root', first);
    expect(e.model.takeReady(10).map((r) => r.stackId)).toEqual(['a']);
    // A second change lands before the trigger answers; the run is created a second later.
    const second = e.start('root');
    e.clock++;
    e.finish('root', second);
    e.model.triggered('a', 'a-run', 'QUEUED', e.clock + 1, e.clock * 1000);
    e.clock += 2;
    e.obs('a', 'a-run', 'FINISHED', { createdAt: e.clock - 1 });
    expect(e.step()).toEqual([]);
    // Created in the same second as the change: not provably after it, so one more run.
    const f = new Estate({ root: [], a: ['root'] });
    const r1 = f.start('root');
    f.clock++;
    f.finish('root', r1);
    f.model.takeReady(10);
    const r2 = f.start('root');
    f.clock++;
    f.finish('root', r2);
    f.model.triggered('a', 'a-run', 'QUEUED', f.clock, f.clock * 1000);
    f.obs('a', 'a-run', 'FINISHED', { createdAt: f.clock });
    expect(f.step()).toEqual(['a']);
  });

  it('what needed a run because of a change a failed run served is shown blocked, even when reached through it', () => {
    const e = new Estate({ u: [], bad: ['u'], c: ['bad'] });
    const p1 = e.start('u');
    e.clock++;
    e.finish('u', p1);
    expect(e.model.takeReady(10).map((r) => r.stackId)).toEqual(['bad']);
    // The trigger is on its way; meanwhile c is run by hand (serving its need) and u changes again.
    e.clock++;
    const ui = e.start('c');
    e.clock++;
    e.finish('c', ui);
    expect(e.view('c').state).toBe('finished');
    e.model.triggered('bad', 'bad-1', 'QUEUED', e.clock, e.clock * 1000);
    const p2 = e.start('u');
    e.clock++;
    e.finish('u', p2); // reaches bad (pending again) and stops there
    e.clock++;
    e.obs('bad', 'bad-1', 'FAILED', { createdAt: e.clock - 2 });
    expect(e.step()).toEqual(['bad']); // its newer need: tried again
    e.clock++;
    e.obs('bad', e.ownRun.get('bad')!, 'FAILED', { createdAt: e.clock - 1 });
    expect(e.view('c')).toMatchObject({ state: 'blocked', blockedBy: 'bad' });
  });

  it('a run already on its way that was created after a change includes it: no extra run', () => {
    const e = new Estate({ up: [], x: ['up'], y: ['x'] });
    const push = e.start('up');
    e.clock++;
    // The push of x (its QUEUED delivery with milliseconds) arrives before up's FINISHED delivery,
    // though up finished first.
    e.obs('x', 'x-push', 'QUEUED', { stateVersion: 1, createdAtMs: e.clock * 1000 + 500 });
    e.model.observe(
      {
        stackId: 'up',
        runId: push,
        state: 'FINISHED',
        stateVersion: null,
        runType: 'TRACKED',
        triggeredBy: null,
        createdAt: e.clock - 1,
        at: e.clock * 1000 + 200,
        driftDetection: false,
        stackLabels: null,
      },
      e.clock * 1000 + 600,
    );
    expect(e.step()).toEqual([]);
    e.clock++;
    e.finish('x', 'x-push');
    // y waited for x's run, which included up's change: y runs once, x not again.
    expect(e.settle()).toEqual([['y']]);
    expect(count(e.triggered, 'x')).toBe(0);
  });

  it('a run awaiting confirmation longer than the timeout blocks its stack and what waits below it', () => {
    const e = new Estate({ root: [], gate: ['root'], below: ['gate'] }, { confirmationTimeoutMs: 60_000 });
    const r = e.start('root');
    e.clock++;
    e.finish('root', r);
    expect(e.step()).toEqual(['gate']);
    e.obs('gate', e.ownRun.get('gate')!, 'UNCONFIRMED');
    expect(e.view('gate')).toMatchObject({ state: 'awaiting-confirmation' });
    e.model.tick(e.clock * 1000 + 61_000);
    expect(e.view('gate')).toMatchObject({ state: 'blocked', blockedBy: 'gate' });
    expect((e.view('gate') as { reason: string }).reason).toMatch(
      /has awaited confirmation for more than 60 s/,
    );
    expect(e.view('below')).toMatchObject({ state: 'blocked', blockedBy: 'gate' });
    // Confirmed: it runs on, and below after it.
    e.obs('gate', e.ownRun.get('gate')!, 'CONFIRMED');
    expect(e.view('gate').state).toBe('running');
  });

  it('a change learnt late, after the stack below already ran with it, starts nothing', () => {
    const e = new Estate({ up: [], down: ['up'] });
    const push = e.start('up');
    e.clock++;
    const upEnd = e.clock * 1000;
    // up's FINISHED delivery is lost; down runs (by hand) a second later and ends.
    e.clock++;
    const ui = e.start('down');
    e.clock++;
    e.finish('down', ui);
    // The reconciliation pass finds up's run now.
    e.model.observe(
      {
        stackId: 'up',
        runId: push,
        state: 'FINISHED',
        stateVersion: null,
        runType: 'TRACKED',
        triggeredBy: null,
        createdAt: upEnd / 1000 - 1,
        at: upEnd + 999,
        driftDetection: false,
        stackLabels: null,
      },
      e.clock * 1000,
    );
    expect(e.step()).toEqual([]);
    // A change after down's run still needs one.
    const again = e.start('up');
    e.clock++;
    e.finish('up', again);
    expect(e.step()).toEqual(['down']);
  });
});
