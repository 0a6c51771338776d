import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Spacelift, apiKeyIdentity } from 'spacelift-client';
import { startSimulator } from 'spacelift-simulator';
import { describe, expect, it } from 'vitest';
import { Coordinator } from '../../src/temporal/coordinator.js';
import { TemporalCascadeGateway } from '../../src/temporal/cascade-gateway.js';
import { freePort, startDevServer } from '../../src/temporal/dev-server.js';
import { DeliverySpool } from '../../src/webhook/delivery-spool.js';
import { buildWebhookServer, listenWebhookServer } from '../../src/webhook/server.js';
import { createCascadeWorker } from '../../src/worker/create-cascade-worker.js';
import { testOptions } from '../workflows/test-options.js';

/** How long Temporal stays down (the figure; shorten locally with SPOOL_OUTAGE_MS). */
const OUTAGE_MS = Number(process.env.SPOOL_OUTAGE_MS ?? 60_000);
const ROOTS = 12;
const SECRET = 'spool-outage-secret';
const KEY = { id: 'spool-key', secret: `spool-secret-${randomUUID()}` };

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The fresh clone's inner run of the suite skips it: the outer run on the same machine covers it. */
const INNER = process.env.CASCADE_FRESH_CLONE_INNER === '1';

describe.skipIf(INNER)('Temporal unreachable while deliveries arrive', () => {
  it(
    `spools ~100 deliveries through a ${OUTAGE_MS / 1000} s outage, then every cascade happens, once`,
    { timeout: OUTAGE_MS + 240_000 },
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'spool-outage-'));
      const port = await freePort();
      let server = await startDevServer({ dataDir: join(dataDir, 'temporal'), port, uiPort: false });
      const stacks = Array.from({ length: ROOTS }, (_, i) => [
        { id: `r${i}` },
        { id: `c${i}`, labels: [`dependsOn:r${i}`] },
        { id: `g${i}`, labels: [`dependsOn:c${i}`] },
      ]).flat();
      const taskQueue = `spool-${randomUUID()}`;
      const estateId = `estate-${randomUUID()}`;
      const options = testOptions({ pollIntervalMs: 60_000 });
      const lazy = TemporalCascadeGateway.lazy({ address: server.address, rpcTimeoutMs: 2_000 });
      const spool = await DeliverySpool.open(lazy.gateway, {
        file: join(dataDir, 'webhook-spool.jsonl'),
        maxEntries: 10_000,
        retryMs: 500,
      });
      const app = buildWebhookServer({
        gateway: spool,
        secrets: [SECRET],
        estateId,
        taskQueue,
        cascadeOptions: options,
        logger: pino({ level: 'silent' }),
      });
      const receiverUrl = await listenWebhookServer(app, { port: 0, host: '127.0.0.1' });
      const simulator = await startSimulator({
        seed: { stacks },
        apiKey: KEY,
        stateDurationMs: 20,
        webhooks: { urls: [`${receiverUrl}/webhook`], secret: SECRET },
      });
      const nativeConnection = await NativeConnection.connect({ address: server.address });
      const connection = await Connection.connect({ address: server.address });
      const coordinator = new Coordinator(new Client({ connection }), { estateId, taskQueue, options });
      const worker = await createCascadeWorker({
        connection: nativeConnection,
        taskQueue,
        api: new Spacelift({ baseUrl: simulator.baseUrl, keyId: KEY.id, keySecret: KEY.secret }),
        identity: apiKeyIdentity(KEY.id),
      });
      const finished = (id: string) =>
        (simulator.store.stackRuns(id) ?? []).filter((r) => r.state === 'FINISHED');
      try {
        await worker.runUntil(async () => {
          await coordinator.configure();
          await until(async () => (await coordinator.stack('r0').catch(() => null)) !== null, 'the graph');

          await server.stop();
          const down = Date.now();
          const pushes = Array.from({ length: ROOTS }, (_, i) =>
            simulator.store.triggerRun(`r${i}`, { type: 'TRACKED', triggeredBy: null }),
          );
          await until(() => pushes.every((p) => p.state === 'FINISHED'), 'the pushes to finish');
          await simulator.webhooksIdle();
          // Every delivery was answered 202: none failed, the spool holds the significant ones.
          expect(simulator.stats.deliveries.failed).toBe(0);
          expect(simulator.stats.deliveries.sent).toBeGreaterThanOrEqual(100);
          expect(spool.size).toBeGreaterThanOrEqual(ROOTS * 3);
          for (let i = 0; i < ROOTS; i++) expect(simulator.store.stackRuns(`c${i}`)).toEqual([]);
          await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - down))));

          server = await startDevServer({ dataDir: join(dataDir, 'temporal'), port, uiPort: false });
          await until(() => spool.size === 0, 'the spool to drain');
          await until(
            () => Array.from({ length: ROOTS }, (_, i) => finished(`g${i}`).length).every((n) => n === 1),
            'every cascade',
          );
          // Quiet for a moment: nothing more runs.
          await new Promise((r) => setTimeout(r, 1_000));
        });
        for (let i = 0; i < ROOTS; i++) {
          expect(simulator.store.stackRuns(`r${i}`), `r${i}`).toHaveLength(1);
          expect(simulator.store.stackRuns(`c${i}`), `c${i}`).toHaveLength(1);
          expect(simulator.store.stackRuns(`g${i}`), `g${i}`).toHaveLength(1);
        }
      } finally {
        await connection.close().catch(() => undefined);
        // The server may be down if the test failed during the outage.
        const cleanup = await Connection.connect({ address: server.address, connectTimeout: 2_000 }).catch(
          () => null,
        );
        if (cleanup) {
          await new Client({ connection: cleanup }).workflow
            .getHandle(estateId)
            .terminate('test over')
            .catch(() => undefined);
          await cleanup.close();
        }
        await spool.close();
        await app.close();
        await lazy.close();
        await nativeConnection.close();
        await simulator.close();
        await server.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  );
});
