/**
 * Cascade orchestration cost: generated stack graphs (chain, wide fan-out, layered diamonds)
 * of 10, 100 and 1,000 stacks, zero-length runs on the simulator over real HTTP, a real
 * Temporal dev server and an in-process worker. For each graph it measures the time from the
 * cascade's start to its last run finished and the Spacelift API calls, beside a baseline in
 * the same run: a plain script doing the same work straight against the API (trigger each
 * topological wave, poll each run to its end) with no Temporal.
 *
 * Run: node --conditions=source --import tsx bench/cascade/run.ts
 */
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Spacelift, isTerminalRunState, type SpaceliftApi } from 'spacelift-client';
import { startSimulator, type Simulator } from 'spacelift-simulator';
import type { CascadeOptions, CascadeResult } from '../../packages/cascade/src/cascade-contract.js';
import { PARENT_WORKFLOW, cascadeWorkflowId } from '../../packages/cascade/src/constants.js';
import {
  buildDependencyGraph,
  downstreamClosure,
  topologicalWaves,
} from '../../packages/cascade/src/graph/dependency-graph.js';
import { startDevServer } from '../../packages/cascade/src/temporal/dev-server.js';
import {
  createCascadeWorker,
  workflowsEntryPath,
} from '../../packages/cascade/src/worker/create-cascade-worker.js';

const SIZES = [10, 100, 1_000];
/**
 * The 1,000-stack chain is 1,000 strictly sequential run cycles (minutes on a shared 2-CPU
 * machine), which alone would blow the bench's ~5-minute budget; BENCH_LONG=1 includes it.
 */
const LONG = process.env.BENCH_LONG === '1';
const SHAPES = ['chain', 'fan-out', 'layered-diamonds'] as const;
type Shape = (typeof SHAPES)[number];
const OPTIONS: CascadeOptions = {
  labelPrefix: 'dependsOn:',
  maxParallel: 100,
  runType: 'TRACKED',
  // No webhooks in this bench: every run's end is learnt by polling (the slow path).
  pollIntervalMs: 100,
  runUrlBase: 'https://bench.app.spacelift.io',
};

/** `size` stacks downstream of `root`, labelled as the shape says. */
function generate(shape: Shape, size: number): Array<{ id: string; labels: string[] }> {
  const stacks = [{ id: 'root', labels: [] as string[] }];
  const dep = (id: string) => `dependsOn:${id}`;
  if (shape === 'chain') {
    for (let i = 0; i < size; i++)
      stacks.push({ id: `s${i}`, labels: [dep(i === 0 ? 'root' : `s${i - 1}`)] });
  } else if (shape === 'fan-out') {
    for (let i = 0; i < size; i++) stacks.push({ id: `s${i}`, labels: [dep('root')] });
  } else {
    // Layers of sqrt(size) stacks, each depending on two neighbours of the layer above.
    const width = Math.max(2, Math.round(Math.sqrt(size)));
    for (let i = 0; i < size; i++) {
      const layer = Math.floor(i / width);
      const at = i % width;
      const above = (j: number) => `s${(layer - 1) * width + (j % width)}`;
      stacks.push({
        id: `s${i}`,
        labels: layer === 0 ? [dep('root')] : [dep(above(at)), dep(above(at + 1))],
      });
    }
  }
  return stacks;
}

const totalCalls = (sim: Simulator): number =>
  Object.entries(sim.stats.apiCalls)
    .filter(([op]) => op !== 'apiKeyUser' && op !== 'ApiKeyUser')
    .reduce((sum, [, n]) => sum + n, 0);

/** The baseline: the same cascade as a plain script, wave after wave, no Temporal. */
async function baseline(api: SpaceliftApi, stacks: Array<{ id: string; labels: string[] }>): Promise<void> {
  const all = await api.searchStacks({ queryFields: ['id', 'name', 'labels', 'space'] });
  const graph = buildDependencyGraph(
    all.map((s) => ({ id: s.id!, labels: s.labels ?? [] })),
    OPTIONS.labelPrefix,
  );
  const waves = topologicalWaves(graph, downstreamClosure(graph, 'root')).slice(1);
  if (waves.flat().length !== stacks.length - 1) throw new Error('baseline graph mismatch');
  for (const wave of waves) {
    for (let i = 0; i < wave.length; i += OPTIONS.maxParallel) {
      await Promise.all(
        wave.slice(i, i + OPTIONS.maxParallel).map(async (stackId) => {
          const run = await api.triggerRun(stackId);
          for (;;) {
            const now = await api.getRun(stackId, run.id);
            if (now && isTerminalRunState(now.state)) return;
            await new Promise((r) => setTimeout(r, OPTIONS.pollIntervalMs));
          }
        }),
      );
    }
  }
}

interface Row {
  shape: Shape;
  stacks: number;
  cascadeMs: number;
  baselineMs: number;
  overheadPerStackMs: number;
  cascadeApiCalls: number;
  cascadeApiCallsByOperation: Record<string, number>;
  baselineApiCalls: number;
  parentHistoryEvents: number;
}

const round = (n: number) => Number(n.toFixed(1));

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-cascade-'));
  const server = await startDevServer({ dataDir, uiPort: false });
  const connection = await Connection.connect({ address: server.address });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const client = new Client({ connection });
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: workflowsEntryPath(), logger: silent });
  const rows: Row[] = [];
  const skipped: string[] = [];
  const started = performance.now();
  try {
    for (const size of SIZES) {
      for (const shape of SHAPES) {
        if (shape === 'chain' && size >= 1_000 && !LONG) {
          skipped.push(`chain/${size} (set BENCH_LONG=1 to include it)`);
          continue;
        }
        const stacks = generate(shape, size);
        const seed = { stacks: stacks.map((s) => ({ id: s.id, labels: s.labels })) };
        // Fresh simulators so each side starts from zero runs and zero counted calls.
        const sim = await startSimulator({ stateDurationMs: 0, seed });
        const baseSim = await startSimulator({ stateDurationMs: 0, seed });
        const api = new Spacelift({
          baseUrl: sim.baseUrl,
          keyId: sim.apiKey.id,
          keySecret: sim.apiKey.secret,
        });
        const baseApi = new Spacelift({
          baseUrl: baseSim.baseUrl,
          keyId: baseSim.apiKey.id,
          keySecret: baseSim.apiKey.secret,
        });
        try {
          const taskQueue = `bench-${shape}-${size}`;
          const worker = await createCascadeWorker({
            connection: nativeConnection,
            taskQueue,
            api,
            workflowBundle,
            maxConcurrentActivityTaskExecutions: 2 * OPTIONS.maxParallel,
          });
          const rootRunId = `root-${shape}-${size}`;
          // Timed inside runUntil: worker start-up and shutdown are not part of a cascade.
          const { result, cascadeMs } = await worker.runUntil(async () => {
            const t0 = performance.now();
            const done = (await client.workflow.execute(PARENT_WORKFLOW, {
              workflowId: cascadeWorkflowId(rootRunId),
              taskQueue,
              args: [{ rootStackId: 'root', rootRunId, rootFinished: true, options: OPTIONS }],
            })) as CascadeResult;
            return { result: done, cascadeMs: performance.now() - t0 };
          });
          const finished = Object.values(result.stacks).filter((s) => s.state === 'finished').length;
          if (finished !== size) throw new Error(`${shape}/${size}: only ${finished} stacks finished`);
          const history = await client.workflow.getHandle(cascadeWorkflowId(rootRunId)).fetchHistory();

          const t1 = performance.now();
          await baseline(baseApi, stacks);
          const baselineMs = performance.now() - t1;

          const row: Row = {
            shape,
            stacks: size,
            cascadeMs: round(cascadeMs),
            baselineMs: round(baselineMs),
            overheadPerStackMs: round((cascadeMs - baselineMs) / size),
            cascadeApiCalls: totalCalls(sim),
            cascadeApiCallsByOperation: { ...sim.stats.apiCalls },
            baselineApiCalls: totalCalls(baseSim),
            parentHistoryEvents: history.events?.length ?? 0,
          };
          rows.push(row);
          console.log(
            `${shape.padEnd(17)} ${String(size).padStart(5)} stacks: cascade ${row.cascadeMs} ms, baseline ${row.baselineMs} ms, ` +
              `overhead ${row.overheadPerStackMs} ms/stack, API calls ${row.cascadeApiCalls} (baseline ${row.baselineApiCalls}), ` +
              `history ${row.parentHistoryEvents} events`,
          );
        } finally {
          await sim.close();
          await baseSim.close();
        }
      }
    }
  } finally {
    await connection.close();
    await nativeConnection.close();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  const out = {
    benchmark: 'cascade',
    description:
      'Root start to last run finished for generated graphs, zero-length simulated runs over HTTP, polling only (no webhooks); ' +
      'baseline: the same work as a plain script against the API without Temporal.',
    settings: { ...OPTIONS, simulatorStateDurationMs: 0, sizes: SIZES, shapes: SHAPES },
    node: process.version,
    totalBenchSeconds: round((performance.now() - started) / 1000),
    notRun: skipped,
    results: rows,
  };
  await mkdir(new URL('../results/', import.meta.url), { recursive: true });
  await writeFile(new URL('../results/cascade.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote bench/results/cascade.json (${out.totalBenchSeconds} s)`);
}

const silent = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

await main();
