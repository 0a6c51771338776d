import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  PARENT_WORKFLOW,
  RUN_STATE_SIGNAL,
  cascadeWorkflowId,
  runFollowerWorkflowId,
} from '../../src/constants.js';
import { TemporalCascadeGateway } from '../../src/temporal/cascade-gateway.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { buildWebhookServer, listenWebhookServer } from '../../src/webhook/server.js';
import {
  TEST_SECRET,
  cascadeOptions,
  exampleBody,
  lifecycleLines,
  signedHeaders,
} from './webhook-examples.js';

// Against the real Temporal dev server; no worker listens on this queue, so started workflows just wait.
const TASK_QUEUE = `webhook-test-${randomUUID()}`;
const OWN = 'api::01CASCADEKEY';

let connection: Connection;
let client: Client;
let app: FastifyInstance;
let url: string;
const started: string[] = [];

interface ExampleBody {
  run?: { id: string; triggeredBy?: string };
  run_updated?: { run: { id: string } };
}

/** An example body with its run id made unique, so reruns and other files never collide. */
function uniqueBody(
  name: string,
  mutate: (body: ExampleBody) => void = () => {},
): { body: string; runId: string } {
  const body = JSON.parse(exampleBody(name)) as ExampleBody;
  const runId = `01TEST-${randomUUID()}`;
  if (body.run_updated) body.run_updated.run.id = runId;
  else if (body.run) body.run.id = runId;
  mutate(body);
  return { body: JSON.stringify(body), runId };
}

async function deliver(
  body: string,
): Promise<{ status: number; json: { action?: string; workflowId?: string } }> {
  const res = await fetch(`${url}/webhook`, { method: 'POST', body, headers: signedHeaders(body) });
  return { status: res.status, json: (await res.json()) as { action?: string; workflowId?: string } };
}

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  app = buildWebhookServer({
    gateway: new TemporalCascadeGateway({ connection }),
    secrets: [TEST_SECRET],
    ownIdentity: OWN,
    taskQueue: TASK_QUEUE,
    cascadeOptions,
    logger: pino({ level: 'silent' }),
  });
  url = await listenWebhookServer(app, { port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  for (const id of started) {
    await client.workflow
      .getHandle(id)
      .terminate('test done')
      .catch(() => undefined);
  }
  await connection?.close();
});

describe('webhook -> real Temporal', () => {
  it('ten concurrent copies of one delivery start exactly one workflow: 1 started + 9 duplicate', async () => {
    const { body, runId } = uniqueBody('run-finished-tracked.json');
    const workflowId = cascadeWorkflowId(runId);
    started.push(workflowId);
    const answers = await Promise.all(Array.from({ length: 10 }, () => deliver(body)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    const actions = answers.map((a) => a.json.action).sort();
    expect(actions).toEqual(['duplicate', ...Array(8).fill('duplicate'), 'started'].sort());
    expect(new Set(answers.map((a) => a.json.workflowId))).toEqual(new Set([workflowId]));

    const description = await client.workflow.getHandle(workflowId).describe();
    expect(description.type).toBe(PARENT_WORKFLOW);
    expect(description.taskQueue).toBe(TASK_QUEUE);
    expect(description.status.name).toBe('RUNNING');
    expect(description.memo).toEqual({
      rootStackId: 'spacelift-demo',
      rootRunId: runId,
      startedBy: 'webhook',
    });

    // Visibility is eventually consistent: wait until the execution shows up, then count them.
    const query = `WorkflowId = '${workflowId}'`;
    let executions: string[] = [];
    for (let i = 0; i < 100 && executions.length === 0; i++) {
      executions = [];
      for await (const wf of client.workflow.list({ query })) executions.push(wf.runId);
      if (executions.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(executions).toEqual([description.runId]);
  });

  it('starts the cascade with the CascadeInput the workflow expects', async () => {
    const { body, runId } = uniqueBody('notification-policy-run-updated.json');
    started.push(cascadeWorkflowId(runId));
    expect(await deliver(body)).toEqual({
      status: 202,
      json: { action: 'started', workflowId: cascadeWorkflowId(runId) },
    });
    const history = await client.workflow.getHandle(cascadeWorkflowId(runId)).fetchHistory();
    const startEvent = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const input = startEvent?.input?.payloads?.[0]?.data;
    expect(JSON.parse(Buffer.from(input!).toString('utf8'))).toEqual({
      rootStackId: 'network',
      rootRunId: runId,
      rootFinished: true,
      options: cascadeOptions,
    });
  });

  it('gives every example body its action', async () => {
    const actionOf = async (name: string) => {
      const { body, runId } = uniqueBody(name);
      started.push(cascadeWorkflowId(runId));
      return (await deliver(body)).json.action;
    };
    expect(await actionOf('run-finished-tracked.json')).toBe('started');
    expect(await actionOf('notification-policy-run-updated.json')).toBe('started');
    expect(await actionOf('run-failed-tracked.json')).toBe('ignored');
    expect(await actionOf('run-finished-proposed.json')).toBe('ignored');
    expect((await deliver(exampleBody('internal-error.json'))).json.action).toBe('ignored');

    const runId = `01TEST-${randomUUID()}`;
    started.push(cascadeWorkflowId(runId));
    const lifecycle: Array<string | undefined> = [];
    for (const line of lifecycleLines()) {
      const body = JSON.parse(line) as { run: { id: string } };
      body.run.id = runId;
      lifecycle.push((await deliver(JSON.stringify(body))).json.action);
    }
    expect(lifecycle).toEqual(['ignored', 'ignored', 'ignored', 'ignored', 'ignored', 'started']);
  });

  it('routes a terminal state to the running follower of that run, as a signal', async () => {
    const { body, runId } = uniqueBody('run-failed-tracked.json', (b) => (b.run!.triggeredBy = OWN));
    const followerId = runFollowerWorkflowId(runId);
    started.push(followerId);
    await client.workflow.start('stackExecutionWorkflow', { workflowId: followerId, taskQueue: TASK_QUEUE });

    expect(await deliver(body)).toEqual({ status: 202, json: { action: 'routed', workflowId: followerId } });
    const history = await client.workflow.getHandle(followerId).fetchHistory();
    const signals = (history.events ?? []).flatMap((e) =>
      e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes] : [],
    );
    expect(signals.map((s) => s.signalName)).toEqual([RUN_STATE_SIGNAL]);
    const payload = signals[0]?.input?.payloads?.[0]?.data;
    expect(JSON.parse(Buffer.from(payload!).toString('utf8'))).toEqual({
      runId,
      stackId: 'database',
      state: 'FAILED',
      stateVersion: 5,
      timestamp: 1700000030,
    });
  });

  it('answers routed for a FINISHED run the cascade triggered before its follower exists, starting nothing', async () => {
    const { body, runId } = uniqueBody('run-finished-tracked.json', (b) => (b.run!.triggeredBy = OWN));
    expect((await deliver(body)).json.action).toBe('routed');
    await expect(client.workflow.getHandle(cascadeWorkflowId(runId)).describe()).rejects.toThrow(
      /not found/i,
    );
  });

  it('GET /readyz is 200 while Temporal answers', async () => {
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(200);
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
      ownIdentity: OWN,
      taskQueue: TASK_QUEUE,
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
    } finally {
      await down.close();
      await close();
    }
  });
});
