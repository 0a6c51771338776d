import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Spacelift, apiKeyIdentity } from 'spacelift-client';
import { startSimulator, type Simulator } from 'spacelift-simulator';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { PARENT_WORKFLOW } from '../../src/constants.js';
import { TemporalCascadeGateway } from '../../src/temporal/cascade-gateway.js';
import { Coordinator } from '../../src/temporal/coordinator.js';
import { buildWebhookServer, listenWebhookServer } from '../../src/webhook/server.js';
import { WebhookMetrics } from '../../src/webhook/webhook-metrics.js';
import { CascadeHarness } from '../workflows/cascade-harness.js';
import { eventually } from '../workflows/estate-rig.js';
import { cascadeOptions } from './webhook-examples.js';

const SECRET = 'e2e-webhook-secret';
const ESTATE_ID = `webhook-e2e-estate-${randomUUID()}`;

let harness: CascadeHarness;
let connection: Connection;
let client: Client;
let receiver: FastifyInstance;
/** The receiver's counters, as the admin listener serves them on /metrics. */
const receiverMetrics = new WebhookMetrics();
let simulator: Simulator;

beforeAll(async () => {
  harness = await CascadeHarness.create(`webhook-e2e-${randomUUID()}`);
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  receiver = buildWebhookServer({
    gateway: new TemporalCascadeGateway({ connection }),
    secrets: [SECRET],
    estateId: ESTATE_ID,
    taskQueue: harness.taskQueue,
    cascadeOptions,
    logger: pino({ level: 'silent' }),
    metrics: receiverMetrics,
  });
  const url = await listenWebhookServer(receiver, { port: 0, host: '127.0.0.1' });
  simulator = await startSimulator({
    stateDurationMs: 10,
    seed: {
      stacks: [
        { id: 'network', name: 'Network' },
        { id: 'database', name: 'Database', labels: ['dependsOn:network'] },
        { id: 'app', name: 'App', labels: ['dependsOn:database'] },
      ],
    },
    webhooks: { urls: [`${url}/webhook`], secret: SECRET },
  });
});

// Also when the test failed midway: no coordinator of this file outlives its test.
afterEach(async () => {
  await client.workflow
    .getHandle(ESTATE_ID)
    .terminate('test over')
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
});

afterAll(async () => {
  await simulator?.close();
  await receiver?.close();
  await connection?.close();
  await harness?.close();
});

describe('simulator -> signed webhook -> receiver -> coordinator -> worker -> simulator', () => {
  it('a finished tracked run in the simulator cascades to its dependents', async () => {
    const identity = apiKeyIdentity(simulator.apiKey.id);
    const api = new Spacelift({
      baseUrl: simulator.baseUrl,
      keyId: simulator.apiKey.id,
      keySecret: simulator.apiKey.secret,
    });
    const coordinator = new Coordinator(client, {
      estateId: ESTATE_ID,
      taskQueue: harness.taskQueue,
      options: cascadeOptions,
    });

    const view = await harness.withWorker(
      api,
      async () => {
        // Somebody's push; the simulator moves it on its timers and delivers every state change.
        const push = simulator.store.triggerRun('network', {
          type: 'TRACKED',
          triggeredBy: 'jane@example.com',
        });
        const settled = await eventually(async () => {
          const v = await coordinator.cascade(push.id);
          return v && v.phase !== 'running' ? v : undefined;
        });
        await simulator.webhooksIdle();
        return { push, settled, database: await coordinator.stack('database') };
      },
      identity,
    );

    // The first delivery started the coordinator, on the receiver's estate id and task queue.
    const description = await client.workflow.getHandle(ESTATE_ID).describe();
    expect(description.type).toBe(PARENT_WORKFLOW);
    expect(description.taskQueue).toBe(harness.taskQueue);

    const { push, settled } = view;
    expect(simulator.store.findRun(push.id)?.state).toBe('FINISHED');
    expect(settled.phase).toBe('completed');
    expect(settled.changes).toMatchObject([{ stackId: 'network', runId: push.id }]);
    expect(Object.keys(settled.stacks).sort()).toEqual(['app', 'database']);
    for (const id of ['database', 'app']) {
      const runs = simulator.store.stackRuns(id)!;
      expect(runs, id).toHaveLength(1);
      expect(runs[0]).toMatchObject({ state: 'FINISHED', triggeredBy: identity, type: 'TRACKED' });
      expect(settled.stacks[id]).toMatchObject({ state: 'finished', runId: runs[0]!.id });
    }
    expect(view.database).toMatchObject({
      state: 'finished',
      runId: simulator.store.stackRuns('database')![0]!.id,
    });
    expect(simulator.store.stackRuns('network')).toHaveLength(1);

    // Every state change was delivered and accepted: significant ones signalled, the rest ignored.
    const metrics = await receiverMetrics.registry.metrics();
    const count = (action: string) =>
      Number(
        new RegExp(`cascade_webhooks_total\\{outcome="accepted",action="${action}"\\} (\\d+)`).exec(
          metrics,
        )?.[1] ?? 0,
      );
    // At least QUEUED and FINISHED of each of the three runs.
    expect(count('signalled')).toBeGreaterThanOrEqual(6);
    expect(count('ignored')).toBeGreaterThan(0);
    expect(metrics).not.toContain('outcome="invalid_signature"');
    expect(metrics).not.toContain('outcome="temporal_unavailable"');
  });
});
