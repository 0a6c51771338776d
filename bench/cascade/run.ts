/**
 * Cascade orchestration cost (issue 4): for generated stack graphs (chain, wide fan-out,
 * layered diamonds) of 10, 100 and 1,000 stacks with zero-length simulated runs, the time
 * from the root run's FINISHED to the last dependent run FINISHED, the orchestration
 * overhead per stack, and the Spacelift API calls per cascade.
 *
 * Each case runs the product path end to end: the simulator (stateDurationMs 0) sends signed
 * webhooks over HTTP to the real webhook receiver (buildWebhookServer + TemporalCascadeGateway)
 * -> a real Temporal dev server -> the cascade worker, whose activities call the simulator's
 * GraphQL API over HTTP. The root run is triggered in the simulator as a push would; its
 * FINISHED webhook starts the cascade; dependent runs' webhooks signal their followers. The
 * fallback poll interval is a realistic 5 s, so the webhook fast path is what is measured.
 *
 * Beside it, in the same run and on fresh simulators:
 * - baseline: a plain script (no Temporal) fed by the same webhooks that triggers each stack
 *   once its upstreams FINISHED (script-baseline.ts);
 * - polling only: the same cascade without webhooks, started directly at the root's FINISHED,
 *   following runs by 100 ms polls (the slow fallback path); sizes 10 and 100.
 *
 * Run: node --conditions=source --import tsx bench/cascade/run.ts
 * BENCH_LONG=1 adds the 1,000-stack chain (1,000 strictly sequential hops: minutes).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type Worker } from '@temporalio/worker';
import { pino } from 'pino';
import { Spacelift } from 'spacelift-client';
import { startSimulator, type Simulator } from 'spacelift-simulator';
import type { CascadeOptions, CascadeResult } from '../../packages/cascade/src/cascade-contract.js';
import { PARENT_WORKFLOW, cascadeWorkflowId } from '../../packages/cascade/src/constants.js';
import { buildDependencyGraph } from '../../packages/cascade/src/graph/dependency-graph.js';
import { TemporalCascadeGateway } from '../../packages/cascade/src/temporal/cascade-gateway.js';
import { startDevServer } from '../../packages/cascade/src/temporal/dev-server.js';
import { buildWebhookServer, listenWebhookServer } from '../../packages/cascade/src/webhook/server.js';
import {
  createCascadeWorker,
  workflowsEntryPath,
} from '../../packages/cascade/src/worker/create-cascade-worker.js';
import { LABEL_PREFIX, ROOT_STACK, SHAPES, generateStacks, type BenchStack } from './graph-shapes.js';
import {
  followerSample,
  parentBreakdown,
  type FollowerSample,
  type ParentBreakdown,
} from './history-breakdown.js';
import { RunTracker } from './run-tracker.js';
import { startScriptBaseline } from './script-baseline.js';

const LONG = process.env.BENCH_LONG === '1';
/** Comma-separated sizes to run instead of 10,100,1000 (for a quick look). */
const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
/** The polling-only series costs as much again; 10 and 100 stacks show the comparison. */
const POLLING_MAX_SIZE = 100;
const SECRET = 'bench-cascade-webhook-secret';
const API_KEY = { id: 'bench', secret: randomBytes(24).toString('hex') };
/** `triggeredBy` Spacelift records on runs the API key triggers. */
const IDENTITY = `api::${API_KEY.id}`;
const WEBHOOK_OPTIONS: CascadeOptions = {
  labelPrefix: LABEL_PREFIX,
  maxParallel: 100,
  runType: 'TRACKED',
  // Realistic fallback: a poll fires only for a run the webhooks did not end within 5 s.
  pollIntervalMs: 5_000,
  runUrlBase: 'https://bench.app.spacelift.io',
};
const POLLING_OPTIONS: CascadeOptions = { ...WEBHOOK_OPTIONS, pollIntervalMs: 100 };
const ACTIVITY_SLOTS = 2 * WEBHOOK_OPTIONS.maxParallel;
const FOLLOWER_SAMPLE = 30;

interface Env {
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  workflowBundle: { code: string };
}

const round = (n: number) => Number(n.toFixed(1));
const seedOf = (stacks: BenchStack[]) => ({ stacks: stacks.map((s) => ({ id: s.id, labels: s.labels })) });
const apiCallTotal = (sim: Simulator) => Object.values(sim.stats.apiCalls).reduce((a, b) => a + b, 0);

/** `cascade_webhooks_total` of the receiver's /metrics, as `outcome/action` -> count. */
async function receiverCounts(receiverUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${receiverUrl}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^cascade_webhooks_total\{outcome="(\w+)",action="(\w+)"\} (\d+)$/gm)) {
    counts[m[1] === 'accepted' ? m[2]! : `${m[1]}/${m[2]}`] = Number(m[3]);
  }
  return counts;
}

/** Runs `fn` with `worker` polling; `fn` starts once the worker is running. */
async function withWorker<T>(worker: Worker, fn: () => Promise<T>): Promise<T> {
  return worker.runUntil(async () => {
    while (worker.getState() !== 'RUNNING') await new Promise((r) => setTimeout(r, 10));
    // Let the pollers reach the server, as on a worker that has been up for a while.
    await new Promise((r) => setTimeout(r, 300));
    return fn();
  });
}

interface WebhookCase {
  cascadeMs: number;
  apiCallsByOperation: Record<string, number>;
  apiCalls: number;
  getRunCalls: number;
  webhooksDelivered: number;
  receiverActions: Record<string, number>;
  parent: ParentBreakdown;
  followers: FollowerSample;
}

/** The product path: push -> simulator webhooks -> receiver -> Temporal -> worker -> simulator API. */
async function webhookCase(env: Env, name: string, stacks: BenchStack[]): Promise<WebhookCase> {
  const size = stacks.length - 1;
  const taskQueue = `bench-cascade-${name}-${randomBytes(3).toString('hex')}`;
  const app = buildWebhookServer({
    gateway: new TemporalCascadeGateway({ connection: env.connection }),
    secrets: [SECRET],
    ownIdentity: IDENTITY,
    taskQueue,
    cascadeOptions: WEBHOOK_OPTIONS,
    // Production logs at info; to /dev/null so the terminal does not slow the run.
    logger: pino({ level: 'info' }, pino.destination('/dev/null')),
  });
  const receiverUrl = await listenWebhookServer(app, { port: 0, host: '127.0.0.1' });
  const sim = await startSimulator({
    stateDurationMs: 0,
    seed: seedOf(stacks),
    apiKey: API_KEY,
    webhooks: { urls: [`${receiverUrl}/webhook`], secret: SECRET },
  });
  try {
    const worker = await benchWorker(env, sim, taskQueue);
    const tracker = new RunTracker(sim.store, size);
    const result = await withWorker(worker, async () => {
      sim.store.triggerRun(ROOT_STACK, { type: 'TRACKED', triggeredBy: 'bench-push' });
      await tracker.allFinished();
      return (await env.client.workflow
        .getHandle(cascadeWorkflowId(tracker.rootRunId!))
        .result()) as CascadeResult;
    });
    const finished = Object.values(result.stacks).filter((s) => s.state === 'finished').length;
    if (finished !== size) throw new Error(`${name}: the cascade reports ${finished} of ${size} finished`);
    await sim.webhooksIdle();
    const graph = buildDependencyGraph(stacks, LABEL_PREFIX);
    const runIds = [...tracker.runs.keys()];
    return {
      cascadeMs: round(tracker.cascadeMs),
      apiCallsByOperation: { ...sim.stats.apiCalls },
      apiCalls: apiCallTotal(sim),
      getRunCalls: sim.stats.apiCalls.GetRun ?? 0,
      webhooksDelivered: sim.stats.deliveries.sent,
      receiverActions: await receiverCounts(receiverUrl),
      parent: await parentBreakdown(
        env.client,
        cascadeWorkflowId(tracker.rootRunId!),
        tracker.rootFinished!.wall,
        tracker.runs,
        graph.upstreams,
      ),
      followers: await followerSample(env.client, runIds, FOLLOWER_SAMPLE),
    };
  } finally {
    await sim.close();
    await app.close();
  }
}

/** A worker on its own task queue, calling the simulator's API over HTTP as the cascade's API key. */
function benchWorker(env: Env, sim: Simulator, taskQueue: string) {
  return createCascadeWorker({
    connection: env.nativeConnection,
    taskQueue,
    api: new Spacelift({ baseUrl: sim.baseUrl, keyId: API_KEY.id, keySecret: API_KEY.secret }),
    identity: IDENTITY,
    workflowBundle: env.workflowBundle,
    maxConcurrentActivityTaskExecutions: ACTIVITY_SLOTS,
  });
}

/** The same cascade with no webhooks: started at the root's FINISHED, runs followed by 100 ms polls. */
async function pollingCase(env: Env, name: string, stacks: BenchStack[]) {
  const size = stacks.length - 1;
  const taskQueue = `bench-cascade-poll-${name}-${randomBytes(3).toString('hex')}`;
  const sim = await startSimulator({ stateDurationMs: 0, seed: seedOf(stacks), apiKey: API_KEY });
  try {
    const worker = await benchWorker(env, sim, taskQueue);
    const tracker = new RunTracker(sim.store, size);
    await withWorker(worker, async () => {
      sim.store.triggerRun(ROOT_STACK, { type: 'TRACKED', triggeredBy: 'bench-push' });
      const rootRunId = await tracker.rootDone;
      await env.client.workflow.start(PARENT_WORKFLOW, {
        workflowId: cascadeWorkflowId(rootRunId),
        taskQueue,
        args: [{ rootStackId: ROOT_STACK, rootRunId, rootFinished: true, options: POLLING_OPTIONS }],
      });
      await tracker.allFinished();
      await env.client.workflow.getHandle(cascadeWorkflowId(rootRunId)).result();
    });
    return {
      cascadeMs: round(tracker.cascadeMs),
      apiCalls: apiCallTotal(sim),
      getRunCalls: sim.stats.apiCalls.GetRun ?? 0,
    };
  } finally {
    await sim.close();
  }
}

/** The no-Temporal script, fed by the same webhooks, on its own simulator. */
async function baselineCase(stacks: BenchStack[]) {
  const size = stacks.length - 1;
  let api: Spacelift | null = null;
  const script = await startScriptBaseline({
    // The script listens before the simulator that calls it exists; the client follows.
    api: () => api!,
    secret: SECRET,
    identity: IDENTITY,
    maxParallel: WEBHOOK_OPTIONS.maxParallel,
  });
  let sim: Simulator | null = null;
  try {
    sim = await startSimulator({
      stateDurationMs: 0,
      seed: seedOf(stacks),
      apiKey: API_KEY,
      webhooks: { urls: [script.url], secret: SECRET },
    });
    api = new Spacelift({ baseUrl: sim.baseUrl, keyId: API_KEY.id, keySecret: API_KEY.secret });
    const tracker = new RunTracker(sim.store, size);
    sim.store.triggerRun(ROOT_STACK, { type: 'TRACKED', triggeredBy: 'bench-push' });
    await Promise.all([tracker.allFinished(), script.done]);
    await sim.webhooksIdle();
    return {
      baselineMs: round(tracker.cascadeMs),
      apiCalls: apiCallTotal(sim),
      apiCallsByOperation: { ...sim.stats.apiCalls },
    };
  } finally {
    await sim?.close();
    await script.close();
  }
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-cascade-'));
  // BENCH_TEMPORAL_ADDRESS: an already running server instead (e.g. an in-memory one, to compare).
  const external = process.env.BENCH_TEMPORAL_ADDRESS;
  const server = external ? null : await startDevServer({ dataDir, uiPort: false });
  const address = external ?? server!.address;
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const env: Env = {
    client: new Client({ connection }),
    connection,
    nativeConnection,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: workflowsEntryPath(), logger: silent }),
  };
  const rows: unknown[] = [];
  const notRun: string[] = [];
  const started = performance.now();
  try {
    // Warm-up (not recorded): the first cascade pays for loading the workflow bundle.
    await webhookCase(env, 'warm-up', generateStacks('fan-out', 10));
    await baselineCase(generateStacks('fan-out', 10));
    for (const size of SIZES) {
      for (const shape of SHAPES) {
        const name = `${shape}-${size}`;
        if (shape === 'chain' && size >= 1_000 && !LONG) {
          notRun.push(`${name} (BENCH_LONG=1 runs it)`);
          continue;
        }
        const stacks = generateStacks(shape, size);
        const product = await webhookCase(env, name, stacks);
        const base = await baselineCase(stacks);
        const polling = size <= POLLING_MAX_SIZE ? await pollingCase(env, name, stacks) : null;
        const row = {
          shape,
          stacks: size,
          cascadeMs: product.cascadeMs,
          baselineMs: base.baselineMs,
          overheadPerStackMs: round((product.cascadeMs - base.baselineMs) / size),
          apiCalls: product.apiCalls,
          apiCallsByOperation: product.apiCallsByOperation,
          getRunCalls: product.getRunCalls,
          webhooksDelivered: product.webhooksDelivered,
          receiverActions: product.receiverActions,
          parentHistoryEvents: product.parent.historyEvents,
          timeBreakdown: product.parent,
          followers: product.followers,
          baselineApiCalls: base.apiCalls,
          baselineApiCallsByOperation: base.apiCallsByOperation,
          pollingOnly: polling
            ? {
                ...polling,
                overheadPerStackMs: round((polling.cascadeMs - base.baselineMs) / size),
              }
            : null,
        };
        rows.push(row);
        console.log(
          `${shape.padEnd(17)} ${String(size).padStart(5)}: cascade ${row.cascadeMs} ms, baseline ${row.baselineMs} ms, ` +
            `overhead ${row.overheadPerStackMs} ms/stack, API calls ${row.apiCalls} (GetRun ${row.getRunCalls}), ` +
            `webhooks ${row.webhooksDelivered}, history ${row.parentHistoryEvents}` +
            (polling ? `; polling-only ${polling.cascadeMs} ms` : ''),
        );
      }
    }
  } finally {
    await connection.close();
    await nativeConnection.close();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  const out = {
    benchmark: 'cascade',
    description: METHOD,
    settings: {
      cascadeOptions: WEBHOOK_OPTIONS,
      pollingOnlyOptions: POLLING_OPTIONS,
      workerMaxConcurrentActivityTaskExecutions: ACTIVITY_SLOTS,
      simulatorStateDurationMs: 0,
      sizes: SIZES,
      shapes: SHAPES,
      followerHistoriesSampled: FOLLOWER_SAMPLE,
    },
    fields: FIELDS,
    node: process.version,
    temporal: external
      ? `external server at ${external}`
      : 'temporal server start-dev (SQLite file), same machine; every component on one 2-CPU box',
    totalBenchSeconds: round((performance.now() - started) / 1000),
    notRun,
    notes: NOTES,
    results: rows,
  };
  await mkdir(new URL('../results/', import.meta.url), { recursive: true });
  await writeFile(new URL('../results/cascade.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote bench/results/cascade.json (${out.totalBenchSeconds} s)`);
}

const METHOD =
  'Product path end to end: the root run is triggered in the simulator as a push (triggeredBy bench-push, zero-length ' +
  'runs); its signed FINISHED webhook goes over HTTP to the real receiver, which starts the cascade in a real Temporal ' +
  "dev server; the worker triggers dependents through the simulator GraphQL API over HTTP and each dependent run's " +
  'webhooks signal its follower (fallback poll every 5 s). cascadeMs: root run FINISHED to the last dependent run ' +
  'FINISHED, both as recorded by the simulator. baselineMs: the same, for a plain script without Temporal fed by the ' +
  'same webhooks (graph read once, each stack triggered when its upstreams FINISHED, same maxParallel), on a fresh ' +
  'simulator. overheadPerStackMs = (cascadeMs - baselineMs) / stacks. pollingOnly: the cascade without webhooks, ' +
  'started directly at the root FINISHED and following runs by 100 ms polls (the fallback path).';

const NOTES =
  'Zero-length runs end within a few ms of being triggered, before their follower workflow starts, so every follower ' +
  'sees the end on its first GetRun (followers.endSeenByFirstLook) and the receiver answers those FINISHED webhooks ' +
  '"routed" with nothing to signal; the webhook fast path only shows once runs outlast a follower start (real runs ' +
  'take minutes). So with 0 ms runs the webhook and polling-only series differ little: both are bound by the ' +
  'sequential Temporal steps per stack (trigger activity, child start, child first look, child completion), each ' +
  'waiting on a workflow task.';

const FIELDS = {
  apiCallsByOperation: 'GraphQL operations the simulator executed for the cascade (ApiKeyUser is the login)',
  getRunCalls:
    'GetRun calls: each follower looks once when it starts, then only when no webhook ended it within 5 s',
  webhooksDelivered:
    'deliveries the simulator sent to the receiver (every state change of every run, root included)',
  receiverActions: 'what the receiver did with them (cascade_webhooks_total): ignored = non-terminal states',
  timeBreakdown:
    'from the parent history (server event times) and the store run ends; perStack values are means over stacks',
  followers: 'from a sample of follower (stackExecutionWorkflow) histories: how each learnt its run ended',
};

const silent = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

await main();
