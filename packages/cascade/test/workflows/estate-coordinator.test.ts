import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CascadeHarness } from './cascade-harness.js';
import { EstateRig, eventually, nextSecond } from './estate-rig.js';
import type { StackSpec } from './scripted-spacelift.js';
import { testOptions } from './test-options.js';

let harness: CascadeHarness;
beforeAll(async () => {
  harness = await CascadeHarness.create(`estate-${randomUUID()}`);
});
afterAll(async () => harness.close());

/** base -> vpc -> {rds, redis} -> api -> {frontend, jobs} */
const ESTATE: StackSpec[] = [
  { id: 'base' },
  { id: 'vpc', dependsOn: ['base'] },
  { id: 'rds', dependsOn: ['vpc'] },
  { id: 'redis', dependsOn: ['vpc'] },
  { id: 'api', dependsOn: ['rds', 'redis'] },
  { id: 'frontend', dependsOn: ['api'] },
  { id: 'jobs', dependsOn: ['api'] },
];
const BELOW_VPC = ['rds', 'redis', 'api', 'frontend', 'jobs'];

describe('the estate coordinator (real Temporal dev server)', () => {
  it('overlap: base and vpc finishing together run vpc once more after base, and each stack below once, after it', async () => {
    const rig = new EstateRig(harness, ESTATE);
    const view = await rig.run(async () => {
      // One push changed both: Spacelift ran them side by side; vpc's ends first.
      const base = rig.push('base', null);
      const vpc = rig.push('vpc', null);
      await rig.flush();
      rig.finish(vpc);
      await rig.until('rds', 'waiting');
      expect(rig.ownTriggers).toEqual([]);
      rig.finish(base);
      return rig.settled(base.id);
    });
    expect(view.phase).toBe('completed');
    expect(rig.count('vpc')).toBe(1);
    for (const id of BELOW_VPC) expect(rig.count(id), id).toBe(1);
    // Nothing below vpc started before vpc's re-run ended.
    const vpcRerunEnded = rig.indexOf('ended', 'vpc', 1);
    for (const id of BELOW_VPC) expect(rig.indexOf('triggered', id)).toBeGreaterThan(vpcRerunEnded);
    expect(view.changes.map((c) => c.stackId).sort()).toEqual(['base', 'vpc']);
    expect(Object.keys(view.stacks).sort()).toEqual([...BELOW_VPC, 'vpc'].sort());
  });

  it('a push to a stack and its upstream: the downstream waits for both, even when the upstream ends first', async () => {
    const rig = new EstateRig(harness, ESTATE);
    await rig.run(async () => {
      const vpc = rig.push('vpc', null);
      const rds = rig.push('rds', null);
      await rig.flush();
      rig.finish(vpc);
      // api needs a run (vpc changed) but rds is still applying: it waits.
      await rig.until('api', 'waiting');
      // (redis, triggered by vpc's change, may have finished already: rds is what api waits for.)
      expect(await rig.stack('api')).toMatchObject({
        state: 'waiting',
        waitingFor: expect.arrayContaining(['rds']),
      });
      await eventually(() => (rig.count('redis') === 1 ? true : undefined));
      rig.finish(rds);
      return rig.settled(vpc.id);
    });
    // rds's push run started before vpc's change landed: rds runs again, then api once.
    expect(rig.count('rds')).toBe(1);
    expect(rig.count('api')).toBe(1);
    expect(rig.indexOf('triggered', 'api')).toBeGreaterThan(rig.indexOf('ended', 'rds', 1));
  });

  it('two quick changes of the root: a stack already running gets exactly one more run; the rest run once', async () => {
    const rig = new EstateRig(harness, [
      { id: 'root' },
      { id: 'a', dependsOn: ['root'] },
      { id: 'b', dependsOn: ['a'] },
    ]);
    rig.holdOwn.add('a');
    await rig.run(async () => {
      const first = rig.push('root', null);
      rig.finish(first);
      await rig.until('a', 'queued');
      const second = rig.push('root', null);
      rig.finish(second);
      await eventually(async () => ((await rig.coordinator.cascade(second.id)) ? true : undefined));
      rig.holdOwn.delete('a');
      rig.finish(rig.runsOf('a')[0]!);
      return rig.settled(first.id);
    });
    expect(rig.count('a')).toBe(2);
    expect(rig.count('b')).toBe(1);
    expect(rig.indexOf('triggered', 'b')).toBeGreaterThan(rig.indexOf('ended', 'a', 1));
  });

  it('a run of a waiting stack from another source counts when it started after the change, not before', async () => {
    // Before: leaf's UI run started, then root's change landed: not enough, leaf runs again.
    const before = new EstateRig(harness, [{ id: 'root' }, { id: 'leaf', dependsOn: ['root'] }]);
    await before.run(async () => {
      const early = before.push('leaf');
      await before.flush();
      await nextSecond();
      const root = before.push('root', null);
      before.finish(root);
      await before.flush();
      before.finish(early);
      await before.settled(root.id);
    });
    expect(before.count('leaf')).toBe(1);

    // After: leaf waits for a free slot (maxParallel 1, taken by busy); the user runs it from
    // the UI after root's change landed: that run serves the need, the coordinator adds none.
    const after = new EstateRig(
      harness,
      [
        { id: 'other' },
        { id: 'busy', dependsOn: ['other'] },
        { id: 'root' },
        { id: 'leaf', dependsOn: ['root'] },
      ],
      testOptions({ maxParallel: 1 }),
    );
    after.holdOwn.add('busy');
    await after.run(async () => {
      const other = after.push('other', null);
      after.finish(other);
      await after.until('busy', 'queued');
      const root = after.push('root', null);
      after.finish(root);
      await after.until('leaf', 'waiting');
      await nextSecond();
      const ui = after.push('leaf');
      await after.flush();
      after.finish(ui);
      await after.until('leaf', 'finished');
      after.holdOwn.delete('busy');
      after.finish(after.runsOf('busy').at(-1)!);
      const view = await after.settled(root.id);
      expect(view.stacks.leaf!.runs.map((r) => [r.runId, r.own])).toEqual([[ui.id, false]]);
    });
    expect(after.count('leaf')).toBe(0);
  });

  it('a failure blocks only what needs a run because of it; a fixed re-run releases the blocked stacks', async () => {
    const rig = new EstateRig(harness, [
      { id: 'root' },
      { id: 'bad', dependsOn: ['root'], outcome: 'FAILED' },
      { id: 'good', dependsOn: ['root'] },
      { id: 'below', dependsOn: ['bad'] },
      { id: 'beside', dependsOn: ['good'] },
    ]);
    const [blocked, released, after] = await rig.run(async () => {
      const root = rig.push('root', null);
      rig.finish(root);
      const view = await rig.settled(root.id);
      // The owner fixes bad (its next runs succeed) and re-runs it.
      rig.spacelift.mock.store.getStack('bad')!.outcome = 'FINISHED';
      const fix = rig.push('bad');
      rig.finish(fix);
      await rig.until('below', 'finished');
      return [view, await rig.settled(fix.id), await rig.settled(root.id)] as const;
    });
    expect(blocked.phase).toBe('blocked');
    expect(blocked.endedAt).not.toBeNull();
    expect(blocked.stacks.below).toMatchObject({ state: 'blocked', blockedBy: 'bad' });
    expect((blocked.stacks.below as { reason: string }).reason).toMatch(
      /^upstream bad failed: run .+ ended FAILED$/,
    );
    expect(blocked.stacks.beside!.state).toBe('finished');
    // The release is a cascade of its own, naming the one it resumes; that one stays as it ended.
    expect(released).toMatchObject({ phase: 'completed', resumes: [blocked.id] });
    expect(released.stacks.below!.state).toBe('finished');
    expect(after).toMatchObject({ id: blocked.id, phase: 'blocked', resumedBy: [released.id] });
    expect(rig.count('below')).toBe(1);
    expect(rig.count('beside')).toBe(1);
  });

  it('a blocked cascade ends; a later change starts its own (taking over what is blocked) and the estate counts them by state', async () => {
    const rig = new EstateRig(harness, [
      { id: 'root' },
      { id: 'bad', dependsOn: ['root'], outcome: 'FAILED' },
      { id: 'below', dependsOn: ['bad'] },
    ]);
    const { first, second, estate } = await rig.run(async () => {
      const a = rig.push('root', null);
      rig.finish(a);
      await rig.settled(a.id);
      const b = rig.push('root', null);
      rig.finish(b);
      const second = await rig.settled(b.id);
      return { first: await rig.settled(a.id), second, estate: await rig.coordinator.estate() };
    });
    expect(first).toMatchObject({ phase: 'blocked', resumedBy: [second.id] });
    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({ phase: 'blocked', resumes: [first.id] });
    expect(second.changes).toHaveLength(1);
    expect(second.stacks.below).toMatchObject({ state: 'blocked', blockedBy: 'bad' });
    expect(estate).toMatchObject({ activeCascades: [], cascadeCounts: { running: 0, held: 0, blocked: 1 } });
    expect(rig.count('bad')).toBe(2);
    expect(rig.count('below')).toBe(0);
  });

  it('a cycle never runs and is named; everything else proceeds', async () => {
    const rig = new EstateRig(harness, [
      { id: 'root' },
      { id: 'x', dependsOn: ['root', 'y'] },
      { id: 'y', dependsOn: ['x'] },
      { id: 'fine', dependsOn: ['root'] },
    ]);
    const { view, estate } = await rig.run(async () => {
      const root = rig.push('root', null);
      rig.finish(root);
      await rig.until('fine', 'finished');
      const view = await rig.settled(root.id);
      return {
        view,
        estate: await harness.client.workflow.getHandle(rig.coordinator.ref.estateId).query('estate'),
      };
    });
    expect(rig.count('x') + rig.count('y')).toBe(0);
    expect(rig.count('fine')).toBe(1);
    expect(view.phase).toBe('blocked');
    expect(view.stacks.x).toMatchObject({ state: 'cyclic', cycle: 'x -> y -> x' });
    expect((estate as { cycles: string[][] }).cycles).toEqual([['x', 'y']]);
  });

  it('a root whose deliveries are all lost is found by the reconciliation pass and cascades', async () => {
    const rig = new EstateRig(
      harness,
      [{ id: 'root' }, { id: 'app', dependsOn: ['root'] }, { id: 'other' }],
      testOptions({ reconcileIntervalMs: 1_000 }),
    );
    const calls = await rig.run(async () => {
      const before = { ...rig.spacelift.calls };
      const root = rig.push('root', null);
      rig.dropped.add(root.id);
      rig.finish(root);
      await rig.until('app', 'finished');
      return { before, after: { ...rig.spacelift.calls } };
    });
    expect(rig.count('app')).toBe(1);
    // A pass reads the stack list; runs only of stacks whose state changed (root, then app).
    const runReads = (calls.after.getStackRuns ?? 0) - (calls.before.getStackRuns ?? 0);
    expect(runReads).toBeGreaterThanOrEqual(1);
    expect(runReads).toBeLessThanOrEqual(4);
    expect(calls.after.getRun ?? 0).toBe(0);
  });

  it('runs whose webhooks are lost are polled; a retried trigger never creates a second run', async () => {
    const rig = new EstateRig(
      harness,
      [{ id: 'root' }, { id: 'a', dependsOn: ['root'] }, { id: 'b', dependsOn: ['a'] }],
      testOptions({ pollIntervalMs: 200 }),
    );
    // Every delivery of the coordinator's own runs is lost: it learns their ends by polling.
    rig.spacelift.mock.onRunStateChange(({ run }) => {
      if (run.triggeredBy === 'api::cascade') rig.dropped.add(run.id);
    });
    await rig.run(async () => {
      const root = rig.push('root', null);
      rig.finish(root);
      await rig.until('b', 'finished');
    });
    expect(rig.count('a')).toBe(1);
    expect(rig.count('b')).toBe(1);
    expect(rig.spacelift.calls.getRun).toBeGreaterThanOrEqual(2);
  });

  it('label changes between two changes are honoured (delivery labels refresh the graph)', async () => {
    const rig = new EstateRig(harness, [{ id: 'root' }, { id: 'a', dependsOn: ['root'] }, { id: 'b' }]);
    await rig.run(async () => {
      const first = rig.push('root', null);
      rig.finish(first);
      await rig.settled(first.id);
      // b now depends on a too; a's next delivery... b's own delivery carries the new label.
      await rig.spacelift.mock.updateStackLabels('b', { add: ['dependsOn:a'] });
      const touch = rig.push('b');
      rig.finish(touch);
      const second = rig.push('root', null);
      rig.finish(second);
      await rig.until('b', 'finished');
      await rig.settled(second.id);
    });
    expect(rig.count('a')).toBe(2);
    expect(rig.count('b')).toBe(1);
  });

  it('caps the runs it has in flight at maxParallel across the estate', async () => {
    const leaves = Array.from({ length: 6 }, (_, i) => ({ id: `leaf-${i}`, dependsOn: ['hub'] }));
    const rig = new EstateRig(harness, [{ id: 'hub' }, ...leaves], testOptions({ maxParallel: 2 }));
    for (const l of leaves) rig.holdOwn.add(l.id);
    await rig.run(async () => {
      const hub = rig.push('hub', null);
      rig.finish(hub);
      let finished = 0;
      while (finished < leaves.length) {
        // Only finish runs while exactly maxParallel are open: stalls unless the cap holds.
        const open = rig.ownTriggers.length - finished;
        expect(open).toBeLessThanOrEqual(2);
        if (open === Math.min(2, leaves.length - finished)) {
          const stack = rig.ownTriggers[finished]!;
          rig.finish(rig.runsOf(stack).at(-1)!);
          finished++;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      await rig.settled(hub.id);
    });
    expect(rig.ownTriggers.sort()).toEqual(leaves.map((l) => l.id).sort());
  });
});

describe('stacks Spacelift refuses to run', () => {
  it('a locked stack is blocked with the lock owner, not retried blindly, and goes on once unlocked (next pass)', async () => {
    const rig = new EstateRig(
      harness,
      [{ id: 'root' }, { id: 'db', dependsOn: ['root'] }, { id: 'app', dependsOn: ['db'] }],
      testOptions({ reconcileIntervalMs: 1_000 }),
    );
    await rig.run(async () => {
      rig.spacelift.mock.store.stacks.lock('db', 'alice@example.com', 'maintenance');
      const root = rig.push('root', null);
      rig.finish(root);
      const blocked = await rig.until('db', 'blocked');
      expect(blocked).toMatchObject({ blockedBy: 'db' });
      expect((blocked as { reason: string }).reason).toMatch(/locked by alice@example\.com/);
      expect(await rig.stack('app')).toMatchObject({ state: 'blocked', blockedBy: 'db' });
      const triggersWhileLocked = rig.spacelift.calls.triggerRun ?? 0;
      await new Promise((r) => setTimeout(r, 2_500));
      // Tried again once per reconciliation pass, not in a tight loop.
      expect((rig.spacelift.calls.triggerRun ?? 0) - triggersWhileLocked).toBeLessThanOrEqual(3);
      rig.spacelift.mock.store.stacks.unlock('db', 'alice@example.com');
      await rig.until('app', 'finished');
      return rig.settled(root.id);
    });
    expect(rig.count('db')).toBe(1);
    expect(rig.count('app')).toBe(1);
  });
});
