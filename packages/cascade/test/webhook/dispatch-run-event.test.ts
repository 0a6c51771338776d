import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../src/cascade-contract.js';
import {
  PARENT_WORKFLOW,
  RUN_STATE_SIGNAL,
  cascadeWorkflowId,
  runFollowerWorkflowId,
} from '../../src/constants.js';
import {
  classifyRunEvent,
  dispatchRunEvent,
  type DispatchOptions,
} from '../../src/webhook/dispatch-run-event.js';
import { parseWebhookPayload } from '../../src/webhook/run-event.js';
import { FakeCascadePort } from './fake-cascade-port.js';
import { cascadeOptions, exampleBody, lifecycleLines } from './webhook-examples.js';

const OWN = 'api::01CASCADEKEY';
const options: DispatchOptions = { ownIdentity: OWN, taskQueue: 'test-queue', cascadeOptions };

const event = (overrides: Partial<RunEvent> = {}): RunEvent => ({
  runId: 'run-1',
  stackId: 'network',
  state: 'FINISHED',
  stateVersion: 6,
  runType: 'TRACKED',
  branch: 'main',
  commitSha: 'abc',
  timestamp: 1700000000,
  spaceId: null,
  stackName: 'Network',
  stackLabels: [],
  account: 'acme',
  triggeredBy: 'jane@example.com',
  ...overrides,
});

const eventOf = (text: string): RunEvent => {
  const r = parseWebhookPayload(JSON.parse(text));
  if (!r.ok || r.value.kind !== 'run') throw new Error('not a run event');
  return r.value.event;
};

describe('classifyRunEvent', () => {
  it.each([
    ['FINISHED', 'TRACKED', 'start-candidate'],
    ['FINISHED', 'PROPOSED', 'route-candidate'],
    ['FAILED', 'TRACKED', 'route-candidate'],
    ['STOPPED', 'TRACKED', 'route-candidate'],
    ['CANCELED', 'TRACKED', 'route-candidate'],
    ['DISCARDED', 'TRACKED', 'route-candidate'],
    ['SKIPPED', 'TRACKED', 'route-candidate'],
    ['APPLYING', 'TRACKED', 'ignore'],
    ['QUEUED', 'TRACKED', 'ignore'],
    ['UNCONFIRMED', 'TRACKED', 'ignore'],
    ['SOMETHING_NEW', 'TRACKED', 'ignore'],
  ])('%s %s -> %s', (state, runType, expected) => {
    expect(classifyRunEvent(event({ state, runType }))).toBe(expected);
  });
});

describe('dispatchRunEvent on the example bodies', () => {
  it('starts a cascade for run-finished-tracked.json with the agreed id, type, queue, input and memo', async () => {
    const port = new FakeCascadePort();
    const result = await dispatchRunEvent(eventOf(exampleBody('run-finished-tracked.json')), port, options);
    const id = cascadeWorkflowId('01EF9PFPNFFM2MQXTJKHK1B869');
    expect(result).toMatchObject({ action: 'started', workflowId: id });
    expect(
      port.calls.map((c) => (c.op === 'signal' ? c.workflowId : `start ${c.request.workflowId}`)),
    ).toEqual([runFollowerWorkflowId('01EF9PFPNFFM2MQXTJKHK1B869'), `start ${id}`]);
    expect(port.starts).toEqual([
      {
        workflowType: PARENT_WORKFLOW,
        workflowId: id,
        taskQueue: 'test-queue',
        args: [
          {
            rootStackId: 'spacelift-demo',
            rootRunId: '01EF9PFPNFFM2MQXTJKHK1B869',
            rootFinished: true,
            options: cascadeOptions,
          },
        ],
        memo: {
          rootStackId: 'spacelift-demo',
          rootRunId: '01EF9PFPNFFM2MQXTJKHK1B869',
          startedBy: 'webhook',
        },
      },
    ]);
  });

  it('starts a cascade for the notification-policy payload', async () => {
    const port = new FakeCascadePort();
    const result = await dispatchRunEvent(
      eventOf(exampleBody('notification-policy-run-updated.json')),
      port,
      options,
    );
    expect(result).toMatchObject({
      action: 'started',
      workflowId: cascadeWorkflowId('01HZX4A1B2C3D4E5F6G7H8J9KA'),
    });
    expect(port.starts).toHaveLength(1);
  });

  it.each(['run-failed-tracked.json', 'run-finished-proposed.json'])(
    'ignores %s when no workflow waits for it, starting nothing',
    async (name) => {
      const port = new FakeCascadePort();
      const result = await dispatchRunEvent(eventOf(exampleBody(name)), port, options);
      expect(result.action).toBe('ignored');
      expect(port.starts).toEqual([]);
      // Terminal: it was offered to a follower first (no cascade waits for somebody else's run).
      expect(port.calls.map((c) => c.op)).toEqual(['signal']);
    },
  );

  it('ignores every non-terminal lifecycle line without calling Temporal, and starts on FINISHED', async () => {
    const port = new FakeCascadePort();
    const actions: string[] = [];
    for (const line of lifecycleLines())
      actions.push((await dispatchRunEvent(eventOf(line), port, options)).action);
    expect(actions).toEqual(['ignored', 'ignored', 'ignored', 'ignored', 'ignored', 'started']);
    expect(port.starts.map((s) => s.workflowId)).toEqual([cascadeWorkflowId('01HZX3K9Q7V4M2N8B6C5D1E0FA')]);
    expect(port.calls).toHaveLength(2);
  });
});

describe('dispatchRunEvent routing', () => {
  it('signals the run follower first, with a RunStateSignal', async () => {
    const port = new FakeCascadePort([runFollowerWorkflowId('run-1')]);
    const result = await dispatchRunEvent(event({ state: 'FAILED', triggeredBy: OWN }), port, options);
    expect(result).toMatchObject({ action: 'routed', workflowId: runFollowerWorkflowId('run-1') });
    expect(port.calls).toEqual([
      {
        op: 'signal',
        workflowId: runFollowerWorkflowId('run-1'),
        signalName: RUN_STATE_SIGNAL,
        payload: {
          runId: 'run-1',
          stackId: 'network',
          state: 'FAILED',
          stateVersion: 6,
          timestamp: 1700000000,
        },
      },
    ]);
  });

  it('routes a FINISHED TRACKED run of a cascade to its follower instead of starting one', async () => {
    const port = new FakeCascadePort([runFollowerWorkflowId('run-1')]);
    const result = await dispatchRunEvent(event({ triggeredBy: OWN }), port, options);
    expect(result.action).toBe('routed');
    expect(port.starts).toEqual([]);
  });

  it('answers duplicate for a FINISHED TRACKED redelivery whose cascade exists', async () => {
    const port = new FakeCascadePort([cascadeWorkflowId('run-1')]);
    const result = await dispatchRunEvent(event(), port, options);
    expect(result).toMatchObject({ action: 'duplicate', workflowId: cascadeWorkflowId('run-1') });
    // The refused start is the duplicate check: one signal attempt, one start, nothing new.
    expect(port.calls.map((c) => c.op)).toEqual(['signal', 'start']);
    expect([...port.running]).toEqual([cascadeWorkflowId('run-1')]);
  });

  it('answers duplicate for a redelivered FINISHED run the CLI triggered, signalling its cascade', async () => {
    const port = new FakeCascadePort([cascadeWorkflowId('run-1')]);
    const result = await dispatchRunEvent(event({ triggeredBy: OWN }), port, options);
    expect(result).toMatchObject({ action: 'duplicate', workflowId: cascadeWorkflowId('run-1') });
    expect(port.starts).toEqual([]);
  });

  it('routes a terminal root run to the cascade the CLI started and that waits for it', async () => {
    const port = new FakeCascadePort([cascadeWorkflowId('run-1')]);
    const result = await dispatchRunEvent(event({ state: 'FAILED', triggeredBy: OWN }), port, options);
    expect(result).toMatchObject({ action: 'routed', workflowId: cascadeWorkflowId('run-1') });
  });

  it("does not offer somebody else's run to a cascade rooted at it (none waits for it)", async () => {
    const port = new FakeCascadePort([cascadeWorkflowId('run-1')]);
    const result = await dispatchRunEvent(event({ state: 'FAILED' }), port, options);
    expect(result.action).toBe('ignored');
    expect(port.calls.map((c) => (c.op === 'signal' ? c.workflowId : 'start'))).toEqual([
      runFollowerWorkflowId('run-1'),
    ]);
  });

  it('answers duplicate when the start loses a race (workflow already started)', async () => {
    const port = new FakeCascadePort();
    // Started but closed: signals find nothing, the start is refused by REJECT_DUPLICATE.
    port.started.add(cascadeWorkflowId('run-1'));
    const result = await dispatchRunEvent(event(), port, options);
    expect(result).toMatchObject({ action: 'duplicate', workflowId: cascadeWorkflowId('run-1') });
    expect(port.starts).toHaveLength(1);
  });

  it('answers routed, starting nothing, for a run the cascade triggered whose follower is not up yet', async () => {
    const port = new FakeCascadePort();
    const result = await dispatchRunEvent(event({ triggeredBy: OWN }), port, options);
    expect(result.action).toBe('routed');
    expect(result.reason).toMatch(/polls/);
    expect(port.starts).toEqual([]);
  });

  it('starts runs of any trigger when the identity check is disabled', async () => {
    const port = new FakeCascadePort();
    const result = await dispatchRunEvent(event({ triggeredBy: OWN }), port, {
      ...options,
      ownIdentity: null,
    });
    expect(result.action).toBe('started');
  });

  it('ignores a non-terminal state without calling the port', async () => {
    const port = new FakeCascadePort();
    expect((await dispatchRunEvent(event({ state: 'APPLYING' }), port, options)).action).toBe('ignored');
    expect(port.calls).toEqual([]);
  });
});
