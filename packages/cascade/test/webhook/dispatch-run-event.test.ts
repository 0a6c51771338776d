import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunEvent, RunObservation } from '../../src/cascade-contract.js';
import { PARENT_WORKFLOW } from '../../src/constants.js';
import { runStateSignal } from '../../src/coordinator-contract.js';
import { TemporalUnavailableError } from '../../src/webhook/cascade-port.js';
import {
  classifyRunEvent,
  dispatchRunEvent,
  toObservation,
  type DispatchOptions,
} from '../../src/webhook/dispatch-run-event.js';
import { ProgressHold } from '../../src/webhook/progress-hold.js';
import { parseWebhookPayload } from '../../src/webhook/run-event.js';
import { FakeCascadePort } from './fake-cascade-port.js';
import { TEST_ESTATE_ID, cascadeOptions, exampleBody, lifecycleLines } from './webhook-examples.js';

const RUN_STATE_SIGNAL = runStateSignal.name;

const options: DispatchOptions = { estateId: TEST_ESTATE_ID, taskQueue: 'test-queue', cascadeOptions };

const event = (overrides: Partial<RunEvent> = {}): RunEvent => ({
  runId: 'run-1',
  stackId: 'network',
  state: 'FINISHED',
  stateVersion: 6,
  runType: 'TRACKED',
  branch: 'main',
  commitSha: 'abc',
  timestamp: 1700000000,
  timestampMillis: null,
  runCreatedAt: 1699999900,
  driftDetection: false,
  spaceId: null,
  stackName: 'Network',
  stackLabels: [],
  account: 'acme',
  triggeredBy: 'jane@example.com',
  delta: { added: 0, changed: 1, deleted: 0 },
  ...overrides,
});

const eventOf = (text: string): RunEvent => {
  const r = parseWebhookPayload(JSON.parse(text));
  if (!r.ok || r.value.kind !== 'run') throw new Error('not a run event');
  return r.value.event;
};

/** The one call the receiver makes for a forwarded event. */
const signalOf = (observation: RunObservation, dispatch: DispatchOptions = options) => ({
  workflowType: PARENT_WORKFLOW,
  workflowId: dispatch.estateId,
  taskQueue: dispatch.taskQueue,
  args: [{ options: dispatch.cascadeOptions }],
  signalName: RUN_STATE_SIGNAL,
  signalArgs: [observation],
});

describe('classifyRunEvent', () => {
  it.each([
    // Every end of a tracked run.
    ['FINISHED', 'TRACKED', true],
    ['FAILED', 'TRACKED', true],
    ['STOPPED', 'TRACKED', true],
    ['CANCELED', 'TRACKED', true],
    ['DISCARDED', 'TRACKED', true],
    ['SKIPPED', 'TRACKED', true],
    // The states the coordinator shows or acts on.
    ['QUEUED', 'TRACKED', true],
    ['PREPARING', 'TRACKED', true],
    ['UNCONFIRMED', 'TRACKED', true],
    ['CONFIRMED', 'TRACKED', true],
    // States in between change nothing it knows (READY is still queued, APPLYING still running).
    ['READY', 'TRACKED', false],
    ['APPLYING', 'TRACKED', false],
    ['INITIALIZING', 'TRACKED', false],
    ['PLANNING', 'TRACKED', false],
    ['SOMETHING_NEW', 'TRACKED', false],
    // Other run types change nothing while the coordinator triggers tracked runs.
    ['FINISHED', 'PROPOSED', false],
    ['QUEUED', 'PROPOSED', false],
    ['FINISHED', 'TASK', false],
  ])('%s %s -> forward %s', (state, runType, forward) => {
    expect(classifyRunEvent(event({ state, runType }), cascadeOptions).forward).toBe(forward);
  });

  it('says why it ignores a delivery', () => {
    expect(classifyRunEvent(event({ runType: 'PROPOSED' }), cascadeOptions)).toEqual({
      forward: false,
      mode: 'wait',
      reason: 'a PROPOSED run changes nothing',
    });
    expect(classifyRunEvent(event({ state: 'PLANNING' }), cascadeOptions).reason).toMatch(/PLANNING/);
    expect(classifyRunEvent(event(), cascadeOptions).reason).toMatch(/TRACKED run FINISHED/);
  });

  it('forwards proposed runs when the coordinator triggers proposed runs, and still tracked ones', () => {
    const proposed = { ...cascadeOptions, runType: 'PROPOSED' as const };
    expect(classifyRunEvent(event({ runType: 'PROPOSED' }), proposed).forward).toBe(true);
    expect(classifyRunEvent(event({ runType: 'PROPOSED', state: 'PLANNING' }), proposed).forward).toBe(false);
    expect(classifyRunEvent(event({ runType: 'TRACKED' }), proposed).forward).toBe(true);
    expect(classifyRunEvent(event({ runType: 'TASK' }), proposed).forward).toBe(false);
  });
});

describe('toObservation', () => {
  it('carries the run, its creation time, labels and drift flag; `at` from timestamp_millis', () => {
    expect(
      toObservation(
        event({
          timestampMillis: 1700000000123,
          driftDetection: true,
          stackLabels: ['dependsOn:base'],
          triggeredBy: null,
        }),
      ),
    ).toEqual({
      stackId: 'network',
      runId: 'run-1',
      state: 'FINISHED',
      stateVersion: 6,
      runType: 'TRACKED',
      triggeredBy: null,
      createdAt: 1699999900,
      createdAtMs: null,
      at: 1700000000123,
      driftDetection: true,
      stackLabels: ['dependsOn:base'],
      delta: { added: 0, changed: 1, deleted: 0 },
    });
  });

  it("carries an ended run's delta only (before its plan a run shows zeros)", () => {
    expect(toObservation(event({ delta: null })).delta).toBeNull();
    expect(toObservation(event({ state: 'FAILED' })).delta).toEqual({ added: 0, changed: 1, deleted: 0 });
    expect(toObservation(event({ state: 'APPLYING' }))).not.toHaveProperty('delta');
  });

  it('falls back to the whole-second timestamp, and keeps unknown values null', () => {
    expect(
      toObservation(
        event({ timestampMillis: null, runCreatedAt: null, stackLabels: null, stateVersion: null }),
      ),
    ).toMatchObject({ at: 1700000000_999, createdAt: null, stackLabels: null, stateVersion: null });
  });

  it('a QUEUED first state with milliseconds gives the precise creation time', () => {
    const queued = event({ state: 'QUEUED', stateVersion: 1, timestampMillis: 1700000000123 });
    expect(toObservation(queued)).toMatchObject({ createdAtMs: 1700000000123, at: 1700000000123 });
    expect(toObservation({ ...queued, stateVersion: 2 }).createdAtMs).toBeNull();
    expect(toObservation({ ...queued, timestampMillis: null }).createdAtMs).toBeNull();
  });
});

describe('dispatchRunEvent on the example bodies', () => {
  it('signals the coordinator with run-finished-tracked.json as one signalWithStart', async () => {
    const port = new FakeCascadePort();
    const result = await dispatchRunEvent(eventOf(exampleBody('run-finished-tracked.json')), port, options);
    expect(result).toMatchObject({ action: 'signalled', workflowId: TEST_ESTATE_ID });
    expect(port.calls).toEqual([
      signalOf({
        stackId: 'spacelift-demo',
        runId: '01EF9PFPNFFM2MQXTJKHK1B869',
        state: 'FINISHED',
        stateVersion: 4,
        runType: 'TRACKED',
        triggeredBy: 'marcinw@spacelift.io',
        createdAt: 1596979665,
        createdAtMs: null,
        at: 1596979684_999,
        driftDetection: false,
        stackLabels: [],
        delta: { added: 0, changed: 0, deleted: 0 },
      }),
    ]);
  });

  it('signals the notification-policy payload with millisecond time and no state version', async () => {
    const port = new FakeCascadePort();
    const result = await dispatchRunEvent(
      eventOf(exampleBody('notification-policy-run-updated.json')),
      port,
      options,
    );
    expect(result.action).toBe('signalled');
    expect(port.observations).toEqual([
      {
        stackId: 'network',
        runId: '01HZX4A1B2C3D4E5F6G7H8J9KA',
        state: 'FINISHED',
        stateVersion: null,
        runType: 'TRACKED',
        triggeredBy: 'jane@example.com',
        createdAt: 1700000005,
        createdAtMs: null,
        at: 1700000095_000,
        driftDetection: false,
        stackLabels: ['team:platform'],
        delta: null,
      },
    ]);
  });

  it('signals a failed tracked run (the coordinator decides whether anybody waits for it)', async () => {
    const port = new FakeCascadePort();
    const result = await dispatchRunEvent(eventOf(exampleBody('run-failed-tracked.json')), port, options);
    expect(result.action).toBe('signalled');
    expect(port.observations).toMatchObject([
      { stackId: 'database', state: 'FAILED', stateVersion: 5, stackLabels: ['dependsOn:network'] },
    ]);
  });

  it('ignores run-finished-proposed.json without calling Temporal', async () => {
    const port = new FakeCascadePort();
    const result = await dispatchRunEvent(eventOf(exampleBody('run-finished-proposed.json')), port, options);
    expect(result).toEqual({ action: 'ignored', reason: 'a PROPOSED run changes nothing' });
    expect(port.calls).toEqual([]);
  });

  it('signals the significant lifecycle lines in order and ignores INITIALIZING and PLANNING', async () => {
    const port = new FakeCascadePort();
    const actions: string[] = [];
    for (const line of lifecycleLines())
      actions.push((await dispatchRunEvent(eventOf(line), port, options)).action);
    expect(actions).toEqual(['signalled', 'signalled', 'ignored', 'ignored', 'ignored', 'signalled']);
    expect(port.observations.map((o) => [o.state, o.stateVersion, o.at])).toEqual([
      ['QUEUED', 1, 1700000000_999],
      ['PREPARING', 2, 1700000003_999],
      ['FINISHED', 6, 1700000090_999],
    ]);
    // One coordinator for every delivery.
    expect([...port.running]).toEqual([TEST_ESTATE_ID]);
  });
});

describe('dispatchRunEvent', () => {
  describe("the progress of the cascade's own runs", () => {
    const own = { ...options, ownIdentity: 'api::cascade-key' };

    it.each([
      ['QUEUED', 'api::cascade-key', 'at-once'],
      ['UNCONFIRMED', 'api::casc::cascade-key-name', 'at-once'],
      ['PREPARING', 'api::cascade-key', 'hold'],
      ['CONFIRMED', 'api::casc::cascade-key-name', 'hold'],
    ])('%s triggered by %s is answered before the signal is in (%s)', async (state, triggeredBy, mode) => {
      expect(classifyRunEvent(event({ state, triggeredBy }), cascadeOptions, own.ownIdentity).mode).toBe(
        mode,
      );
      // Without a hold, held progress goes at once too.
      const port = new FakeCascadePort();
      const result = await dispatchRunEvent(event({ state, triggeredBy }), port, own);
      expect(result).toMatchObject({ action: 'forwarded', workflowId: TEST_ESTATE_ID });
      await expect(result.background).resolves.toBe('delivered');
      expect(port.calls).toHaveLength(1);
      expect(port.observations).toMatchObject([{ runId: 'run-1', state }]);
    });

    describe('with a progress hold', () => {
      afterEach(() => {
        vi.useRealTimers();
      });
      const held = () => {
        vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
        return { ...own, progressHold: new ProgressHold(1_000) };
      };
      const mine = (state: string, stateVersion: number) =>
        event({ state, stateVersion, triggeredBy: 'api::cascade-key' });

      it("a run's end supersedes its held progress, which is never signalled; its QUEUED is not held", async () => {
        const o = held();
        const port = new FakeCascadePort();
        const queued = await dispatchRunEvent(mine('QUEUED', 1), port, o);
        const preparing = await dispatchRunEvent(mine('PREPARING', 3), port, o);
        const confirmed = await dispatchRunEvent(mine('CONFIRMED', 6), port, o);
        const finished = await dispatchRunEvent(mine('FINISHED', 9), port, o);
        expect([queued.action, preparing.action, confirmed.action, finished.action]).toEqual([
          'forwarded',
          'forwarded',
          'forwarded',
          'signalled',
        ]);
        await expect(preparing.background).resolves.toBe('superseded');
        await expect(confirmed.background).resolves.toBe('superseded');
        await vi.advanceTimersByTimeAsync(5_000);
        expect(port.observations.map((obs) => obs.state)).toEqual(['QUEUED', 'FINISHED']);
      });

      it('held progress goes out by its deadline; a newer state replaces it and keeps the deadline', async () => {
        const o = held();
        const port = new FakeCascadePort();
        const preparing = await dispatchRunEvent(mine('PREPARING', 3), port, o);
        await vi.advanceTimersByTimeAsync(600);
        const confirmed = await dispatchRunEvent(mine('CONFIRMED', 6), port, o);
        await expect(preparing.background).resolves.toBe('superseded');
        await vi.advanceTimersByTimeAsync(399);
        expect(port.calls).toHaveLength(0);
        await vi.advanceTimersByTimeAsync(1);
        await expect(confirmed.background).resolves.toBe('delivered');
        expect(port.observations.map((obs) => [obs.state, obs.stateVersion])).toEqual([['CONFIRMED', 6]]);
      });

      it('an older delivery neither replaces newer held progress nor drops it', async () => {
        const o = held();
        const port = new FakeCascadePort();
        const confirmed = await dispatchRunEvent(mine('CONFIRMED', 6), port, o);
        const preparing = await dispatchRunEvent(mine('PREPARING', 3), port, o);
        const queued = await dispatchRunEvent(mine('QUEUED', 1), port, o);
        await expect(preparing.background).resolves.toBe('superseded');
        await expect(queued.background).resolves.toBe('delivered');
        await vi.advanceTimersByTimeAsync(1_000);
        await expect(confirmed.background).resolves.toBe('delivered');
        expect(port.observations.map((obs) => obs.state)).toEqual(['QUEUED', 'CONFIRMED']);
      });

      it('flush sends what is held at once (the receiver is closing)', async () => {
        const o = held();
        const port = new FakeCascadePort();
        const other = { ...mine('PREPARING', 3), runId: 'run-2' };
        const results = [
          await dispatchRunEvent(mine('PREPARING', 3), port, o),
          await dispatchRunEvent(other, port, o),
        ];
        o.progressHold.flush();
        await expect(Promise.all(results.map(async (r) => r.background))).resolves.toEqual([
          'delivered',
          'delivered',
        ]);
        expect(port.observations.map((obs) => obs.runId)).toEqual(['run-1', 'run-2']);
      });
    });

    it('an end of an own run, the progress of other runs, and any run without a known identity wait for the signal', async () => {
      const port = new FakeCascadePort();
      const cases = [
        [event({ state: 'FINISHED', triggeredBy: 'api::cascade-key' }), own],
        [event({ state: 'FAILED', triggeredBy: 'api::cascade-key' }), own],
        [event({ state: 'QUEUED', triggeredBy: 'jane@example.com' }), own],
        [event({ state: 'QUEUED', triggeredBy: 'api::cascade-key' }), options],
      ] as const;
      for (const [e, o] of cases) {
        const result = await dispatchRunEvent(e, port, o);
        expect(result.action).toBe('signalled');
        expect(result.background).toBeUndefined();
      }
    });
  });

  it('forwards a redelivery again, unchanged: the coordinator dedupes, not the receiver', async () => {
    const port = new FakeCascadePort();
    const first = await dispatchRunEvent(event(), port, options);
    const again = await dispatchRunEvent(event(), port, options);
    expect([first.action, again.action]).toEqual(['signalled', 'signalled']);
    expect(port.calls).toHaveLength(2);
    expect(port.calls[1]).toEqual(port.calls[0]);
    expect(port.calls[0]).toEqual(signalOf(toObservation(event())));
  });

  it('forwards shuffled deliveries of one run in the order they came', async () => {
    const port = new FakeCascadePort();
    for (const [state, stateVersion] of [
      ['FINISHED', 6],
      ['QUEUED', 1],
      ['PREPARING', 2],
    ] as const)
      await dispatchRunEvent(event({ state, stateVersion }), port, options);
    expect(port.observations.map((o) => o.stateVersion)).toEqual([6, 1, 2]);
  });

  it.each(['QUEUED', 'UNCONFIRMED', 'FINISHED', 'FAILED', 'STOPPED', 'CANCELED', 'DISCARDED', 'SKIPPED'])(
    'signals a TRACKED run %s',
    async (state) => {
      const port = new FakeCascadePort();
      const result = await dispatchRunEvent(event({ state }), port, options);
      expect(result).toMatchObject({ action: 'signalled', workflowId: TEST_ESTATE_ID });
      expect(port.observations).toMatchObject([{ runId: 'run-1', state }]);
    },
  );

  it.each([
    ['PLANNING', 'TRACKED'],
    ['INITIALIZING', 'TRACKED'],
    ['FINISHED', 'PROPOSED'],
    ['QUEUED', 'PROPOSED'],
  ])('ignores a %s %s run without calling the port', async (state, runType) => {
    const port = new FakeCascadePort();
    const result = await dispatchRunEvent(event({ state, runType }), port, options);
    expect(result.action).toBe('ignored');
    expect(result.workflowId).toBeUndefined();
    expect(port.calls).toEqual([]);
  });

  it('uses the configured estate id, task queue and options', async () => {
    const port = new FakeCascadePort();
    const other: DispatchOptions = {
      estateId: 'estate-eu',
      taskQueue: 'eu-queue',
      cascadeOptions: { ...cascadeOptions, runType: 'PROPOSED', driftRuns: 'ignore' },
    };
    const result = await dispatchRunEvent(event({ runType: 'PROPOSED', driftDetection: true }), port, other);
    expect(result).toMatchObject({ action: 'signalled', workflowId: 'estate-eu' });
    expect(port.calls).toEqual([
      signalOf(toObservation(event({ runType: 'PROPOSED', driftDetection: true })), other),
    ]);
    expect(port.observations[0]?.driftDetection).toBe(true);
  });

  it('passes a TemporalUnavailableError on (the server answers 503)', async () => {
    const port = new FakeCascadePort();
    port.unavailable = true;
    await expect(dispatchRunEvent(event(), port, options)).rejects.toBeInstanceOf(TemporalUnavailableError);
    expect(port.calls).toEqual([]);
  });
});
