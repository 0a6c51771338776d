/**
 * Operator controls on the real Temporal dev server (Updates, validated by the coordinator),
 * against the scripted Spacelift of the estate rig.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionRefusedError } from '../../src/temporal/coordinator.js';
import { CascadeHarness } from './cascade-harness.js';
import { EstateRig, eventually } from './estate-rig.js';
import type { StackSpec } from './scripted-spacelift.js';

let harness: CascadeHarness;
beforeAll(async () => {
  harness = await CascadeHarness.create(`controls-${randomUUID()}`);
});
afterAll(async () => harness.close());

/** root -> mid -> {left, right} -> bottom */
const ESTATE: StackSpec[] = [
  { id: 'root' },
  { id: 'mid', dependsOn: ['root'] },
  { id: 'left', dependsOn: ['mid'] },
  { id: 'right', dependsOn: ['mid'] },
  { id: 'bottom', dependsOn: ['left', 'right'] },
];

describe('freeze (real Temporal dev server)', () => {
  it('holds every trigger while runs in flight go on; unfreeze runs each waiting stack once, in order', async () => {
    const rig = new EstateRig(harness, ESTATE);
    rig.holdOwn.add('mid');
    await rig.run(async () => {
      const first = rig.push('root', null);
      rig.finish(first);
      await rig.until('mid', 'queued');
      const freeze = await rig.coordinator.freeze({ by: 'alice', reason: 'incident 4711', until: null });
      expect(freeze).toMatchObject({ by: 'alice', reason: 'incident 4711', until: null });
      // mid's run was in flight: it goes on and ends; what it changed waits.
      rig.holdOwn.delete('mid');
      rig.finish(rig.runsOf('mid')[0]!);
      await rig.until('mid', 'finished');
      // More changes land while frozen.
      for (let i = 0; i < 3; i++) rig.finish(rig.push('root', null));
      await rig.until('mid', 'held');
      await new Promise((r) => setTimeout(r, 500));
      expect(rig.ownTriggers).toEqual(['mid']);
      expect(await rig.stack('mid')).toMatchObject({
        state: 'held',
        hold: 'freeze',
        reason: 'the estate is frozen by alice: incident 4711',
      });
      expect(await rig.stack('left')).toEqual({ state: 'waiting', waitingFor: ['mid'] });
      expect(await rig.coordinator.controls()).toEqual({ freeze });
      const held = await rig.coordinator.cascade(first.id);
      expect(held).toMatchObject({ phase: 'held', heldOn: ['the estate is frozen by alice: incident 4711'] });

      const answer = await rig.coordinator.unfreeze('bob');
      expect(answer).toEqual({ freeze, by: 'bob', waiting: ['mid'] });
      await rig.until('bottom', 'finished');
      await rig.settled(first.id);
    });
    // mid once before the freeze and once for all the changes during it; each stack below once.
    expect(rig.ownTriggers.filter((s) => s === 'mid')).toHaveLength(2);
    for (const id of ['left', 'right', 'bottom']) expect(rig.count(id), id).toBe(1);
    expect(rig.indexOf('triggered', 'left')).toBeGreaterThan(rig.indexOf('ended', 'mid', 1));
    expect(rig.indexOf('triggered', 'bottom')).toBeGreaterThan(rig.indexOf('ended', 'right'));
  });

  it('refuses with the reason: a second freeze, an end in the past, an unfreeze when not frozen', async () => {
    const rig = new EstateRig(harness, ESTATE);
    await rig.run(async () => {
      const refusal = (p: Promise<unknown>) =>
        p.then(
          () => null,
          (err: unknown) => err,
        );
      const notFrozen = await refusal(rig.coordinator.unfreeze('bob'));
      expect(notFrozen).toBeInstanceOf(ActionRefusedError);
      expect((notFrozen as Error).message).toBe('the estate is not frozen');
      const past = await refusal(rig.coordinator.freeze({ by: 'alice', until: Date.now() - 60_000 }));
      expect((past as Error).message).toMatch(/^the freeze's end \(.+Z\) is not in the future$/);
      expect(await refusal(rig.coordinator.freeze({ by: '' }))).toBeInstanceOf(ActionRefusedError);
      await rig.coordinator.freeze({ by: 'alice' });
      const twice = await refusal(rig.coordinator.freeze({ by: 'bob', reason: 'me too' }));
      expect((twice as Error).message).toMatch(
        /^the estate is already frozen since .+Z by alice; unfreeze it first$/,
      );
      expect((await rig.coordinator.controls()).freeze).toMatchObject({ by: 'alice', reason: null });
    });
  });

  it('lifts itself at --until (a timer wakes the coordinator), and the waiting stack runs once', async () => {
    const rig = new EstateRig(harness, [{ id: 'root' }, { id: 'leaf', dependsOn: ['root'] }]);
    await rig.run(async () => {
      const until = Date.now() + 1_500;
      await rig.coordinator.freeze({ by: 'alice', until });
      rig.finish(rig.push('root', null));
      await rig.until('leaf', 'held');
      expect(rig.ownTriggers).toEqual([]);
      await rig.until('leaf', 'finished');
      expect(Date.now()).toBeGreaterThanOrEqual(until);
      expect((await rig.coordinator.controls()).freeze).toBeNull();
    });
    expect(rig.count('leaf')).toBe(1);
  });

  it('stops the retries of a trigger already sent (Spacelift never created its run); unfreeze triggers it once', async () => {
    const rig = new EstateRig(harness, [{ id: 'root' }, { id: 'flaky', dependsOn: ['root'] }]);
    const { mock } = rig.spacelift;
    const triggerRun = mock.triggerRun.bind(mock);
    let attempts = 0;
    mock.triggerRun = (stackId, options) => {
      if (stackId !== 'flaky') return triggerRun(stackId, options);
      attempts++;
      return Promise.reject(new Error('connection reset by peer'));
    };
    await rig.run(async () => {
      rig.finish(rig.push('root', null));
      await eventually(() => (attempts >= 2 ? true : undefined));
      await rig.coordinator.freeze({ by: 'alice', reason: 'Spacelift is flaky' });
      await rig.until('flaky', 'held');
      const stopped = attempts;
      await new Promise((r) => setTimeout(r, 4_500));
      expect(attempts).toBe(stopped);
      mock.triggerRun = triggerRun;
      await rig.coordinator.unfreeze('alice');
      await rig.until('flaky', 'finished');
    });
    expect(rig.count('flaky')).toBe(1);
  });

  it('survives a restart: a new worker replays the coordinator, still frozen', async () => {
    const rig = new EstateRig(harness, [{ id: 'root' }, { id: 'leaf', dependsOn: ['root'] }]);
    const handle = harness.client.workflow.getHandle(rig.coordinator.ref.estateId);
    try {
      await harness.withWorker(rig.spacelift.api, async () => {
        await rig.coordinator.configure();
        await eventually(async () => (await rig.coordinator.stack('root')) ?? undefined);
        await rig.coordinator.freeze({ by: 'alice', reason: 'restart test' });
        rig.finish(rig.push('root', null));
        await rig.until('leaf', 'held');
      });
      // No worker now; a new one (empty cache) replays the history with the update in it.
      await harness.withWorker(rig.spacelift.api, async () => {
        expect((await rig.coordinator.controls()).freeze).toMatchObject({
          by: 'alice',
          reason: 'restart test',
        });
        expect(await rig.stack('leaf')).toMatchObject({ state: 'held', hold: 'freeze' });
        await rig.coordinator.unfreeze('bob');
        await rig.until('leaf', 'finished');
      });
    } finally {
      await handle.terminate('test over');
    }
    expect(rig.count('leaf')).toBe(1);
  });
});
