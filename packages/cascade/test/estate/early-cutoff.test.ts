import { describe, expect, it } from 'vitest';
import type { RunDelta } from '../../src/cascade-contract.js';
import { EstateModel } from '../../src/estate/estate-model.js';
import type { EstateSnapshot } from '../../src/estate/estate-snapshot.js';
import { Estate, options } from './estate-driver.js';

const ZERO: RunDelta = { added: 0, changed: 0, deleted: 0 };
const SOME: RunDelta = { added: 1, changed: 0, deleted: 0 };

/** Drives early cutoff: runs end with a delta, and outputs reads answer with each stack's digest. */
class CutoffEstate extends Estate {
  /** Each stack's outputs digest now (what a read answers); `same` unless set. */
  readonly outputs = new Map<string, string>();
  /** Outputs reads answered so far, in order. */
  readonly reads: string[] = [];

  /** A run from another source, finished a second later with `delta`; its id. */
  pushWith(stackId: string, delta: RunDelta | null): string {
    const runId = this.start(stackId);
    this.clock++;
    this.obs(stackId, runId, 'FINISHED', { delta });
    return runId;
  }

  /** Finishes every own run in flight with the delta `deltaOf` gives (one wave); triggers the next. */
  waveWith(deltaOf: (id: string) => RunDelta | null): string[] {
    this.clock++;
    const live = [...this.ownRun];
    this.ownRun.clear();
    for (const [id, runId] of live)
      this.obs(id, runId, 'FINISHED', { createdAt: this.clock - 1, delta: deltaOf(id) });
    return this.step();
  }

  /** Answers the outputs reads wanted (`fail`: those reads fail); then triggers what is ready. */
  answerReads(fail: (id: string) => boolean = () => false): string[] {
    for (const { stackId, runId } of this.model.outputsReads()) {
      this.reads.push(stackId);
      const outputs = fail(stackId) ? null : { digest: this.outputs.get(stackId) ?? 'same', hidden: [] };
      this.model.outputsRead(stackId, runId, outputs, this.clock * 1000);
    }
    return this.step();
  }

  /** Waves with `deltaOf`, answering reads after each, until nothing more runs; the waves. */
  settleWith(deltaOf: (id: string) => RunDelta | null): string[][] {
    const waves: string[][] = [[...this.step(), ...this.answerReads()]];
    while (this.ownRun.size > 0) waves.push([...this.waveWith(deltaOf), ...this.answerReads()]);
    return waves.filter((w) => w.length > 0);
  }

  /** A first change of `stackId` that cascades everywhere, with every read answered: the baselines. */
  warmUp(stackId: string): void {
    this.pushWith(stackId, SOME);
    this.settleWith(() => SOME);
    this.answerReads();
    this.triggered.length = 0;
  }
}

const CHAIN = { root: [], a: ['root'], b: ['a'] };

describe('early cutoff in the estate model', () => {
  it('a run that changed nothing holds its dependents while deciding, then makes them up to date', () => {
    const e = new CutoffEstate(CHAIN);
    e.warmUp('root');
    const noop = e.pushWith('root', ZERO);
    expect(e.view('root')).toMatchObject({ state: 'deciding', runId: noop });
    expect(e.view('a')).toEqual({ state: 'waiting', waitingFor: ['root'] });
    expect(e.step()).toEqual([]); // never triggered on a guess
    expect(e.answerReads()).toEqual([]);
    expect(e.view('root')).toMatchObject({
      state: 'up-to-date',
      runId: noop,
      reason: `run ${noop} changed nothing`,
      spared: ['a', 'b'],
    });
    expect(e.view('b')).toMatchObject({
      state: 'up-to-date',
      reason: `upstream root: run ${noop} changed nothing`,
    });
    expect(e.model.estate().cutoff).toEqual({ enabled: true, outputsReads: 3, cutOff: 1, runsAvoided: 2 });
    const cascade = e.model.findCascade(noop)!;
    expect(cascade.phase).toBe('completed');
    expect(Object.keys(cascade.stacks).sort()).toEqual(['a', 'b', 'root']);
    // The next run of a spared stack shows as usual.
    expect(e.view('a').state).toBe('up-to-date');
    e.pushWith('a', SOME);
    expect(e.view('a').state).toBe('finished');
  });

  it('a run whose outputs changed (zero delta) is a change: its dependents run', () => {
    const e = new CutoffEstate(CHAIN);
    e.warmUp('root');
    e.pushWith('root', ZERO);
    e.outputs.set('root', 'new');
    expect(e.answerReads()).toEqual(['a']);
    expect(e.settleWith(() => SOME)).toEqual([['b']]);
  });

  it('is conservative: a run without a delta, after a failure, or whose read failed is a change', () => {
    const e = new CutoffEstate(CHAIN);
    e.warmUp('root');
    e.pushWith('root', null);
    expect(e.view('root').state).toBe('finished'); // decided at once: no read to wait for
    expect(e.step()).toEqual(['a']);
    e.settleWith(() => SOME);
    e.answerReads();

    e.finish('root', e.start('root'), 'FAILED');
    e.pushWith('root', ZERO);
    expect(e.step()).toEqual(['a']); // the run after a failure may finish what it started

    const f = new CutoffEstate(CHAIN);
    f.warmUp('root');
    f.pushWith('root', ZERO);
    expect(f.answerReads((id) => id === 'root')).toEqual(['a']);
  });

  it('the first run of a stack is a change (no baseline), and its read makes the baseline', () => {
    const e = new CutoffEstate(CHAIN);
    e.pushWith('root', ZERO);
    expect(e.step()).toEqual(['a']);
    expect(e.model.outputsReads()).toEqual([{ stackId: 'root', runId: expect.any(String) }]);
  });

  it('a run in the middle of a diamond that changed nothing spares only what the other side does not reach', () => {
    const e = new CutoffEstate({
      root: [],
      left: ['root'],
      right: ['root'],
      bottom: ['left', 'right'],
      leftOnly: ['left'],
    });
    e.warmUp('root');
    e.pushWith('root', SOME);
    expect(e.step().sort()).toEqual(['left', 'right']);
    e.waveWith((id) => (id === 'left' ? ZERO : SOME));
    expect(e.view('left').state).toBe('deciding');
    expect(e.answerReads()).toEqual(['bottom']);
    expect(e.view('left')).toMatchObject({ state: 'up-to-date', spared: ['leftOnly'] });
    expect(e.settleWith(() => SOME)).toEqual([]);
    expect(e.triggered.sort()).toEqual(['bottom', 'left', 'right']);
  });

  it('a need from an earlier change that did change stays: only what the cut-off run alone caused is withdrawn', () => {
    // b depends on a and on x; x runs long, so b still waits when root changes nothing.
    const e = new CutoffEstate({ root: [], a: ['root'], x: [], b: ['a', 'x'] });
    e.warmUp('root');
    const x = e.start('x');
    e.pushWith('a', SOME); // a changed: b needs a run for certain
    expect(e.view('b')).toEqual({ state: 'waiting', waitingFor: ['x'] });
    e.pushWith('root', ZERO);
    e.answerReads();
    expect(e.view('root')).toMatchObject({ state: 'up-to-date', spared: ['a'] });
    expect(e.view('b')).toEqual({ state: 'waiting', waitingFor: ['x'] });
    e.clock++;
    e.finish('x', x);
    expect(e.step()).toEqual(['b']);
  });

  it("cascade:always: a dependent labelled so runs on its upstream's run that changed nothing", () => {
    const e = new CutoffEstate(CHAIN);
    e.model.setGraph(
      [
        { id: 'root', dependsOn: [] },
        { id: 'a', dependsOn: ['root'], cascadeLabels: ['cascade:always'] },
        { id: 'b', dependsOn: ['a'] },
      ],
      0,
    );
    e.warmUp('root');
    e.pushWith('root', ZERO);
    expect(e.answerReads()).toEqual(['a']);
    expect(e.view('root')).toMatchObject({ state: 'up-to-date', spared: [] });
  });

  it('CASCADE_CUTOFF=off (or a coordinator from before it): every FINISHED run is a change, no read', () => {
    for (const e of [
      new CutoffEstate(CHAIN, { cutoff: false }),
      new CutoffEstate(CHAIN, {}, { cutoff: false }),
    ]) {
      e.warmUp('root');
      e.pushWith('root', ZERO);
      expect(e.view('root').state).toBe('finished');
      expect(e.step()).toEqual(['a']);
      expect(e.reads).toEqual([]);
      expect(e.model.estate().cutoff!.enabled).toBe(false);
    }
  });

  it('a second FINISHED run while the first decides makes the first a change', () => {
    const e = new CutoffEstate(CHAIN);
    e.warmUp('root');
    const first = e.pushWith('root', ZERO);
    const second = e.pushWith('root', ZERO);
    expect(e.model.outputsReads()).toEqual([{ stackId: 'root', runId: second }]);
    expect(e.view('root').state).toBe('finished'); // the second has no baseline: a change
    expect(e.step()).toEqual(['a']);
    expect(first).not.toBe(second);
  });

  it('carries the baseline, a deciding run and the counts through a snapshot; older snapshots read without them', () => {
    const e = new CutoffEstate(CHAIN);
    e.warmUp('root');
    const noop = e.pushWith('root', ZERO);
    const snapshot = JSON.parse(JSON.stringify(e.model.snapshot())) as EstateSnapshot;
    const restored = new EstateModel(options, snapshot);
    expect(restored.stackView('root')).toMatchObject({ state: 'deciding', runId: noop });
    expect(restored.outputsReads()).toEqual([{ stackId: 'root', runId: noop }]);
    restored.outputsRead('root', noop, { digest: 'same', hidden: [] }, e.clock * 1000);
    expect(restored.stackView('root')).toMatchObject({ state: 'up-to-date', spared: ['a', 'b'] });
    expect(restored.estate().cutoff).toMatchObject({ cutOff: 1, runsAvoided: 2 });

    // A snapshot from before early cutoff: no baselines, no counts; the next run is a change.
    const old = JSON.parse(JSON.stringify(e.model.snapshot())) as { cutoff?: unknown; entries: object[] };
    delete old.cutoff;
    for (const entry of old.entries)
      for (const k of ['o', 'k', 'y']) delete (entry as Record<string, unknown>)[k];
    const before = new EstateModel(options, old as never);
    expect(before.estate().cutoff).toEqual({ enabled: true, outputsReads: 0, cutOff: 0, runsAvoided: 0 });
  });
});
