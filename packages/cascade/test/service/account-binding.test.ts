import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { Spacelift, signWebhookBody, SIGNATURE_256_HEADER } from 'spacelift-client';
import { startSimulator, type Simulator } from 'spacelift-simulator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunObservation } from '../../src/cascade-contract.js';
import { accountOf, defaultEstateId, defaultTaskQueue } from '../../src/account.js';
import { startService, type RunningService } from '../../src/cli/start-command.js';
import { coordinatorRef, loadServiceConfig } from '../../src/config/service-config.js';
import { DEFAULT_ESTATE_ID, TASK_QUEUE } from '../../src/constants.js';
import { Coordinator } from '../../src/temporal/coordinator.js';
import { createCascadeWorker } from '../../src/worker/index.js';
import { eventually } from '../workflows/estate-rig.js';
import { exampleBody } from '../webhook/webhook-examples.js';

const SECRET = 'account-binding-secret';
const SEED = {
  stacks: [
    { id: 'network', name: 'Network' },
    { id: 'database', name: 'Database', labels: ['dependsOn:network'] },
  ],
};

let dir: string;
let connection: Connection;
let client: Client;
const simulators: Simulator[] = [];
const services: RunningService[] = [];
const coordinatorIds: string[] = [];

/** One Spacelift account: a simulator of its own, with the same stack ids as every other. */
async function account(): Promise<Simulator> {
  const simulator = await startSimulator({ stateDurationMs: 10, seed: SEED });
  simulators.push(simulator);
  coordinatorIds.push(defaultEstateId(accountOf(simulator.baseUrl)));
  return simulator;
}

const envOf = (simulator: Simulator, extra: Record<string, string> = {}) => ({
  SPACELIFT_BASE_URL: simulator.baseUrl,
  SPACELIFT_KEY_ID: simulator.apiKey.id,
  SPACELIFT_KEY_SECRET: simulator.apiKey.secret,
  SPACELIFT_WEBHOOK_SECRET: SECRET,
  TEMPORAL_ADDRESS: inject('temporalAddress'),
  HOST: '127.0.0.1',
  PORT: '0',
  CASCADE_ADMIN_PORT: '0',
  CASCADE_POLL_INTERVAL_MS: '500',
  LOG_LEVEL: 'silent',
  ...extra,
});

/** `spacelift-cascade start` for this account, in process, on the shared dev server; its stacks deliver to it. */
async function serve(simulator: Simulator, name: string, lines: string[] = []): Promise<RunningService> {
  const config = loadServiceConfig(envOf(simulator, { CASCADE_DATA_DIR: join(dir, name) }), {
    requireWebhookSecret: true,
  });
  const service = await startService(config, { webhook: true, worker: true, demo: false }, (l) =>
    lines.push(l),
  );
  services.push(service);
  for (const stack of SEED.stacks)
    simulator.store.webhooks.create(stack.id, {
      endpoint: service.webhookUrl!,
      secret: SECRET,
      enabled: true,
    });
  return service;
}

const apiOf = (simulator: Simulator) =>
  new Spacelift({
    baseUrl: simulator.baseUrl,
    keyId: simulator.apiKey.id,
    keySecret: simulator.apiKey.secret,
  });
/** What a receiver would have told the coordinator of a push's FINISHED delivery. */
const finished = (push: { id: string; createdAt: number }): RunObservation => ({
  stackId: 'network',
  runId: push.id,
  state: 'FINISHED',
  stateVersion: 99,
  runType: 'TRACKED',
  triggeredBy: null,
  createdAt: Math.floor(push.createdAt),
  at: Date.now(),
  driftDetection: false,
  stackLabels: null,
});
const runsOf = (simulator: Simulator, stack: string) => simulator.store.stackRuns(stack) ?? [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cascade-accounts-'));
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});

afterAll(async () => {
  for (const service of services) await service.stop();
  for (const id of [...coordinatorIds, DEFAULT_ESTATE_ID])
    await client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError) && !/already completed/i.test(String(err))) throw err;
      });
  for (const simulator of simulators) await simulator.close();
  await connection?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('two accounts on one Temporal namespace, default estate ids', () => {
  let a: Simulator;
  let b: Simulator;

  beforeAll(async () => {
    a = await account();
    b = await account();
    await serve(a, 'a');
    await serve(b, 'b');
  });

  it('each account has its own coordinator and task queue, named after it', async () => {
    for (const simulator of [a, b]) {
      const description = await client.workflow
        .getHandle(defaultEstateId(accountOf(simulator.baseUrl)))
        .describe();
      expect(description.status.name).toBe('RUNNING');
      expect(description.taskQueue).toBe(defaultTaskQueue(accountOf(simulator.baseUrl)));
    }
  });

  it("a push in each account cascades in that account only: no run in the other's simulator", async () => {
    a.store.triggerRun('network', { type: 'TRACKED', triggeredBy: null });
    await eventually(() => (runsOf(a, 'database').some((r) => r.state === 'FINISHED') ? true : undefined));
    expect(runsOf(b, 'database')).toHaveLength(0);
    expect(runsOf(b, 'network')).toHaveLength(0);

    b.store.triggerRun('network', { type: 'TRACKED', triggeredBy: null });
    await eventually(() => (runsOf(b, 'database').some((r) => r.state === 'FINISHED') ? true : undefined));
    expect(runsOf(a, 'database')).toHaveLength(1);
    expect(runsOf(b, 'database')).toHaveLength(1);
    for (const run of runsOf(a, 'database')) expect(run.triggeredBy).toContain(a.apiKey.id);
  });

  it("a receiver of account B pointed at A's coordinator answers 409 naming both, and signals nothing", async () => {
    const config = loadServiceConfig(
      envOf(b, {
        CASCADE_DATA_DIR: join(dir, 'misrouted'),
        CASCADE_ESTATE_ID: defaultEstateId(accountOf(a.baseUrl)),
        CASCADE_TASK_QUEUE: defaultTaskQueue(accountOf(a.baseUrl)),
      }),
      { requireWebhookSecret: true, accountOnly: true },
    );
    const receiver = await startService(
      config,
      { webhook: true, worker: false, demo: false },
      () => undefined,
    );
    services.push(receiver);
    // A FINISHED tracked run's delivery, as Spacelift sends it.
    const body = exampleBody('run-finished-tracked.json');
    const response = await fetch(receiver.webhookUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_256_HEADER]: signWebhookBody(SECRET, body) },
      body,
    });
    expect(response.status).toBe(409);
    const answer = (await response.json()) as { error: string; message: string };
    expect(answer.error).toBe('account_mismatch');
    expect(answer.message).toContain(accountOf(a.baseUrl));
    expect(answer.message).toContain(accountOf(b.baseUrl));
  });

  it("a worker with account B's key on A's task queue triggers nothing and says why", async () => {
    const refA = coordinatorRef(loadServiceConfig(envOf(a), { requireWebhookSecret: false }));
    // Only B's worker polls A's queue: A's service is stopped.
    await services[0]!.stop();
    const native = await NativeConnection.connect({ address: inject('temporalAddress') });
    const worker = await createCascadeWorker({
      connection: native,
      taskQueue: refA.taskQueue,
      api: apiOf(b),
      account: accountOf(b.baseUrl),
    });
    const before = { a: runsOf(a, 'database').length, b: runsOf(b, 'database').length };
    const coordinator = new Coordinator(client, refA);
    try {
      const view = await worker.runUntil(async () => {
        const push = a.store.triggerRun('network', { type: 'TRACKED', triggeredBy: null });
        await eventually(() => (a.store.findRun(push.id)?.state === 'FINISHED' ? true : undefined));
        // A's receiver is gone: tell the coordinator as the receiver would have.
        await coordinator.observe(finished(push));
        return eventually(async () => {
          const v = await coordinator.stack('database');
          return v?.state === 'blocked' ? v : undefined;
        });
      });
      expect(view).toMatchObject({ state: 'blocked' });
      const reason = view.state === 'blocked' ? view.reason : '';
      expect(reason).toContain(`serves Spacelift account ${accountOf(b.baseUrl)}`);
      expect(reason).toContain(accountOf(a.baseUrl));
      expect(runsOf(b, 'database')).toHaveLength(before.b);
      expect(runsOf(a, 'database')).toHaveLength(before.a);
    } finally {
      await native.close();
    }
  });
});

describe('upgrade from the pre-account default id', () => {
  it('a coordinator still running as spacelift-cascade-estate hands its state over and ends', async () => {
    const c = await account();
    // The earlier version: the old id, the old queue, no account.
    const old = new Coordinator(client, {
      estateId: DEFAULT_ESTATE_ID,
      taskQueue: TASK_QUEUE,
      options: coordinatorRef(loadServiceConfig(envOf(c), { requireWebhookSecret: false })).options,
    });
    const native = await NativeConnection.connect({ address: inject('temporalAddress') });
    const oldWorker = await createCascadeWorker({ connection: native, taskQueue: TASK_QUEUE, api: apiOf(c) });
    const push = c.store.triggerRun('network', { type: 'TRACKED', triggeredBy: null });
    const oldCascade = await oldWorker.runUntil(async () => {
      await old.configure();
      await eventually(() => (c.store.findRun(push.id)?.state === 'FINISHED' ? true : undefined));
      await old.observe(finished(push));
      return eventually(async () => {
        const v = await old.cascade(push.id);
        return v && v.phase !== 'running' ? v : undefined;
      });
    });
    await native.close();
    expect(oldCascade.phase).toBe('completed');

    const lines: string[] = [];
    await serve(c, 'c', lines);
    expect(lines.join('\n')).toContain(`Took over the coordinator ${DEFAULT_ESTATE_ID}`);
    expect((await client.workflow.getHandle(DEFAULT_ESTATE_ID).describe()).status.name).toBe('COMPLETED');
    const taken = new Coordinator(
      client,
      coordinatorRef(loadServiceConfig(envOf(c), { requireWebhookSecret: false })),
    );
    const carried = await taken.cascade(push.id);
    expect(carried).toMatchObject({ id: oldCascade.id, phase: 'completed' });
    expect(runsOf(c, 'database')).toHaveLength(1);
  });
});
