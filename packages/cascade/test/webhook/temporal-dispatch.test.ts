import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { runStateWebhookPayload } from 'spacelift-simulator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunObservation } from '../../src/cascade-contract.js';
import { PARENT_WORKFLOW } from '../../src/constants.js';
import { runStateSignal } from '../../src/coordinator-contract.js';
import { TemporalCascadeGateway } from '../../src/temporal/cascade-gateway.js';
import { Coordinator } from '../../src/temporal/coordinator.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { buildWebhookServer, listenWebhookServer } from '../../src/webhook/server.js';
import { WebhookMetrics } from '../../src/webhook/webhook-metrics.js';
import { CascadeHarness } from '../workflows/cascade-harness.js';
import { eventually } from '../workflows/estate-rig.js';
import { ScriptedSpacelift } from '../workflows/scripted-spacelift.js';
import {
  TEST_SECRET,
  cascadeOptions,
  exampleBody,
  lifecycleLines,
  signedHeaders,
} from './webhook-examples.js';

const RUN_STATE_SIGNAL = runStateSignal.name;

// Against the real Temporal dev server. Each test has an estate (coordinator) of its own and
// terminates it at the end: workers of other tests share the server.
const IDLE_QUEUE = `webhook-idle-${randomUUID()}`; // no worker polls it: the coordinator just waits
const IDENTITY = 'api::webhook-e2e';

let harness: CascadeHarness;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  harness = await CascadeHarness.create(`webhook-worker-${randomUUID()}`);
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
  await harness?.close();
});

interface Receiver {
  estateId: string;
  app: FastifyInstance;
  /** Its counters, as the admin listener serves them on /metrics. */
  metrics: WebhookMetrics;
  url: string;
  deliver: (body: string) => Promise<{ status: number; json: { action?: string; workflowId?: string } }>;
}

/**
 * Runs `fn` with a receiver for a fresh estate on `taskQueue`; afterwards closes the receiver
 * and terminates the estate's coordinator, if a delivery started it.
 */
async function withReceiver<T>(taskQueue: string, fn: (receiver: Receiver) => Promise<T>): Promise<T> {
  const estateId = `webhook-estate-${randomUUID()}`;
  const metrics = new WebhookMetrics();
  const app = buildWebhookServer({
    gateway: new TemporalCascadeGateway({ connection }),
    secrets: [TEST_SECRET],
    estateId,
    taskQueue,
    cascadeOptions,
    logger: pino({ level: 'silent' }),
    metrics,
  });
  const url = await listenWebhookServer(app, { port: 0, host: '127.0.0.1' });
  const deliver = async (body: string) => {
    const res = await fetch(`${url}/webhook`, { method: 'POST', body, headers: signedHeaders(body) });
    return { status: res.status, json: (await res.json()) as { action?: string; workflowId?: string } };
  };
  try {
    return await fn({ estateId, app, metrics, url, deliver });
  } finally {
    await app.close();
    await terminate(estateId);
  }
}

async function terminate(workflowId: string): Promise<void> {
  try {
    await client.workflow.getHandle(workflowId).terminate('test over');
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

const decode = (data: Uint8Array | null | undefined): unknown =>
  JSON.parse(Buffer.from(data!).toString('utf8'));

/** The coordinator's start input and every run observation signalled to it, in order. */
async function coordinatorHistory(estateId: string): Promise<{ input: unknown; signals: RunObservation[] }> {
  const history = await client.workflow.getHandle(estateId).fetchHistory();
  const events = history.events ?? [];
  const start = events[0]?.workflowExecutionStartedEventAttributes;
  const signals = events.flatMap((e) => {
    const s = e.workflowExecutionSignaledEventAttributes;
    if (!s) return [];
    expect(s.signalName).toBe(RUN_STATE_SIGNAL);
    // One signal carries the deliveries that came together.
    return (s.input?.payloads ?? []).map((p) => decode(p.data) as RunObservation);
  });
  return { input: decode(start?.input?.payloads?.[0]?.data), signals };
}

/** An example body with its run id made unique. */
function uniqueBody(name: string): { body: string; runId: string } {
  const body = JSON.parse(exampleBody(name)) as {
    run?: { id: string };
    run_updated?: { run: { id: string } };
  };
  const runId = `01TEST-${randomUUID()}`;
  if (body.run_updated) body.run_updated.run.id = runId;
  else if (body.run) body.run.id = runId;
  return { body: JSON.stringify(body), runId };
}

describe('webhook -> real Temporal: deliveries reach the estate coordinator', () => {
  it('ten concurrent copies of one delivery start one coordinator and reach it as ten signals', async () => {
    await withReceiver(IDLE_QUEUE, async ({ estateId, deliver }) => {
      const { body, runId } = uniqueBody('run-finished-tracked.json');
      const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(body)));
      expect(answers).toEqual(
        Array(10).fill({ status: 202, json: { action: 'signalled', workflowId: estateId } }),
      );

      const description = await client.workflow.getHandle(estateId).describe();
      expect(description.type).toBe(PARENT_WORKFLOW);
      expect(description.taskQueue).toBe(IDLE_QUEUE);
      expect(description.status.name).toBe('RUNNING');

      const { input, signals } = await coordinatorHistory(estateId);
      expect(input).toEqual({ options: cascadeOptions });
      expect(signals).toEqual(
        Array(10).fill({
          stackId: 'spacelift-demo',
          runId,
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
      );

      // Visibility is eventually consistent: wait until the execution shows up, then count them.
      const query = `WorkflowId = '${estateId}'`;
      const executions = await eventually(async () => {
        const ids: string[] = [];
        for await (const wf of client.workflow.list({ query })) ids.push(wf.runId);
        return ids.length > 0 ? ids : undefined;
      });
      expect(executions).toEqual([description.runId]);
    });
  });

  it('ignored deliveries start nothing; significant ones arrive in order with their times', async () => {
    await withReceiver(IDLE_QUEUE, async ({ estateId, deliver }) => {
      const ignored = [
        uniqueBody('run-finished-proposed.json').body,
        exampleBody('internal-error.json'),
        lifecycleLines()[3]!, // PLANNING
      ];
      for (const body of ignored) {
        expect(await deliver(body)).toEqual({ status: 202, json: { action: 'ignored' } });
      }
      await expect(client.workflow.getHandle(estateId).describe()).rejects.toBeInstanceOf(
        WorkflowNotFoundError,
      );

      const runId = `01TEST-${randomUUID()}`;
      const actions: Array<string | undefined> = [];
      for (const line of lifecycleLines()) {
        const body = JSON.parse(line) as { run: { id: string } };
        body.run.id = runId;
        actions.push((await deliver(JSON.stringify(body))).json.action);
      }
      expect(actions).toEqual(['signalled', 'signalled', 'ignored', 'ignored', 'ignored', 'signalled']);
      const policy = uniqueBody('notification-policy-run-updated.json');
      expect((await deliver(policy.body)).json).toEqual({ action: 'signalled', workflowId: estateId });

      const { signals } = await coordinatorHistory(estateId);
      expect(signals.map((s) => [s.runId, s.state, s.stateVersion, s.at, s.createdAt])).toEqual([
        [runId, 'QUEUED', 1, 1700000000_999, 1596979665],
        [runId, 'PREPARING', 2, 1700000003_999, 1596979665],
        [runId, 'FINISHED', 6, 1700000090_999, 1596979665],
        [policy.runId, 'FINISHED', null, 1700000095_000, 1700000005],
      ]);
      expect(signals.at(-1)?.stackLabels).toEqual(['team:platform']);
    });
  });

  it('GET /readyz is 200 while Temporal answers', async () => {
    await withReceiver(IDLE_QUEUE, async ({ url }) => {
      const res = await fetch(`${url}/readyz`);
      expect(res.status).toBe(200);
    });
  });
});

describe('webhook -> real Temporal -> worker: a cascade happens end to end', () => {
  /**
   * network -> database -> app on MockSpacelift; every run state change is delivered to the
   * receiver as Spacelift's signed webhook, `copies` times each, one after another. Polls
   * and reconciliation passes are far away: only the webhooks tell the coordinator anything.
   */
  async function cascadeThroughWebhooks(copies: number) {
    const spacelift = new ScriptedSpacelift(
      [{ id: 'network' }, { id: 'database', dependsOn: ['network'] }, { id: 'app', dependsOn: ['database'] }],
      { autoFinish: true, identity: IDENTITY },
    );
    return withReceiver(harness.taskQueue, async ({ estateId, metrics: receiverMetrics, deliver }) => {
      const answers: Array<{ status: number; action?: string }> = [];
      let deliveries = Promise.resolve();
      spacelift.mock.onRunStateChange((change) => {
        const body = JSON.stringify(
          runStateWebhookPayload(spacelift.mock.store.account, 'https://acme.app.spacelift.io', change),
        );
        for (let i = 0; i < copies; i++) {
          deliveries = deliveries.then(async () => {
            const answer = await deliver(body);
            answers.push({ status: answer.status, action: answer.json.action });
          });
        }
      });
      const coordinator = new Coordinator(client, {
        estateId,
        taskQueue: harness.taskQueue,
        options: cascadeOptions,
      });

      const view = await harness.withWorker(
        spacelift.api,
        async () => {
          // A push to network (somebody else's run); its webhooks start the coordinator.
          const push = spacelift.mock.store.triggerRun('network', {
            type: 'TRACKED',
            triggeredBy: 'alice@example.com',
          });
          const settled = await eventually(async () => {
            const v = await coordinator.cascade(push.id);
            return v && v.phase !== 'running' ? v : undefined;
          });
          await deliveries;
          return { push, settled, app: await coordinator.stack('app') };
        },
        IDENTITY,
      );

      expect(answers.length).toBeGreaterThan(0);
      expect(answers.every((a) => a.status === 202)).toBe(true);
      const metrics = await receiverMetrics.registry.metrics();
      return { ...view, spacelift, answers, metrics };
    });
  }

  it('a finished push delivered as webhooks runs each dependent once, in order', async () => {
    const { push, settled, app, spacelift, answers, metrics } = await cascadeThroughWebhooks(1);
    expect(settled.phase).toBe('completed');
    expect(settled.id).toBe(`cascade-${push.id}`);
    expect(settled.changes).toMatchObject([{ stackId: 'network', runId: push.id }]);
    expect(Object.keys(settled.stacks).sort()).toEqual(['app', 'database']);
    expect(spacelift.triggeredStacks()).toEqual(['network', 'database', 'app']);
    for (const id of ['database', 'app']) {
      const runs = spacelift.runsOf(id);
      expect(runs, id).toHaveLength(1);
      expect(runs[0]).toMatchObject({ triggeredBy: IDENTITY, state: 'FINISHED' });
      expect(settled.stacks[id]).toMatchObject({ state: 'finished', runId: runs[0]!.id });
    }
    // app ran only after database ended.
    expect(spacelift.indexOf('triggered', 'app')).toBeGreaterThan(spacelift.indexOf('ended', 'database'));
    expect(app).toMatchObject({ state: 'finished', runId: spacelift.runsOf('app')[0]!.id });
    // Every run's significant states were signalled, the ones in between ignored.
    const signalled = answers.filter((a) => a.action === 'signalled').length;
    expect(signalled).toBeGreaterThanOrEqual(3 * 2); // at least QUEUED and FINISHED of 3 runs
    expect(metrics).toContain(`cascade_webhooks_total{outcome="accepted",action="signalled"} ${signalled}`);
    expect(answers.some((a) => a.action === 'ignored')).toBe(true);
  });

  it('every delivery arriving twice still runs each dependent exactly once', async () => {
    const { settled, spacelift, answers } = await cascadeThroughWebhooks(2);
    expect(settled.phase).toBe('completed');
    expect(spacelift.runsOf('database')).toHaveLength(1);
    expect(spacelift.runsOf('app')).toHaveLength(1);
    expect(spacelift.triggeredStacks()).toEqual(['network', 'database', 'app']);
    // The receiver forwarded both copies of each significant state.
    const signalled = answers.filter((a) => a.action === 'signalled').length;
    expect(signalled % 2).toBe(0);
    expect(signalled).toBeGreaterThanOrEqual(2 * 3 * 2);
  });
});

describe('Temporal unreachable', () => {
  it('answers 503 with Retry-After to webhooks and to /readyz', async () => {
    // A port nothing listens on.
    const { gateway, close } = TemporalCascadeGateway.lazy({
      address: `127.0.0.1:${await freePort()}`,
      rpcTimeoutMs: 500,
      readyTimeoutMs: 500,
    });
    const down = buildWebhookServer({
      gateway,
      secrets: [TEST_SECRET],
      estateId: `webhook-estate-${randomUUID()}`,
      taskQueue: IDLE_QUEUE,
      cascadeOptions,
      retryAfterSeconds: 3,
      logger: pino({ level: 'silent' }),
    });
    try {
      const body = exampleBody('run-finished-tracked.json');
      const res = await down.inject({
        method: 'POST',
        url: '/webhook',
        payload: body,
        headers: signedHeaders(body),
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('3');
      expect(res.json()).toMatchObject({ error: 'temporal_unavailable' });
      const ready = await down.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      // An ignored delivery needs no Temporal: still 202.
      const proposed = exampleBody('run-finished-proposed.json');
      const ignored = await down.inject({
        method: 'POST',
        url: '/webhook',
        payload: proposed,
        headers: signedHeaders(proposed),
      });
      expect(ignored.statusCode).toBe(202);
    } finally {
      await down.close();
      await close();
    }
  });
});
