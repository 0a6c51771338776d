import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { startSimulator, type Simulator } from 'spacelift-simulator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PARENT_WORKFLOW, cascadeWorkflowId } from '../../src/constants.js';
import { TemporalCascadeGateway } from '../../src/temporal/cascade-gateway.js';
import { buildWebhookServer, listenWebhookServer } from '../../src/webhook/server.js';
import { cascadeOptions } from './webhook-examples.js';

const TASK_QUEUE = `webhook-e2e-${randomUUID()}`;
const SECRET = 'e2e-webhook-secret';

let connection: Connection;
let client: Client;
let receiver: FastifyInstance;
let simulator: Simulator;
const workflowIds: string[] = [];

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  receiver = buildWebhookServer({
    gateway: new TemporalCascadeGateway({ connection }),
    secrets: [SECRET],
    ownIdentity: 'api::cascade-key',
    taskQueue: TASK_QUEUE,
    cascadeOptions,
    logger: pino({ level: 'silent' }),
  });
  const url = await listenWebhookServer(receiver, { port: 0, host: '127.0.0.1' });
  simulator = await startSimulator({
    stateDurationMs: 0,
    seed: {
      stacks: [
        { id: 'network', name: 'Network' },
        { id: 'database', name: 'Database', labels: ['dependsOn:network'] },
      ],
    },
    webhooks: { urls: [`${url}/webhook`], secret: SECRET },
  });
});

afterAll(async () => {
  await simulator?.close();
  await receiver?.close();
  for (const id of workflowIds) {
    await client.workflow
      .getHandle(id)
      .terminate('test done')
      .catch(() => undefined);
  }
  await connection?.close();
});

describe('simulator -> signed webhook -> receiver -> Temporal', () => {
  it('a finished tracked run in the simulator starts its cascade', async () => {
    const run = simulator.store.triggerRun('network', { type: 'TRACKED', triggeredBy: 'jane@example.com' });
    const workflowId = cascadeWorkflowId(run.id);
    workflowIds.push(workflowId);

    // The run moves on the simulator's timers; wait for its deliveries, then for the workflow.
    let description:
      Awaited<ReturnType<ReturnType<typeof client.workflow.getHandle>['describe']>> | undefined;
    for (let i = 0; i < 200 && !description; i++) {
      await simulator.webhooksIdle();
      description = await client.workflow
        .getHandle(workflowId)
        .describe()
        .catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return undefined;
          throw err;
        });
      if (!description) await new Promise((r) => setTimeout(r, 50));
    }
    expect(description?.type).toBe(PARENT_WORKFLOW);
    expect(description?.taskQueue).toBe(TASK_QUEUE);
    expect(description?.memo).toMatchObject({ rootStackId: 'network', rootRunId: run.id });
    expect(simulator.store.findRun(run.id)?.state).toBe('FINISHED');

    // Every state change was delivered and accepted; only FINISHED started something.
    const metrics = await receiver.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('cascade_webhooks_total{outcome="accepted",action="started"} 1');
    expect(metrics.body).toMatch(/cascade_webhooks_total\{outcome="accepted",action="ignored"\} [1-9]/);
    expect(metrics.body).not.toContain('outcome="invalid_signature"');
  });
});
