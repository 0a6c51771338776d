/**
 * Webhook receiver throughput and latency: signed FINISHED TRACKED deliveries with distinct run
 * ids posted over real HTTP into the receiver backed by a real Temporal dev server (one
 * `signalWithStart` of the estate coordinator per batch of the deliveries that came while the
 * previous one was in flight), beside two baselines in the same run: (a) the
 * same HTTP server with a no-op gateway (HTTP, signature, validation cost alone) and (b) a bare
 * loop of Temporal `signalWithStart` calls to a coordinator (Temporal cost alone), all at the
 * same concurrency. No worker runs: the coordinators only collect the signals, and are
 * terminated at the end.
 *
 * Run: node --conditions=source --import tsx bench/webhook/run.ts
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { signWebhookBody } from 'spacelift-client';
import type { CascadeOptions, RunObservation } from '../../packages/cascade/src/cascade-contract.js';
import { PARENT_WORKFLOW } from '../../packages/cascade/src/constants.js';
import { runStateSignal } from '../../packages/cascade/src/coordinator-contract.js';
import { TemporalCascadeGateway } from '../../packages/cascade/src/temporal/cascade-gateway.js';
import { startDevServer } from '../../packages/cascade/src/temporal/dev-server.js';
import type { CascadePort } from '../../packages/cascade/src/webhook/cascade-port.js';
import { buildWebhookServer, listenWebhookServer } from '../../packages/cascade/src/webhook/server.js';
import { percentile } from '../percentiles.js';

const RUN_STATE_SIGNAL = runStateSignal.name;

const REQUESTS = 2_000;
const WARMUP = 200;
const CONCURRENCY = 16;
const SECRET = 'bench-webhook-secret';
const TASK_QUEUE = 'bench-webhook';

const cascadeOptions: CascadeOptions = {
  labelPrefix: 'dependsOn:',
  maxParallel: 4,
  runType: 'TRACKED',
  pollIntervalMs: 30_000,
  reconcileIntervalMs: 600_000,
  runUrlBase: 'https://bench.app.spacelift.io',
  driftRuns: 'cascade',
};

interface Summary {
  requests: number;
  concurrency: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/** Runs `call(i)` for i in [0, count) with `concurrency` workers; latencies in ms. */
async function measure(count: number, call: (i: number) => Promise<void>): Promise<Summary> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const start = performance.now();
      await call(i);
      latencies.push(performance.now() - start);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    requests: count,
    concurrency: CONCURRENCY,
    perSecond: round((count / elapsedMs) * 1000, 1),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  };
}

const template = JSON.parse(
  await readFile(new URL('../../spacelift-api/webhooks/run-finished-tracked.json', import.meta.url), 'utf8'),
) as { run: { id: string } };

/** A signed delivery for a fresh run id, as Spacelift sends it. */
function delivery(prefix: string, i: number): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ ...template, run: { ...template.run, id: `${prefix}-${i}` } });
  return {
    body,
    headers: { 'content-type': 'application/json', 'x-signature-256': signWebhookBody(SECRET, body) },
  };
}

/** Posts `count` deliveries to the receiver; every answer must be 202 `signalled`. */
async function postAll(url: string, prefix: string, count: number): Promise<Summary> {
  return measure(count, async (i) => {
    const { body, headers } = delivery(prefix, i);
    const res = await fetch(`${url}/webhook`, { method: 'POST', body, headers });
    const answer = (await res.json()) as { action?: string };
    if (res.status !== 202 || answer.action !== 'signalled') {
      throw new Error(`delivery ${i}: HTTP ${res.status} ${JSON.stringify(answer)}`);
    }
  });
}

const noOpGateway: CascadePort = {
  signalWithStart: () => Promise.resolve('delivered' as const),
  checkReady: () => Promise.resolve(),
};

async function withReceiver<T>(
  gateway: CascadePort,
  estateId: string,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const app = buildWebhookServer({
    gateway,
    secrets: [SECRET],
    estateId,
    taskQueue: TASK_QUEUE,
    cascadeOptions,
    // Production logs at info; written to /dev/null so the terminal does not slow the run.
    logger: pino({ level: 'info' }, pino.destination('/dev/null')),
  });
  try {
    return await fn(await listenWebhookServer(app, { port: 0, host: '127.0.0.1' }));
  } finally {
    await app.close();
  }
}

const dataDir = await mkdtemp(join(tmpdir(), 'bench-webhook-temporal-'));
const server = await startDevServer({ dataDir, uiPort: false });
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection });
// One coordinator per measured phase (a coordinator takes at most 10,000 signals).
const estates: string[] = [];
try {
  const runTag = randomUUID().slice(0, 8);
  const estate = (name: string) => {
    const id = `bench-estate-${name}-${runTag}`;
    estates.push(id);
    return id;
  };

  const noTemporal = await withReceiver(noOpGateway, estate('noop'), async (url) => {
    await postAll(url, `warm-noop-${runTag}`, WARMUP);
    return postAll(url, `noop-${runTag}`, REQUESTS);
  });

  const receiver = await withReceiver(
    new TemporalCascadeGateway({ connection }),
    estate('recv'),
    async (url) => {
      await postAll(url, `warm-recv-${runTag}`, WARMUP);
      return postAll(url, `recv-${runTag}`, REQUESTS);
    },
  );

  const signalLoop = async (estateId: string, prefix: string, count: number) =>
    measure(count, async (i) => {
      const observation: RunObservation = {
        stackId: 'spacelift-demo',
        runId: `${prefix}-${i}`,
        state: 'FINISHED',
        stateVersion: 4,
        runType: 'TRACKED',
        triggeredBy: 'bench@example.com',
        createdAt: Math.floor(Date.now() / 1000),
        at: Date.now(),
        driftDetection: false,
        stackLabels: [],
      };
      await client.workflow.signalWithStart(PARENT_WORKFLOW, {
        workflowId: estateId,
        taskQueue: TASK_QUEUE,
        args: [{ options: cascadeOptions }],
        signal: RUN_STATE_SIGNAL,
        signalArgs: [observation],
      });
    });
  const bareEstate = estate('bare');
  await signalLoop(bareEstate, `warm-signal-${runTag}`, WARMUP);
  const bareSignal = await signalLoop(bareEstate, `signal-${runTag}`, REQUESTS);

  const slower = Math.min(noTemporal.perSecond, bareSignal.perSecond);
  const result = {
    benchmark: 'webhook receiver: signed FINISHED TRACKED deliveries -> estate coordinator signalWithStart',
    date: new Date().toISOString(),
    node: process.version,
    temporal: 'temporal server start-dev (SQLite), same machine',
    receiver,
    baselines: { httpNoTemporal: noTemporal, bareSignalWithStart: bareSignal },
    ratioToSlowerBaseline: round(receiver.perSecond / slower, 3),
    notes:
      'The receiver signals the estate coordinator with signalWithStart (it starts on the first), one call per batch of the deliveries that came while the previous call was in flight (group commit); ' +
      'the bare baseline is one signalWithStart per call. No worker runs: the coordinators only record the signals.',
  };
  await mkdir(new URL('../results/', import.meta.url), { recursive: true });
  await writeFile(
    new URL('../results/webhook.json', import.meta.url),
    `${JSON.stringify(result, null, 2)}\n`,
  );

  console.log(`webhook bench: ${REQUESTS} requests at concurrency ${CONCURRENCY}`);
  const line = (name: string, s: Summary) =>
    console.log(
      `  ${name.padEnd(28)} ${String(s.perSecond).padStart(8)} /s   p50 ${s.p50Ms} ms   p99 ${s.p99Ms} ms`,
    );
  line('receiver + Temporal', receiver);
  line('baseline: HTTP, no Temporal', noTemporal);
  line('baseline: bare signalWithStart', bareSignal);
  console.log(`  ratio to the slower baseline: ${result.ratioToSlowerBaseline}`);
} finally {
  for (const id of estates) {
    await client.workflow
      .getHandle(id)
      .terminate('bench over')
      .catch(() => undefined);
  }
  await connection.close();
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
