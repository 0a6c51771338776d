import { describe, expect, it } from 'vitest';
import { EstateModel } from '../../src/estate/estate-model.js';
import type { EstateSnapshot } from '../../src/estate/estate-snapshot.js';
import { Estate, options } from './estate-driver.js';

/** root -> {bad (fails), good}; bad -> below -> deeper; good -> beside. */
const FAILING = {
  root: [],
  bad: ['root'],
  good: ['root'],
  below: ['bad'],
  deeper: ['below'],
  beside: ['good'],
};
const failBad = (id: string) => (id === 'bad' ? 'FAILED' : 'FINISHED');

describe('cascade lifecycle', () => {
  it('a cascade whose rest waits on a failure ends blocked, listing each blocked stack and why', () => {
    const e = new Estate(FAILING);
    const r = e.push('root');
    e.settle(failBad);
    const view = e.model.findCascade(r)!;
    expect(view.phase).toBe('blocked');
    expect(view.endedAt).not.toBeNull();
    expect(view.stacks.below).toMatchObject({ state: 'blocked', blockedBy: 'bad' });
    expect(view.stacks.deeper).toMatchObject({ state: 'blocked', blockedBy: 'bad' });
    expect((view.stacks.deeper as { reason: string }).reason).toMatch(
      /^upstream bad failed: run .+ ended FAILED$/,
    );
    // Ended: not under way, but counted as blocked while its stacks are.
    const estate = e.model.estate();
    expect(estate.activeCascades).toEqual([]);
    expect(estate.cascadeCounts).toEqual({ running: 0, held: 0, blocked: 1 });
    expect(estate.stacks.below).toMatchObject({ state: 'blocked', blockedBy: 'bad' });
  });

  it('a later change starts a cascade of its own, taking over what the blocked one left; the first stays as it ended', () => {
    const e = new Estate(FAILING);
    const first = e.push('root');
    e.settle(failBad);
    const blocked = e.model.findCascade(first)!;
    e.clock++;
    const second = e.push('root');
    expect(e.model.findCascade(second)!.id).toBe(`cascade-${second}`);
    e.settle(failBad);
    const later = e.model.findCascade(second)!;
    expect(later).toMatchObject({ phase: 'blocked', resumes: [blocked.id] });
    expect(later.changes.map((c) => c.runId)).toEqual([second]);
    expect(Object.keys(later.stacks).sort()).toEqual(['bad', 'below', 'beside', 'deeper', 'good']);
    const again = e.model.cascade(blocked.id)!;
    expect(again).toMatchObject({ phase: 'blocked', endedAt: blocked.endedAt, resumedBy: [later.id] });
    expect(again.changes).toEqual(blocked.changes);
    expect(e.model.cascadeList(10).map((c) => [c.id, c.phase])).toEqual([
      [later.id, 'blocked'],
      [blocked.id, 'blocked'],
    ]);
    // Only the later one still holds blocked stacks.
    expect(e.model.estate().cascadeCounts).toEqual({ running: 0, held: 0, blocked: 1 });
  });

  it('a fixed re-run of the failed stack starts a cascade naming the one it resumes, with all it left below', () => {
    const e = new Estate(FAILING);
    const first = e.push('root');
    e.settle(failBad);
    e.clock++;
    const fix = e.push('bad');
    expect(e.settle()).toEqual([['below'], ['deeper']]);
    const release = e.model.findCascade(fix)!;
    expect(release).toMatchObject({ phase: 'completed', resumes: [`cascade-${first}`] });
    expect(release.stacks).toMatchObject({ below: { state: 'finished' }, deeper: { state: 'finished' } });
    expect(e.model.findCascade(first)).toMatchObject({ phase: 'blocked', resumedBy: [release.id] });
    expect(e.model.estate().cascadeCounts).toEqual({ running: 0, held: 0, blocked: 0 });
  });

  it('a change reaching a cascade under way joins it, visibly; one reaching two merges them', () => {
    // a -> x, b -> y, and c below nothing with both x and y depending on it.
    const e = new Estate({ a: [], b: [], c: [], x: ['a', 'c'], y: ['b', 'c'] });
    const ra = e.push('a');
    const rb = e.push('b');
    const [ca, cb] = [e.model.findCascade(ra)!, e.model.findCascade(rb)!];
    expect(ca.id).not.toBe(cb.id);
    // Another push of a reaches x, waiting in a's cascade: it joins it.
    const again = e.push('a');
    const joined = e.model.findCascade(again)!;
    expect(joined.id).toBe(ca.id);
    expect(joined.changes.at(-1)).toMatchObject({ stackId: 'a', runId: again, joined: true });
    expect(e.model.cascadeList(5).find((c) => c.id === ca.id)!.joinedBy).toEqual(['a']);
    // A push of c reaches x and y: the two become one burst, the younger merged into the older.
    const rc = e.push('c');
    const merged = e.model.findCascade(rc)!;
    expect(merged.id).toBe(ca.id);
    expect(merged.merged).toEqual([cb.id]);
    expect(merged.changes.map((c) => [c.stackId, c.joined ?? false])).toEqual([
      ['a', false],
      ['a', true],
      ['b', false],
      ['c', true],
    ]);
    expect(e.settle()).toEqual([['x', 'y']]);
    expect(e.model.cascade(cb.id)).toMatchObject({ id: ca.id, phase: 'completed' });
  });

  it('a cascade waiting on a person is held and says on what; it is under way, not ended', () => {
    const e = new Estate({ root: [], gate: ['root'], below: ['gate'] });
    const r = e.push('root');
    expect(e.step()).toEqual(['gate']);
    e.obs('gate', e.ownRun.get('gate')!, 'UNCONFIRMED');
    const held = e.model.findCascade(r)!;
    expect(held.phase).toBe('held');
    expect(held.heldOn).toEqual([`run ${e.ownRun.get('gate')} of gate awaits confirmation in Spacelift`]);
    expect(held.endedAt).toBeNull();
    expect(e.model.estate()).toMatchObject({ activeCascades: [held.id], cascadeCounts: { held: 1 } });
    e.obs('gate', e.ownRun.get('gate')!, 'APPLYING');
    expect(e.model.findCascade(r)!.phase).toBe('running');

    // A trigger tried again at the next pass holds it too.
    const f = new Estate({ root: [], locked: ['root'] });
    const r2 = f.push('root');
    f.model.takeReady(10);
    f.model.triggerFailed('locked', 'stack locked is locked by alice');
    expect(f.model.findCascade(r2)).toMatchObject({ phase: 'held', endedAt: null });
    expect(f.model.findCascade(r2)!.heldOn[0]).toMatch(
      /^locked: locked by alice in Spacelift: unlock it, then run `spacelift-cascade trigger locked` or push to it/,
    );
  });

  it('after a cancel, stacks never triggered show canceled in the estate, not their last run', () => {
    const e = new Estate({ root: [], a: ['root'], b: ['a'] });
    e.push('root');
    e.settle();
    expect(e.view('b').state).toBe('finished');
    const r = e.push('root');
    expect(e.step()).toEqual(['a']);
    const id = e.model.findCascade(r)!.id;
    e.model.cancel(id, e.clock * 1000);
    expect(e.view('b')).toEqual({
      state: 'canceled',
      reason: `cascade ${id} was canceled before this stack was triggered`,
    });
    expect(e.model.estate().activeCascades).toEqual([]);
    e.wave();
    expect(e.model.cascade(id)).toMatchObject({ phase: 'canceled', stacks: { b: { state: 'canceled' } } });
    // Its next run shows again.
    e.push('a');
    expect(e.settle()).toEqual([['b']]);
    expect(e.view('b').state).toBe('finished');
  });

  it("a change included in a canceled cascade's run in flight starts its own cascade, and what is below that run still runs", () => {
    const graph = { root: [], up: [], mid: ['root', 'up'], low: ['mid'] };
    /** mid's run (of root's cascade, then canceled) includes a change of up learnt late. */
    const scenario = (e: Estate) => {
      const r = e.push('root');
      expect(e.step()).toEqual(['mid']);
      e.model.cancel(e.model.findCascade(r)!.id, e.clock * 1000);
      e.obs('up', 'up-late', 'FINISHED', { createdAt: e.clock - 2, at: e.clock * 1000 - 500 });
      return e.wave();
    };
    const e = new Estate(graph);
    expect(scenario(e)).toEqual(['low']);
    expect(e.model.findCascade('up-late')).toMatchObject({ id: 'cascade-up-late', resumes: [] });
    e.settle();
    expect(e.model.findCascade('up-late')!.phase).toBe('completed');
    // Before the lifecycle rule (histories recorded before it replay so) it joined the canceled one: low never ran.
    expect(scenario(new Estate(graph, {}, { lifecycle: false }))).toEqual([]);
  });

  it('before the lifecycle rule a blocked cascade stays open and a later change joins it', () => {
    const e = new Estate(FAILING, {}, { lifecycle: false });
    const first = e.push('root');
    e.settle(failBad);
    expect(e.model.findCascade(first)).toMatchObject({ phase: 'blocked', endedAt: null });
    const second = e.push('root');
    expect(e.model.findCascade(second)!.id).toBe(`cascade-${first}`);
  });

  it('what a blocked cascade left is resumed without a change when its cause goes (a cycle broken)', () => {
    const e = new Estate({ root: [], x: ['root', 'y'], y: ['x'], z: ['y'] });
    const r = e.push('root');
    expect(e.settle()).toEqual([]);
    const blocked = e.model.findCascade(r)!;
    expect(blocked.phase).toBe('blocked');
    expect(blocked.stacks.x).toMatchObject({ state: 'cyclic', cycle: 'x -> y -> x' });
    // A delivery shows x's label gone: the cycle is broken.
    e.obs('x', 'x-p', 'QUEUED', { runType: 'PROPOSED', stackLabels: ['dependsOn:root'] });
    const resumed = e.model.cascade(`${blocked.id}-resumed-1`)!;
    expect(resumed).toMatchObject({ phase: 'running', resumes: [blocked.id] });
    expect(e.settle()).toEqual([['x'], ['y'], ['z']]);
    expect(e.model.cascade(resumed.id)!.phase).toBe('completed');
    // Taken over: the blocked cascade shows the stack as it left it.
    expect(e.model.cascade(blocked.id)).toMatchObject({
      phase: 'blocked',
      resumedBy: [resumed.id],
      stacks: { x: { state: 'blocked', blockedBy: 'x', reason: 'on a cycle: x -> y -> x' } },
    });
  });

  it('carries ended cascades, blocked stacks and canceled stacks through a snapshot', () => {
    const e = new Estate(FAILING);
    const first = e.push('root');
    e.settle(failBad);
    e.clock++;
    const r = e.push('good');
    e.model.cancel(e.model.findCascade(r)!.id, e.clock * 1000);
    const snapshot = e.model.snapshot();
    const restored = new EstateModel(options, JSON.parse(JSON.stringify(snapshot)) as EstateSnapshot);
    expect(restored.snapshot()).toEqual(snapshot);
    expect(restored.estate()).toEqual(e.model.estate());
    expect(restored.findCascade(first)).toEqual(e.model.findCascade(first));
    expect(restored.stackView('beside').state).toBe('canceled');
  });

  it('reads a snapshot from before the lifecycle rule: a cascade with open stacks is under way, then ends', () => {
    const e = new Estate(FAILING, {}, { lifecycle: false });
    const first = e.push('root');
    e.settle(failBad);
    const old = e.model.snapshot();
    delete old.lifecycle;
    // Coordinators then set endedAt when a cascade's last run ended, even when its change reopened it.
    old.cascades[0]!.endedAt = 1;
    const restored = new EstateModel(options, JSON.parse(JSON.stringify(old)) as EstateSnapshot);
    expect(restored.findCascade(first)).toMatchObject({ phase: 'blocked', endedAt: null });
    // Its next step ends it; a later change starts its own.
    const second = 'root-later';
    restored.observe(
      {
        stackId: 'root',
        runId: second,
        state: 'FINISHED',
        stateVersion: null,
        runType: 'TRACKED',
        triggeredBy: null,
        createdAt: 200,
        at: 201_000,
        driftDetection: false,
        stackLabels: null,
      },
      201_000,
    );
    expect(restored.findCascade(first)!.endedAt).not.toBeNull();
    expect(restored.findCascade(second)).toMatchObject({
      id: `cascade-${second}`,
      resumes: [`cascade-${first}`],
    });
  });
});
