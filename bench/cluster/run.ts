/**
 * Scaling out, measured (issue 11): a burst of changes on the production shape (deploy/cluster:
 * PostgreSQL and the four Temporal services as separate processes) with 2 cascade workers
 * against 1 worker, the 1-worker case being the baseline measured in the same run.
 *
 * A burst: the estate holds ESTATES independent layered sub-estates (a root and LAYERS layers
 * of WIDTH stacks, each depending on three of the layer above); every root is pushed at once,
 * so ESTATES cascades run together. Runs are zero-length (stateDurationMs 0), so what is
 * measured is orchestration: webhooks -> receiver -> Temporal -> workers -> Spacelift API.
 * Everything is a real process: `spacelift-cascade webhook` (one), `spacelift-cascade worker`
 * (one or two, on a fresh task queue per burst), the simulator in this process.
 *
 * Run: node --conditions=source --import tsx bench/cluster/run.ts (needs what test/cluster needs:
 * the server binaries, built when missing, and PostgreSQL). Writes bench/results/cluster.json.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimulator } from 'spacelift-simulator';
import { TEMPORAL_SERVICES } from '../../deploy/cluster/cluster-config.js';
import { LocalCluster } from '../../deploy/cluster/local-cluster.js';
import { freePort } from '../../packages/cascade/src/temporal/dev-server.js';
import {
  CascadeProcess,
  RunRecorder,
  cleanEnv,
  upstreamMap,
  type EstateStack,
} from '../../test/cluster/cluster-harness.js';
import { checkCascadeContract, type StackRun } from '../../test/cluster/contract-check.js';
import { percentiles, round } from '../percentiles.js';
import { summarize, type BurstResult } from './burst-summary.js';

const ESTATES = Number(process.env.BENCH_ESTATES ?? 8);
const LAYERS = 5;
const WIDTH = 10;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);
const DATA_DIR = fileURLToPath(new URL('../../.data/cluster-bench/', import.meta.url));
const SECRET = 'bench-cluster-webhook-secret';
const API_KEY = { id: 'bench-cluster', secret: randomBytes(16).toString('hex') };
const BURST_TIMEOUT_MS = 300_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds a process has used so far (user + system; 0 when gone). */
function cpuSeconds(pid: number | null): number {
  if (pid === null) return 0;
  try {
    // Fields after the command name: state is field 3, utime 14, stime 15 (clock ticks of 1/100 s).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** PostgreSQL: the postmaster and its children (backends, writers). */
function postgresCpuSeconds(postmaster: number | null): number {
  if (postmaster === null) return 0;
  let total = cpuSeconds(postmaster);
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (ppid === postmaster) total += cpuSeconds(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** ESTATES disjoint layered estates `e<k>-...`, each with its own root. */
function burstEstate(): { stacks: EstateStack[]; roots: string[] } {
  const stacks: EstateStack[] = [];
  const roots: string[] = [];
  for (let e = 0; e < ESTATES; e++) {
    const root = `e${e}-root`;
    roots.push(root);
    stacks.push({ id: root, labels: [] });
    const id = (layer: number, at: number) => `e${e}-l${layer}-s${at % WIDTH}`;
    for (let layer = 1; layer <= LAYERS; layer++) {
      for (let at = 0; at < WIDTH; at++) {
        const ups =
          layer === 1
            ? [root]
            : [...new Set([id(layer - 1, at), id(layer - 1, at + 1), id(layer - 1, at + 7)])];
        stacks.push({ id: id(layer, at), labels: ups.map((u) => `dependsOn:${u}`) });
      }
    }
  }
  return { stacks, roots };
}

async function burst(cluster: LocalCluster, workers: number, repeat: number): Promise<BurstResult> {
  const { stacks, roots } = burstEstate();
  const upstreams = upstreamMap(stacks);
  const receiverPort = await freePort();
  const sim = await startSimulator({
    stateDurationMs: 0,
    seed: { stacks },
    apiKey: API_KEY,
    webhooks: { urls: [`http://127.0.0.1:${receiverPort}/webhook`], secret: SECRET, retryBackoffMs: 1_000 },
  });
  const taskQueue = `bench-cluster-${randomBytes(3).toString('hex')}`;
  const env = (extra: Record<string, string> = {}) =>
    cleanEnv({
      TEMPORAL_ADDRESS: cluster.address,
      CASCADE_TASK_QUEUE: taskQueue,
      // One estate coordinator per burst: the previous burst's lives on its own task queue.
      CASCADE_ESTATE_ID: `estate-${taskQueue}`,
      SPACELIFT_BASE_URL: sim.baseUrl,
      SPACELIFT_KEY_ID: API_KEY.id,
      SPACELIFT_KEY_SECRET: API_KEY.secret,
      SPACELIFT_WEBHOOK_SECRET: SECRET,
      CASCADE_MAX_PARALLEL: '100',
      CASCADE_POLL_INTERVAL_MS: '5000',
      CASCADE_DATA_DIR: DATA_DIR,
      LOG_LEVEL: 'warn',
      ...extra,
    });
  const logs = join(DATA_DIR, 'service-logs');
  const processes = [
    new CascadeProcess(
      'receiver',
      'webhook',
      env({ HOST: '127.0.0.1', PORT: String(receiverPort) }),
      join(logs, 'receiver.log'),
    ),
    ...Array.from(
      { length: workers },
      (_, i) => new CascadeProcess(`worker-${i}`, 'worker', env(), join(logs, `worker-${i}.log`)),
    ),
  ];
  const recorder = new RunRecorder(sim.store);
  try {
    await Promise.all(processes.map((p) => p.start()));
    // Let the pollers reach the server, as on workers that have been up for a while.
    await sleep(2_000);
    const cpu = () => {
      const parts: Record<string, number> = { postgresql: postgresCpuSeconds(cluster.postgresPid()) };
      for (const service of TEMPORAL_SERVICES)
        parts[`temporal-${service}`] = cpuSeconds(cluster.servicePid(service));
      for (const p of processes) parts[p.name] = cpuSeconds(p.pid);
      const own = process.cpuUsage();
      parts.bench = (own.user + own.system) / 1e6;
      return parts;
    };
    const cpuBefore = cpu();
    const pushedAt = Date.now();
    const pushes = roots.map((root) =>
      sim.store.triggerRun(root, { type: 'TRACKED', triggeredBy: 'bench-push' }),
    );
    const deadline = Date.now() + BURST_TIMEOUT_MS;
    while ([...recorder.runs.values()].filter((r) => r.endState === 'FINISHED').length < stacks.length) {
      if (Date.now() > deadline)
        throw new Error(`burst with ${workers} worker(s): not done after ${BURST_TIMEOUT_MS} ms`);
      await sleep(50);
    }
    const runs = [...recorder.runs.values()];
    const makespanMs = Math.max(...runs.map((r) => r.endedAt!)) - pushedAt;
    const cpuAfter = cpu();
    const cpuSecondsUsed = Object.fromEntries(
      Object.entries(cpuAfter).map(([part, s]) => [part, round(s - (cpuBefore[part] ?? 0))]),
    );
    await sleep(2_000); // late duplicates would show in the check
    const all = [...recorder.runs.values()];
    const violations = roots.reduce((n, root, e) => {
      const mine = (r: StackRun) => r.stackId.startsWith(`e${e}-`);
      const sub = new Map([...upstreams].filter(([id]) => id.startsWith(`e${e}-`)));
      return (
        n +
        checkCascadeContract(sub, [{ stackId: root, runId: pushes[e]!.id }], all.filter(mine)).violations
          .length
      );
    }, 0);
    const endOf = new Map(all.map((r) => [r.stackId, r.endedAt!]));
    const latencies = all
      .filter((r) => (upstreams.get(r.stackId) ?? []).length > 0)
      .map((r) => r.createdAt - Math.max(...upstreams.get(r.stackId)!.map((u) => endOf.get(u)!)));
    return {
      workers,
      repeat,
      stacksRun: all.length - roots.length,
      makespanMs,
      runsPerSecond: round(((all.length - roots.length) / makespanMs) * 1000),
      triggerLatencyMs: percentiles(latencies),
      apiCalls: Object.values(sim.stats.apiCalls).reduce((a, b) => a + b, 0),
      violations,
      cpuSeconds: cpuSecondsUsed,
    };
  } finally {
    recorder.stop();
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await sim.close();
  }
}

async function main(): Promise<void> {
  const cluster = new LocalCluster({ dataDir: DATA_DIR, log: (line) => console.log(`[cluster] ${line}`) });
  const onExit = () => cluster.killNowSync();
  process.once('exit', onExit);
  await cluster.down();
  await rm(DATA_DIR, { recursive: true, force: true });
  await mkdir(join(DATA_DIR, 'service-logs'), { recursive: true });
  const started = Date.now();
  const rows: BurstResult[] = [];
  try {
    await cluster.up();
    // Warm-up (not recorded): the first burst pays for the cluster's caches and the namespace.
    await burst(cluster, 1, 0);
    // Interleaved, so a slow spell of a shared machine hits both settings alike.
    for (let repeat = 1; repeat <= REPEATS; repeat++) {
      for (const workers of [1, 2]) {
        const row = await burst(cluster, workers, repeat);
        rows.push(row);
        console.log(
          `${workers} worker(s), repeat ${repeat}: ${row.stacksRun} runs in ${row.makespanMs} ms ` +
            `(${row.runsPerSecond}/s), trigger latency p50 ${row.triggerLatencyMs.p50} ms p99 ${row.triggerLatencyMs.p99} ms, ` +
            `violations ${row.violations}; CPU s ${JSON.stringify(row.cpuSeconds)}`,
        );
      }
    }
  } finally {
    await cluster.down();
    process.off('exit', onExit);
  }
  const one = summarize(rows, 1);
  const two = summarize(rows, 2);
  const out = {
    benchmark: 'cluster',
    description: METHOD,
    settings: {
      estates: ESTATES,
      layers: LAYERS,
      width: WIDTH,
      stacksPerBurst: ESTATES * (1 + LAYERS * WIDTH),
      repeats: REPEATS,
      simulatorStateDurationMs: 0,
      cascadeMaxParallel: 100,
      receivers: 1,
    },
    machine: `${cpus().length} CPUs, shared; every component on this one machine`,
    node: process.version,
    temporal: `server ${cluster.binDir} (4 processes) on PostgreSQL 127.0.0.1:5433`,
    totalBenchSeconds: round((Date.now() - started) / 1000),
    baseline: { workers: 1, ...one },
    scaledOut: { workers: 2, ...two },
    speedup: round(one.makespanMsMean / two.makespanMsMean, 2),
    results: rows,
  };
  await mkdir(new URL('../results/', import.meta.url), { recursive: true });
  await writeFile(new URL('../results/cluster.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
  console.log(
    `1 worker: ${one.makespanMsMean} ms, 2 workers: ${two.makespanMsMean} ms (speedup ${out.speedup}); ` +
      `wrote bench/results/cluster.json (${out.totalBenchSeconds} s)`,
  );
  await rm(DATA_DIR, { recursive: true, force: true });
}

const METHOD =
  'A burst of changes on the local production shape (deploy/cluster: PostgreSQL + Temporal frontend, history, ' +
  'matching and worker as separate processes): independent layered estates, every root pushed at once in the ' +
  'simulator (zero-length runs), their FINISHED webhooks to one `spacelift-cascade webhook` process, cascades run by ' +
  'one or two `spacelift-cascade worker` processes on a fresh task queue. makespanMs: first push to the last ' +
  'dependent run FINISHED (simulator times). triggerLatencyMs: per stack, its run created minus the end of the last ' +
  "of its upstreams' runs. cpuSeconds: CPU each process used during the burst (/proc). Baseline: 1 worker, in the same run, interleaved with 2 workers; means over repeats (min and max beside). " +
  'violations: checkCascadeContract (test/cluster/contract-check.ts) per estate; 0 expected.';

await main();
