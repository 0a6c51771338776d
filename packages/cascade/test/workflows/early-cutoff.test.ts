import { randomUUID } from 'node:crypto';
import type { RunOutcome } from 'spacelift-simulator/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CascadeOptions, CutoffCounts } from '../../src/cascade-contract.js';
import { CascadeHarness } from './cascade-harness.js';
import { EstateRig, eventually } from './estate-rig.js';
import type { StackSpec } from './scripted-spacelift.js';
import { testOptions } from './test-options.js';

let harness: CascadeHarness;
beforeAll(async () => {
  harness = await CascadeHarness.create(`cutoff-${randomUUID()}`);
});
afterAll(async () => harness.close());

/** root -> a -> b */
const CHAIN: StackSpec[] = [{ id: 'root' }, { id: 'a', dependsOn: ['root'] }, { id: 'b', dependsOn: ['a'] }];

/** An estate whose stacks have outputs (as Spacelift shows them after an apply). */
function outputsRig(stacks: StackSpec[], options?: CascadeOptions): EstateRig {
  const rig = new EstateRig(harness, stacks, options);
  for (const { id } of stacks) {
    rig.spacelift.mock.store.stacks.setOutputs(id, [
      { id: 'id', value: `${id}-0a1b2c` },
      { id: 'endpoint', value: `${id}.internal:5432` },
    ]);
  }
  return rig;
}

const behave = (rig: EstateRig, stackId: string, outcome: RunOutcome) =>
  rig.spacelift.mock.store.stacks.setBehaviour(stackId, { outcome });

const counts = async (rig: EstateRig): Promise<CutoffCounts> => (await rig.coordinator.estate()).cutoff!;

/**
 * A first change of `stackId` that cascades through the estate (nothing is known of its outputs
 * yet), then waits until the outputs of the `readers` stacks with dependents were read after
 * their runs: the baselines the next runs are compared with.
 */
async function warmUp(rig: EstateRig, stackId: string, reads: number): Promise<void> {
  const run = rig.push(stackId, null);
  rig.finish(run);
  await rig.settled(run.id);
  await eventually(async () => ((await counts(rig)).outputsReads >= reads ? true : undefined));
}

/** A push to `stackId` whose run ends as `outcome`; the cascade it started, once settled, and the run. */
async function pushAs(rig: EstateRig, stackId: string, outcome: RunOutcome) {
  behave(rig, stackId, outcome);
  const run = rig.push(stackId, null);
  rig.finish(run);
  return { view: await rig.settled(run.id), run };
}

describe('early cutoff (real Temporal dev server)', () => {
  it('a root whose run changed nothing runs nothing below it, and says so', async () => {
    const rig = outputsRig(CHAIN);
    const { view, root, before, after, noopId } = await rig.run(async () => {
      await warmUp(rig, 'root', 2);
      const before = await counts(rig);
      const { view, run: noop } = await pushAs(rig, 'root', 'NO_CHANGES');
      const root = await rig.until('root', 'up-to-date');
      return { view, root, before, after: await counts(rig), noopId: noop.id };
    });
    expect(rig.ownTriggers).toEqual(['a', 'b']); // the warm-up's runs only
    expect(root).toMatchObject({
      runId: noopId,
      reason: `run ${noopId} changed nothing`,
      spared: ['a', 'b'],
    });
    expect(view.phase).toBe('completed');
    expect(view.stacks.root).toMatchObject({ state: 'up-to-date', spared: ['a', 'b'] });
    expect(view.stacks.a).toMatchObject({
      state: 'up-to-date',
      reason: `upstream root: run ${noopId} changed nothing`,
    });
    expect(view.stacks.b!.state).toBe('up-to-date');
    expect(before).toMatchObject({ enabled: true, cutOff: 0, runsAvoided: 0 });
    expect(after).toEqual({
      enabled: true,
      outputsReads: before.outputsReads + 1,
      cutOff: 1,
      runsAvoided: 2,
    });
  });

  it('a run in the middle of a diamond that changed nothing spares only what the other side does not reach', async () => {
    // root -> {left, right} -> bottom; left -> leftOnly
    const rig = outputsRig([
      { id: 'root' },
      { id: 'left', dependsOn: ['root'] },
      { id: 'right', dependsOn: ['root'] },
      { id: 'bottom', dependsOn: ['left', 'right'] },
      { id: 'leftOnly', dependsOn: ['left'] },
    ]);
    const { view, left } = await rig.run(async () => {
      await warmUp(rig, 'root', 3);
      behave(rig, 'left', 'NO_CHANGES');
      const second = rig.push('root', null);
      rig.finish(second);
      const view = await eventually(async () => {
        const v = await rig.settled(second.id);
        return v.phase === 'completed' ? v : undefined;
      });
      return { view, left: await rig.stack('left') };
    });
    expect(rig.count('left')).toBe(2);
    expect(rig.count('right')).toBe(2);
    expect(rig.count('bottom')).toBe(2); // right changed: bottom still runs, once
    expect(rig.count('leftOnly')).toBe(1); // only left reaches it
    expect(left).toMatchObject({ state: 'up-to-date', spared: ['leftOnly'] });
    expect(view.stacks.leftOnly).toMatchObject({ state: 'up-to-date' });
    expect(view.stacks.bottom!.state).toBe('finished');
    // bottom ran after both sides had decided.
    const bottomRun = rig.indexOf('triggered', 'bottom', 1);
    expect(bottomRun).toBeGreaterThan(rig.indexOf('ended', 'left', 1));
    expect(bottomRun).toBeGreaterThan(rig.indexOf('ended', 'right', 1));
  });

  it('an output-only change (zero delta, a new output value) cascades', async () => {
    const rig = outputsRig(CHAIN);
    const { root, change } = await rig.run(async () => {
      await warmUp(rig, 'root', 2);
      const { run: change } = await pushAs(rig, 'root', 'OUTPUTS_ONLY');
      return { root: await rig.stack('root'), change };
    });
    const delta = change.delta!;
    expect(delta.addCount + delta.changeCount + delta.deleteCount).toBe(0);
    expect(rig.ownTriggers).toEqual(['a', 'b', 'a', 'b']);
    expect(root!.state).toBe('finished');
  });

  it('a sensitive output makes it conservative: a run with a zero delta cascades', async () => {
    const rig = outputsRig(CHAIN);
    rig.spacelift.mock.store.stacks.setOutputs('root', [
      { id: 'endpoint', value: 'db.internal:5432' },
      { id: 'password', value: 's3cret', sensitive: true },
    ]);
    await rig.run(async () => {
      await warmUp(rig, 'root', 2);
      await pushAs(rig, 'root', 'NO_CHANGES');
    });
    expect(rig.ownTriggers).toEqual(['a', 'b', 'a', 'b']);
  });

  it('cascade:always restores "every FINISHED run cascades" for the stack labelled so', async () => {
    const rig = outputsRig(CHAIN);
    rig.spacelift.mock.store.stacks.changeLabels('a', ['cascade:always'], []);
    behave(rig, 'a', 'NO_CHANGES');
    const view = await rig.run(async () => {
      await warmUp(rig, 'root', 2);
      return (await pushAs(rig, 'root', 'NO_CHANGES')).view;
    });
    // a runs on root's run that changed nothing; a's own run changed nothing: b is spared.
    expect(rig.ownTriggers).toEqual(['a', 'b', 'a']);
    expect(view.stacks.root).toMatchObject({ state: 'up-to-date', spared: [] });
    expect(view.stacks.a).toMatchObject({ state: 'up-to-date', spared: ['b'] });
  });

  it('CASCADE_CUTOFF=off restores "every FINISHED run cascades", and reads no outputs', async () => {
    const rig = outputsRig(CHAIN, testOptions({ cutoff: false }));
    const after = await rig.run(async () => {
      await warmUp(rig, 'root', 0);
      await pushAs(rig, 'root', 'NO_CHANGES');
      return counts(rig);
    });
    expect(rig.ownTriggers).toEqual(['a', 'b', 'a', 'b']);
    expect(after).toEqual({ enabled: false, outputsReads: 0, cutOff: 0, runsAvoided: 0 });
  });
});
