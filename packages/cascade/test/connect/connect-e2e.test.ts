import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Spacelift, apiKeyIdentity } from 'spacelift-client';
import { startSimulator, type Simulator } from 'spacelift-simulator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectCommand, countingClient, type ConnectOptions } from '../../src/connect/connect-command.js';
import { isManaged } from '../../src/connect/webhook-plan.js';
import { reconcileEstate } from '../../src/activities/reconcile-estate.js';
import { unconnectedStacksQuery } from '../../src/coordinator-contract.js';
import { serviceProblems } from '../../src/service/service-problems.js';
import { TemporalCascadeGateway } from '../../src/temporal/cascade-gateway.js';
import { Coordinator } from '../../src/temporal/coordinator.js';
import { buildWebhookServer, listenWebhookServer } from '../../src/webhook/server.js';
import { CascadeHarness } from '../workflows/cascade-harness.js';
import { eventually } from '../workflows/estate-rig.js';
import { cascadeOptions } from '../webhook/webhook-examples.js';

const SECRET = 'connect-e2e-secret';
const ESTATE_ID = `connect-e2e-estate-${randomUUID()}`;

let harness: CascadeHarness;
let connection: Connection;
let receiver: FastifyInstance;
let receiverUrl: string;
let simulator: Simulator;

const quiet = { out: () => undefined, json: false, tty: false };

function connect(extra: Partial<ConnectOptions> = {}, lines: string[] = []) {
  const client = countingClient({
    baseUrl: simulator.baseUrl,
    keyId: simulator.apiKey.id,
    keySecret: simulator.apiKey.secret,
  });
  return connectCommand(
    client,
    { url: receiverUrl, secret: SECRET, labelPrefix: 'dependsOn:', dryRun: false, remove: false, ...extra },
    { ...quiet, out: (line) => lines.push(line) },
  );
}

beforeAll(async () => {
  harness = await CascadeHarness.create(`connect-e2e-${randomUUID()}`);
  connection = await Connection.connect({ address: inject('temporalAddress') });
  receiver = buildWebhookServer({
    gateway: new TemporalCascadeGateway({ connection }),
    secrets: [SECRET],
    estateId: ESTATE_ID,
    taskQueue: harness.taskQueue,
    cascadeOptions,
    logger: pino({ level: 'silent' }),
  });
  receiverUrl = `${await listenWebhookServer(receiver, { port: 0, host: '127.0.0.1' })}/webhook`;
  // No webhook URL: the simulator delivers only to the webhooks registered on its stacks.
  simulator = await startSimulator({
    stateDurationMs: 10,
    seed: {
      stacks: [
        { id: 'network', name: 'Network' },
        { id: 'database', name: 'Database', labels: ['dependsOn:network'] },
        { id: 'app', name: 'App', labels: ['dependsOn:database'] },
        { id: 'standalone', name: 'Standalone' },
      ],
    },
  });
});

afterAll(async () => {
  await new Client({ connection }).workflow
    .getHandle(ESTATE_ID)
    .terminate('test over')
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
  await simulator?.close();
  await receiver?.close();
  await connection?.close();
  await harness?.close();
});

describe('spacelift-cascade connect', () => {
  it('a dry run changes nothing and says what it would do', async () => {
    const lines: string[] = [];
    const report = await connect({ dryRun: true }, lines);
    expect(report.mutations).toBe(0);
    expect(report.changes.map((c) => c.kind)).toEqual(['create', 'create', 'create']);
    expect(simulator.store.webhooks.list()).toHaveLength(0);
    expect(lines.join('\n')).toContain('Dry run: would create 3, update 0, delete 0');
  });

  it('puts a webhook on every stack of the graph, checks the receiver, and a second run changes nothing', async () => {
    const lines: string[] = [];
    const first = await connect({}, lines);
    expect(first).toMatchObject({ stacks: 4, connected: 3, mutations: 3, receiver: { ok: true } });
    const hooked = simulator.store.webhooks.list();
    expect(hooked.map((w) => w.stackId).sort()).toEqual(['app', 'database', 'network']);
    for (const w of hooked) expect(w).toMatchObject({ enabled: true, secret: SECRET });
    expect(lines.join('\n')).not.toContain(SECRET);

    const second = await connect();
    expect(second.mutations).toBe(0);
    expect(second.changes).toEqual([]);
    // The graph read, the spaces, the native-dependency check and one webhook list per stack.
    expect(second.apiCalls).toBeLessThan(first.apiCalls);
  });

  it('a push in a simulator with no --webhook-url cascades through the webhooks connect made', async () => {
    const coordinator = new Coordinator(new Client({ connection }), {
      estateId: ESTATE_ID,
      taskQueue: harness.taskQueue,
      options: cascadeOptions,
    });
    const api = new Spacelift({
      baseUrl: simulator.baseUrl,
      keyId: simulator.apiKey.id,
      keySecret: simulator.apiKey.secret,
    });
    const settled = await harness.withWorker(
      api,
      async () => {
        const push = simulator.store.triggerRun('network', { type: 'TRACKED', triggeredBy: null });
        return eventually(async () => {
          const v = await coordinator.cascade(push.id);
          return v && v.phase !== 'running' ? v : undefined;
        });
      },
      apiKeyIdentity(simulator.apiKey.id),
    );
    expect(settled.phase).toBe('completed');
    expect(Object.keys(settled.stacks).sort()).toEqual(['app', 'database']);
    expect(simulator.store.stackRuns('app')).toHaveLength(1);
  });

  it('fixes a disabled webhook and a changed secret; --remove deletes exactly the managed ones', async () => {
    const network = simulator.store.webhooks.ofStack('network')[0]!;
    simulator.store.webhooks.update('network', network.id, { ...network, enabled: false });
    const mine = simulator.store.webhooks.create('database', {
      endpoint: 'https://example.com/my-own-hook',
      secret: 'mine',
      enabled: true,
    });
    const fixed = await connect();
    expect(fixed.changes).toEqual([
      { kind: 'update', stackId: 'network', webhookId: network.id, why: 'Spacelift had disabled it' },
    ]);
    expect(simulator.store.webhooks.ofStack('network')[0]).toMatchObject({ enabled: true });

    const rotated = await connect({ secret: 'rotated-secret' });
    expect(rotated.changes.map((c) => c.kind === 'update' && c.why)).toEqual([
      'the webhook secret changed',
      'the webhook secret changed',
      'the webhook secret changed',
    ]);
    // The receiver still checks the old secret: connect says so in words.
    expect(rotated.receiver).toMatchObject({ ok: false, message: expect.stringContaining('401') });

    const removed = await connect({ remove: true });
    expect(removed.mutations).toBe(3);
    expect(simulator.store.webhooks.list().filter((w) => isManaged(w))).toEqual([]);
    expect(simulator.store.webhooks.list().map((w) => w.id)).toEqual([mine.id]);
  });

  it('a stack that joins the graph after connect is a problem the service shows; managed webhooks fix it in a pass', async () => {
    await connect();
    simulator.store.stacks.create({
      name: 'cache',
      repository: 'infra',
      branch: 'main',
      administrative: false,
      labels: ['dependsOn:database'],
    });
    const api = new Spacelift({
      baseUrl: simulator.baseUrl,
      keyId: simulator.apiKey.id,
      keySecret: simulator.apiKey.secret,
    });
    const input = { labelPrefix: 'dependsOn:', cursor: null, graphDigest: null };
    // Seen by the pass the coordinator runs anyway: no request beyond its search pages.
    const seen = await reconcileEstate(api, input);
    expect(seen.unconnected).toEqual(['cache']);

    // The coordinator holds the pass's finding; the service's status says it in words.
    // A coordinator of its own, whose first pass sees the estate as it is now.
    const ref = { estateId: `${ESTATE_ID}-joined`, taskQueue: harness.taskQueue, options: cascadeOptions };
    const coordinator = new Coordinator(new Client({ connection }), ref);
    const problems = await harness.withWorker(api, async () => {
      await coordinator.configure();
      await eventually(async () =>
        (await new Client({ connection }).workflow.getHandle(ref.estateId).query(unconnectedStacksQuery))
          .length > 0
          ? true
          : undefined,
      );
      return serviceProblems({
        temporal: {
          address: 'test',
          client: new Client({ connection, namespace: 'default' }),
          gateway: null,
        },
        coordinator: { ...ref, account: 'acme' },
        spacelift: { api: null, keyId: null, baseUrl: simulator.baseUrl },
        worker: () => null,
      })();
    });
    await new Client({ connection }).workflow.getHandle(ref.estateId).terminate('test over');
    expect(problems).toContainEqual({
      part: 'webhooks',
      message: expect.stringMatching(
        /^1 stack\(s\) of the dependency graph have no webhook to this service \(cache\).*connect/,
      ),
    });

    const fixed = await reconcileEstate(api, input, { url: receiverUrl, secret: SECRET });
    expect(fixed).toMatchObject({ unconnected: [], webhooksFixed: 1 });
    expect(simulator.store.webhooks.ofStack('cache')).toMatchObject([{ enabled: true, secret: SECRET }]);
    expect((await connect()).mutations).toBe(0);
  });
});
