/**
 * Operator controls on the real Temporal dev server (Updates, validated by the coordinator),
 * against the scripted Spacelift of the estate rig.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CascadeOptions } from '../../src/cascade-contract.js';
import { readChangeWindows } from '../../src/config/change-windows.js';
import { serviceProblems } from '../../src/service/service-problems.js';
import { ActionRefusedError } from '../../src/temporal/coordinator.js';
import { CascadeHarness } from './cascade-harness.js';
import { EstateRig, eventually } from './estate-rig.js';
import type { StackSpec } from './scripted-spacelift.js';
import { testOptions } from './test-options.js';

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
      expect(await rig.coordinator.controls()).toEqual({
        freeze,
        approvals: [],
        pauses: [],
        windowsKey: null,
        cutoff: { enabled: true, outputsReads: expect.any(Number), cutOff: 0, runsAvoided: 0 },
      });
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

/** root -> gate (cascade:approval) -> below */
const GATED: StackSpec[] = [
  { id: 'root' },
  { id: 'gate', dependsOn: ['root'], labels: ['cascade:approval'] },
  { id: 'below', dependsOn: ['gate'] },
];

describe('approvals (real Temporal dev server)', () => {
  it('a stack labelled cascade:approval is not triggered until approved; the answer says who', async () => {
    const rig = new EstateRig(harness, GATED);
    await rig.run(async () => {
      const root = rig.push('root', null);
      rig.finish(root);
      const held = await rig.until('gate', 'held');
      expect(held).toMatchObject({
        hold: 'approval',
        reason: expect.stringMatching(/^awaiting approval in cascade-/),
      });
      const { approvals } = await rig.coordinator.controls();
      expect(approvals).toEqual([
        { cascadeId: `cascade-${root.id}`, stackId: 'gate', since: expect.any(Number) },
      ]);
      expect(await rig.coordinator.cascade(root.id)).toMatchObject({ phase: 'held' });
      await new Promise((r) => setTimeout(r, 300));
      expect(rig.ownTriggers).toEqual([]);
      const decision = await rig.coordinator.approve({
        cascadeId: root.id,
        stackId: 'gate',
        by: 'alice',
        note: 'ok',
      });
      expect(decision).toMatchObject({
        cascadeId: `cascade-${root.id}`,
        verdict: 'approved',
        by: 'alice',
        note: 'ok',
      });
      await rig.until('below', 'finished');
      expect(await rig.settled(root.id)).toMatchObject({ phase: 'completed' });
    });
    expect(rig.ownTriggers).toEqual(['gate', 'below']);
  });

  it('a rejection ends it blocked with who and why; refusals say why; a later approval resumes it in a cascade naming it', async () => {
    const rig = new EstateRig(harness, GATED);
    await rig.run(async () => {
      const root = rig.push('root', null);
      rig.finish(root);
      await rig.until('gate', 'held');
      const refusal = (p: Promise<unknown>) =>
        p.then(
          () => null,
          (err: Error) => err.message,
        );
      expect(
        await refusal(rig.coordinator.approve({ cascadeId: root.id, stackId: 'below', by: 'alice' })),
      ).toBe('below needs no approval: it has no cascade:approval label');
      expect(
        await refusal(rig.coordinator.approve({ cascadeId: 'cascade-nope', stackId: 'gate', by: 'a' })),
      ).toBe('no cascade "cascade-nope" (or one caused by that run)');
      await rig.coordinator.reject({
        cascadeId: root.id,
        stackId: 'gate',
        by: 'bob',
        note: 'not during the sale',
      });
      const blocked = await rig.settled(root.id);
      expect(blocked).toMatchObject({
        phase: 'blocked',
        stacks: {
          gate: { state: 'blocked', reason: 'rejected by bob: not during the sale' },
          below: { state: 'blocked', reason: 'upstream gate was rejected by bob: not during the sale' },
        },
      });
      expect(await refusal(rig.coordinator.reject({ cascadeId: root.id, stackId: 'gate', by: 'bob' }))).toBe(
        `gate was already rejected in ${blocked.id} by bob`,
      );
      await rig.coordinator.approve({
        cascadeId: blocked.id,
        stackId: 'gate',
        by: 'alice',
        note: 'sale is over',
      });
      await rig.until('below', 'finished');
      const resumed = await rig.coordinator.cascade(`${blocked.id}-resumed-1`);
      expect(resumed).toMatchObject({ phase: 'completed', resumes: [blocked.id] });
    });
    expect(rig.ownTriggers).toEqual(['gate', 'below']);
  });

  it('CASCADE_APPROVAL_TIMEOUT: no approval in time ends it blocked (a timer wakes the coordinator)', async () => {
    const rig = new EstateRig(harness, GATED, testOptions({ approvalTimeoutMs: 1_500 }));
    await rig.run(async () => {
      const root = rig.push('root', null);
      rig.finish(root);
      await rig.until('gate', 'held');
      const blocked = await rig.until('gate', 'blocked');
      expect(blocked).toMatchObject({ reason: expect.stringMatching(/^rejected by the approval timeout: /) });
      expect(await rig.settled(root.id)).toMatchObject({ phase: 'blocked' });
    });
    expect(rig.ownTriggers).toEqual([]);
  });
});

describe('failure budget (real Temporal dev server)', () => {
  it('CASCADE_MAX_FAILURES: the cascade pauses itself, a run in flight goes on, what it changed waits; resume lets it run', async () => {
    const rig = new EstateRig(
      harness,
      [
        { id: 'hub' },
        { id: 'bad1', dependsOn: ['hub'], outcome: 'FAILED' },
        { id: 'bad2', dependsOn: ['hub'], outcome: 'FAILED' },
        { id: 'slow', dependsOn: ['hub'] },
        { id: 'after', dependsOn: ['slow'] },
      ],
      testOptions({ maxFailures: 2 }),
    );
    rig.holdOwn.add('slow');
    await rig.run(async () => {
      const hub = rig.push('hub', null);
      rig.finish(hub);
      await rig.until('bad2', 'failed');
      await rig.until('bad1', 'failed');
      const { pauses } = await rig.coordinator.controls();
      expect(pauses).toEqual([
        {
          cascadeId: `cascade-${hub.id}`,
          since: expect.any(Number),
          failures: 2,
          reason: '2 runs failed (CASCADE_MAX_FAILURES=2)',
        },
      ]);
      rig.holdOwn.delete('slow');
      rig.finish(rig.runsOf('slow')[0]!);
      expect(await rig.until('after', 'held')).toMatchObject({ hold: 'pause' });
      expect(await rig.coordinator.cascade(hub.id)).toMatchObject({
        phase: 'held',
        heldOn: [
          expect.stringMatching(
            /paused: 2 runs failed \(CASCADE_MAX_FAILURES=2\); spacelift-cascade cascades resume /,
          ),
        ],
      });
      expect(rig.count('after')).toBe(0);
      const answer = await rig.coordinator.resume({ cascadeId: hub.id, by: 'alice' });
      expect(answer).toMatchObject({ cascadeId: `cascade-${hub.id}`, by: 'alice', pause: { failures: 2 } });
      const refused = await rig.coordinator
        .resume({ cascadeId: hub.id, by: 'alice' })
        .catch((err: Error) => err.message);
      expect(refused).toBe(`cascade cascade-${hub.id} is not paused`);
      await rig.until('after', 'finished');
    });
    expect(rig.count('after')).toBe(1);
  });
});

describe('change windows (real Temporal dev server)', () => {
  it(
    'outside its window a stack is held until it opens; a timer wakes the coordinator at the edge',
    { timeout: 150_000 },
    async () => {
      // A window that opens at the next whole minute (UTC) and stays open ten minutes.
      const opens = Math.ceil((Date.now() + 5_000) / 60_000) * 60_000;
      const at = new Date(opens);
      const hm = (d: Date) =>
        `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
      const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][at.getUTCDay()]!;
      const read = readChangeWindows({
        CASCADE_CHANGE_WINDOWS: `${day} ${hm(at)}-${hm(new Date(opens + 600_000))} UTC`,
      });
      if (!('windows' in read)) throw new Error(read.problems.join('; '));
      const rig = new EstateRig(
        harness,
        [{ id: 'root' }, { id: 'leaf', dependsOn: ['root'] }],
        testOptions({ changeWindows: read.windows }),
      );
      await rig.run(async () => {
        rig.finish(rig.push('root', null));
        const held = await rig.until('leaf', 'held');
        expect(held).toMatchObject({
          hold: 'window',
          reason: `outside the change window: held until ${day} ${hm(at)} (UTC)`,
        });
        expect((await rig.coordinator.controls()).windows).toEqual({
          '': { open: false, next: { start: opens, end: opens + 600_000, opens: `${day} ${hm(at)} (UTC)` } },
        });
        await rig.until('leaf', 'finished');
      });
      expect(rig.count('leaf')).toBe(1);
      expect(rig.runsOf('leaf')[0]!.createdAt * 1000).toBeGreaterThanOrEqual(opens);
    },
  );
  it('a service configured with other windows than the coordinator keeps says so in its status', async () => {
    const read = readChangeWindows({ CASCADE_CHANGE_WINDOWS: 'Mon-Fri 09:00-17:00 Europe/Berlin' });
    if (!('windows' in read)) throw new Error(read.problems.join('; '));
    const rig = new EstateRig(harness, [{ id: 'root' }], testOptions({ changeWindows: read.windows }));
    const configProblems = async (options: CascadeOptions) => {
      const problems = await serviceProblems({
        temporal: { address: 'test', client: harness.client, gateway: null },
        coordinator: { ...rig.coordinator.ref, options, account: 'test' },
        spacelift: { api: null, keyId: null, baseUrl: 'http://spacelift.test' },
        worker: () => null,
      })();
      return problems.filter((p) => p.part === 'config');
    };
    await rig.run(async () => {
      expect(await configProblems(rig.options)).toEqual([]);
      expect(await configProblems(testOptions())).toEqual([
        {
          part: 'config',
          message: expect.stringMatching(
            new RegExp(
              `^the coordinator ${rig.coordinator.ref.estateId} keeps other change windows than this service's .*give every worker and receiver the same settings$`,
            ),
          ),
        },
      ]);
    });
  });
});
