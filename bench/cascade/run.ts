/**
 * The estate coordinator measured against issue 8's performance targets, each beside a
 * baseline measured in the same run, on the product path of `product-path.ts` (simulator ->
 * signed webhooks -> receiver -> Temporal dev server -> worker -> simulator API), a fresh
 * estate per case:
 *
 * - shapes: chain, fan-out and layered diamonds of BENCH_SIZES stacks below a root, zero-length
 *   runs, against the plain script of `script-baseline.ts` on the same shape;
 * - critical path: layered diamonds of 200 stacks, 1 s per run state, against the critical
 *   path of the simulator's own run times;
 * - burst: 200 pushes at random stacks over 20 s on 1,000 layered stacks, checked with
 *   `contract-oracle.ts`;
 * - API calls of the 1,000-stack layered change against the issue's bound;
 * - long (BENCH_LONG=1): 10,000 layered stacks, the coordinator's history across continue-as-new.
 *
 * Run: node --conditions=source --import tsx bench/cascade/run.ts. Writes bench/results/cascade.json.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { Spacelift, apiKeyIdentity } from 'spacelift-client';
// The simulator's mulberry32, so a burst replays from its printed seed.
import { seededRandom } from 'spacelift-simulator';
import type { CascadeOptions } from '../../packages/cascade/src/cascade-contract.js';
import { RunRecorder } from '../../test/cluster/cluster-harness.js';
import { round } from '../percentiles.js';
import { checkOverlappingChanges } from './contract-oracle.js';
import {
  generateStacks,
  LABEL_PREFIX,
  ROOT_STACK,
  SHAPES,
  type BenchStack,
  type Shape,
} from './graph-shapes.js';
import { BenchTemporal, type CoordinatorRun } from './product-path.js';
import { RunTracker } from './run-tracker.js';
import { startScriptBaseline } from './script-baseline.js';
import { ThreadedSimulator } from './threaded-simulator.js';

const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
/** Times each shape and size runs (script and cascade alternating); rows report medians. */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
/** Shapes to run (all by default), e.g. BENCH_SHAPES=chain. */
const SHAPES_RUN = (process.env.BENCH_SHAPES?.split(',') ?? SHAPES).map((s) => {
  if (!(SHAPES as readonly string[]).includes(s))
    throw new Error(`BENCH_SHAPES: unknown shape ${s} (one of ${SHAPES.join(', ')})`);
  return s as Shape;
});
const LONG = process.env.BENCH_LONG === '1';
/** Cases to run (all by default; `long` only with BENCH_LONG=1). */
const CASES = new Set((process.env.BENCH_CASES ?? 'burst,critical-path,shapes').split(','));
if (LONG) CASES.add('long');
/** Runs of ours at once, estate-wide; the script gets the same limit. */
const MAX_PARALLEL = 100;
const LONG_SIZE = 10_000;
const CRITICAL_PATH_SIZE = 200;
const BURST = { stacks: 1_000, pushes: 200, overMs: 20_000 };
const BURST_SEED = Number(process.env.BENCH_SEED ?? randomInt(1, 2 ** 31));
/** Temporal's history warning level: no coordinator run may pass it. */
const HISTORY_WARNING = 10_240;
const STALL_MS = 120_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Production defaults but the parallelism: polls after 30 s of silence, a pass every 60 s. */
const options: CascadeOptions = {
  labelPrefix: LABEL_PREFIX,
  maxParallel: MAX_PARALLEL,
  runType: 'TRACKED',
  pollIntervalMs: 30_000,
  reconcileIntervalMs: 60_000,
  runUrlBase: 'https://bench.app.spacelift.io',
  driftRuns: 'cascade',
};

const elapsed = (since: number) => round((performance.now() - since) / 1000);
const diff = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([op, n]) => [op, n - (before[op] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
const sum = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

const upstreamMap = (stacks: BenchStack[]) =>
  new Map(stacks.map((s) => [s.id, s.labels.map((l) => l.slice(LABEL_PREFIX.length))]));

function historySummary(runs: CoordinatorRun[]) {
  return {
    coordinatorRuns: runs.length,
    continueAsNews: runs.length - 1,
    maxHistoryLength: Math.max(...runs.map((r) => r.historyLength)),
    historyLengths: runs.map((r) => r.historyLength),
    maxSnapshotBytes: Math.max(...runs.map((r) => r.inputBytes)),
  };
}

/** Every dependent stack ran exactly once (the shapes' single change). */
function runsPerStack(
  runs: Iterable<{ stackId: string }>,
  stacks: BenchStack[],
): { min: number; max: number } {
  const count = new Map<string, number>();
  for (const r of runs) count.set(r.stackId, (count.get(r.stackId) ?? 0) + 1);
  const counts = stacks.slice(1).map((s) => count.get(s.id) ?? 0);
  return { min: Math.min(...counts), max: Math.max(...counts) };
}

/** One change of the root on a fresh estate: root FINISHED to the last dependent FINISHED. */
async function cascadeCase(temporal: BenchTemporal, stacks: BenchStack[], stateDurationMs: number) {
  return temporal.withEstate(stacks, { options, stateDurationMs }, async (estate) => {
    const tracker = new RunTracker(estate.sim, stacks.length - 1, STALL_MS);
    const recorder = new RunRecorder(estate.sim);
    await estate.sim.triggerRun(ROOT_STACK);
    await tracker.allFinished();
    recorder.stop();
    const stats = await estate.sim.stats();
    const calls = diff(stats.apiCalls, estate.callsWhenReady);
    return {
      wallMs: round(tracker.cascadeMs),
      runsPerStack: runsPerStack(recorder.runs.values(), stacks),
      apiCallsGraphRead: { ...estate.callsWhenReady },
      apiCallsDuringChange: calls,
      deliveries: stats.deliveries,
      history: historySummary(await temporal.coordinatorRuns(estate.coordinator.ref.estateId)),
      runs: [...recorder.runs.values()],
    };
  });
}

/** The plain script on a fresh simulator, same shape, same limit. */
async function scriptCase(stacks: BenchStack[]): Promise<number> {
  const apiKey = { id: 'bench-script', secret: randomBytes(16).toString('hex') };
  const secret = 'bench-script-secret';
  let api: Spacelift | null = null;
  const script = await startScriptBaseline({
    api: () => api!,
    secret,
    identity: apiKeyIdentity(apiKey.id),
    maxParallel: MAX_PARALLEL,
  });
  const sim = await ThreadedSimulator.start({
    stateDurationMs: 0,
    stacks,
    apiKey,
    webhooks: { urls: [script.url], secret },
  });
  api = new Spacelift({ baseUrl: sim.baseUrl, keyId: apiKey.id, keySecret: apiKey.secret });
  try {
    const tracker = new RunTracker(sim, stacks.length - 1, STALL_MS);
    await sim.triggerRun(ROOT_STACK);
    await Promise.all([tracker.allFinished(), script.done]);
    return round(tracker.cascadeMs);
  } finally {
    await sim.close();
    await script.close();
  }
}

async function shapes(temporal: BenchTemporal) {
  const rows = [];
  for (const size of SIZES) {
    for (const shape of SHAPES_RUN) {
      const stacks = generateStacks(shape, size);
      // Script and cascade alternate, REPEATS times: the medians, so one noisy moment of a
      // shared machine does not decide the ratio.
      const samples = [];
      for (let i = 0; i < REPEATS; i++) {
        const scriptMs = await scriptCase(stacks);
        const { runs: _runs, ...cascade } = await cascadeCase(temporal, stacks, 0);
        samples.push({ scriptMs, cascade });
      }
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      const cascadeMs = median(samples.map((s) => s.cascade.wallMs));
      const scriptMs = median(samples.map((s) => s.scriptMs));
      const row = {
        shape,
        stacks: size,
        cascadeMs,
        scriptMs,
        ratioToScript: round(cascadeMs / scriptMs, 2),
        overheadPerStackMs: round(cascadeMs / size, 1),
        repeats: samples.map((s) => ({ cascadeMs: s.cascade.wallMs, scriptMs: s.scriptMs })),
        // The rest from the repeat whose cascade was the median.
        ...samples.find((s) => s.cascade.wallMs === cascadeMs)!.cascade,
      };
      rows.push(row);
      console.log(
        `${shape.padEnd(16)} ${String(size).padStart(5)}: cascade ${row.cascadeMs} ms (${row.overheadPerStackMs} ms/stack), ` +
          `script ${scriptMs} ms, ratio ${row.ratioToScript} (medians of ${REPEATS}: ` +
          `${row.repeats.map((r) => `${r.cascadeMs}/${r.scriptMs}`).join(', ')}), max history ${row.history.maxHistoryLength}`,
      );
    }
  }
  return rows;
}

/** API calls of the 1,000-stack layered change against N triggers + ceil(M/50) pages + polls. */
function apiCallBound(row: Awaited<ReturnType<typeof shapes>>[number]) {
  const n = row.stacks;
  const m = row.stacks + 1;
  const calls = row.apiCallsDuringChange;
  const polls = calls.GetRun ?? 0;
  const bound = n + Math.ceil(m / 50) + polls;
  return {
    shape: row.shape,
    changedStacksN: n,
    estateStacksM: m,
    callsDuringChange: calls,
    totalDuringChange: sum(calls),
    bound,
    boundTerms: { triggers: n, searchPages: Math.ceil(m / 50), polls },
    withinBound: sum(calls) <= bound,
    graphReadBeforeTheChange: row.apiCallsGraphRead,
  };
}

/** Longest path of run durations (created to ended) through the estate, the root excluded. */
function criticalPath(stacks: BenchStack[], durationOf: Map<string, number>): number {
  const ups = upstreamMap(stacks);
  const memo = new Map<string, number>();
  const finish = (id: string): number => {
    if (id === ROOT_STACK) return 0;
    const known = memo.get(id);
    if (known !== undefined) return known;
    const value = Math.max(0, ...ups.get(id)!.map(finish)) + durationOf.get(id)!;
    memo.set(id, value);
    return value;
  };
  return Math.max(...stacks.map((s) => finish(s.id)));
}

async function criticalPathCase(temporal: BenchTemporal) {
  const stacks = generateStacks('layered-diamonds', CRITICAL_PATH_SIZE);
  const result = await cascadeCase(temporal, stacks, 1_000);
  const durations = new Map(
    result.runs.filter((r) => r.stackId !== ROOT_STACK).map((r) => [r.stackId, r.endedAt! - r.createdAt]),
  );
  const pathMs = criticalPath(stacks, durations);
  const width = Math.max(2, Math.round(Math.sqrt(CRITICAL_PATH_SIZE)));
  const depth = Math.ceil(CRITICAL_PATH_SIZE / width);
  const meanRunMs = [...durations.values()].reduce((a, b) => a + b, 0) / durations.size;
  const { runs: _runs, ...rest } = result;
  const out = {
    stacks: CRITICAL_PATH_SIZE,
    stateDurationMs: 1_000,
    criticalPathMs: pathMs,
    depth,
    meanRunMs: round(meanRunMs),
    depthTimesMeanRunMs: round(depth * meanRunMs),
    ratioToCriticalPath: round(result.wallMs / pathMs, 3),
    ...rest,
  };
  console.log(
    `critical path: ${out.wallMs} ms wall against ${pathMs} ms of runs (${depth} x ${out.meanRunMs} ms), ratio ${out.ratioToCriticalPath}`,
  );
  return out;
}

async function burstCase(temporal: BenchTemporal) {
  const stacks = generateStacks('layered-diamonds', BURST.stacks);
  const random = seededRandom(BURST_SEED);
  return temporal.withEstate(stacks, { options, stateDurationMs: 0 }, async (estate) => {
    const { sim } = estate;
    const recorder = new RunRecorder(sim);
    const triggeredBy = new Map<string, string | null>();
    const stopWatching = sim.onRunStateChange(({ run }) => triggeredBy.set(run.id, run.triggeredBy));
    const started = Date.now();
    const pushed: Array<{ id: string; stackId: string }> = [];
    for (let i = 0; i < BURST.pushes; i++) {
      await sleep(started + (i * BURST.overMs) / BURST.pushes - Date.now());
      const stack = stacks[Math.floor(random() * stacks.length)]!;
      pushed.push(await sim.triggerRun(stack.id));
    }
    // Settled: nothing in progress, nothing new for 3 s, no cascade running.
    for (;;) {
      await sleep(500);
      if (recorder.inProgress().length > 0 || Date.now() - recorder.lastChange < 3_000) continue;
      const cascades = await estate.coordinator.cascades(50);
      if (cascades.every((c) => c.phase !== 'running')) break;
      if (Date.now() - recorder.lastChange > STALL_MS) throw new Error('the burst did not settle');
    }
    recorder.stop();
    stopWatching();
    const { firstAccepted } = await sim.stats();
    const runs = [...recorder.runs.values()].map((r) => ({
      ...r,
      own: triggeredBy.get(r.runId) === estate.identity,
    }));
    const report = checkOverlappingChanges(upstreamMap(stacks), runs);
    const lastEnd = Math.max(...runs.map((r) => r.endedAt!));
    // Could the coordinator know? Its first signal of the upstream run came before it scheduled the trigger.
    const order = await temporal.decisionOrder(estate.coordinator.ref.estateId);
    const inFlight = report.startedInFlight.map((v) => {
      const accepted = firstAccepted[v.upstreamRunId];
      const created = runs.find((r) => r.runId === v.runId)!.createdAt;
      const told = order.firstSignal.get(v.upstreamRunId);
      const decided = order.triggered.get(v.runId);
      return {
        ...v,
        upstreamFirstDeliveryAcceptedAfterMs: accepted === undefined ? null : accepted - created,
        coordinatorKnewBeforeDeciding: told !== undefined && decided !== undefined && told < decided,
      };
    });
    const out = {
      seed: BURST_SEED,
      stacks: stacks.length,
      pushes: BURST.pushes,
      pushedStacksDistinct: new Set(pushed.map((p) => p.stackId)).size,
      wallMs: lastEnd - started,
      runsMade: report.runsMade,
      fewestAllowed: report.fewestAllowed,
      ownRuns: runs.filter((r) => r.own).length,
      extraRunsPerStackHistogram: report.extraHistogram,
      startedInFlightCount: report.startedInFlight.length,
      startedInFlightCoordinatorKnew: inFlight.filter((v) => v.coordinatorKnewBeforeDeciding).length,
      startedInFlight: inFlight.slice(0, 50),
      redundantRuns: report.redundant.length,
      redundantBySecondsRule: report.redundant.filter((r) => r.secondsRule).length,
      redundant: report.redundant.slice(0, 50),
      unservedStacks: report.unserved,
      underRunStacks: report.underRun,
      notFinished: report.notFinished,
      perStackOverFewest: report.overRun,
      history: historySummary(await temporal.coordinatorRuns(estate.coordinator.ref.estateId)),
    };
    console.log(
      `burst (seed ${BURST_SEED}): ${out.runsMade} runs, fewest allowed ${out.fewestAllowed}, ` +
        `started in flight ${out.startedInFlightCount} (coordinator knew: ${out.startedInFlightCoordinatorKnew}), redundant ${out.redundantRuns}, unserved ${out.unservedStacks.length}, ${out.wallMs} ms`,
    );
    return out;
  });
}

async function longCase(temporal: BenchTemporal) {
  const started = performance.now();
  const stacks = generateStacks('layered-diamonds', LONG_SIZE);
  const { runs: _runs, ...result } = await cascadeCase(temporal, stacks, 0);
  const out = {
    stacks: LONG_SIZE,
    ...result,
    underWarningLevel: result.history.maxHistoryLength <= HISTORY_WARNING,
    caseSeconds: elapsed(started),
  };
  console.log(
    `long: ${LONG_SIZE} stacks in ${out.wallMs} ms, ${out.history.continueAsNews} continue-as-new, ` +
      `max history ${out.history.maxHistoryLength}, max snapshot ${out.history.maxSnapshotBytes} bytes`,
  );
  return out;
}

const uptime = () => ({ at: new Date().toISOString(), loadavg: loadavg().map((n) => round(n, 2)) });

async function main(): Promise<void> {
  const began = performance.now();
  const load = [uptime()];
  console.log(`cascade bench: ${[...CASES].join(', ')}; sizes ${SIZES.join(',')}; burst seed ${BURST_SEED}`);
  const temporal = await BenchTemporal.start();
  let burst: Awaited<ReturnType<typeof burstCase>> | null = null;
  let criticalPathResult: Awaited<ReturnType<typeof criticalPathCase>> | null = null;
  let shapeRows: Awaited<ReturnType<typeof shapes>> = [];
  let long: Awaited<ReturnType<typeof longCase>> | null = null;
  // Written after every case, so a case that fails late keeps the others' numbers.
  const write = async () => {
    const layered = shapeRows.find((r) => r.shape === 'layered-diamonds' && r.stacks === 1_000);
    const row = (shape: Shape, size: number) => shapeRows.find((r) => r.shape === shape && r.stacks === size);
    const out = {
      benchmark: 'cascade',
      description: METHOD,
      settings: {
        cascadeOptions: options,
        maxParallelWhy:
          'one estate-wide limit of runs of ours at once; 100 lets orchestration, not the limit, bound zero-length runs ' +
          '(fan-out of 1,000 in 10 waves) while staying a limit a platform team would set; the script gets the same',
        cases: [...CASES],
        sizes: SIZES,
        shapes: SHAPES_RUN,
        criticalPath: { shape: 'layered-diamonds', stacks: CRITICAL_PATH_SIZE, stateDurationMs: 1_000 },
        burst: { ...BURST, shape: 'layered-diamonds', seed: BURST_SEED },
        long: LONG ? { shape: 'layered-diamonds', stacks: LONG_SIZE } : 'not run (BENCH_LONG=1)',
      },
      machine: `${cpus().length} CPUs, shared with other engineers; every component on this one machine`,
      loadAverages: load,
      node: process.version,
      temporal: 'temporal server start-dev (SQLite file in its own data folder), same machine',
      totalBenchSeconds: elapsed(began),
      targets: {
        chainOverheadPerStackMs: {
          target: '<= 50 ms at 1,000 (old design 294 ms)',
          measured: Object.fromEntries(SIZES.map((s) => [s, row('chain', s)?.overheadPerStackMs ?? null])),
          scriptPerStackMs: Object.fromEntries(
            SIZES.map((s) => [s, row('chain', s) ? round(row('chain', s)!.scriptMs / s, 1) : null]),
          ),
        },
        fanOutRatioToScript: {
          target: '<= 3 at 1,000',
          measured: row('fan-out', 1_000)?.ratioToScript ?? null,
        },
        layeredDiamondsRatioToScript: {
          target: '<= 3 at 1,000',
          measured: row('layered-diamonds', 1_000)?.ratioToScript ?? null,
        },
        criticalPathRatio: { target: '<= 1.05', measured: criticalPathResult?.ratioToCriticalPath ?? null },
        burstStartedInFlight: {
          target: '0',
          measured: burst?.startedInFlightCount ?? null,
          ofWhichTheCoordinatorKnewBeforeDeciding: burst?.startedInFlightCoordinatorKnew ?? null,
        },
        apiCalls: layered ? apiCallBound(layered) : 'needs size 1000 in BENCH_SIZES',
        longMaxHistory: long
          ? { target: `<= ${HISTORY_WARNING}`, measured: long.history.maxHistoryLength }
          : 'not run (BENCH_LONG=1)',
      },
      shapes: shapeRows,
      criticalPath: criticalPathResult,
      burst,
      long,
    };
    await mkdir(new URL('../results/', import.meta.url), { recursive: true });
    await writeFile(new URL('../results/cascade.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
    return out;
  };
  const measured = async <T>(name: string, run: () => Promise<T>): Promise<T | null> => {
    if (!CASES.has(name)) return null;
    const result = await run();
    load.push(uptime());
    return result;
  };
  try {
    burst = await measured('burst', () => burstCase(temporal));
    await write();
    criticalPathResult = await measured('critical-path', () => criticalPathCase(temporal));
    await write();
    shapeRows = (await measured('shapes', () => shapes(temporal))) ?? [];
    await write();
    long = await measured('long', () => longCase(temporal));
    const out = await write();
    console.log(`wrote bench/results/cascade.json (${out.totalBenchSeconds} s)`);
    console.log(JSON.stringify(out.targets, null, 2));
  } finally {
    await temporal.close();
  }
}

const METHOD = [
  'Product path: the simulator (zero-length runs unless stated) sends signed webhooks of every run state change to the real receiver ' +
    '(buildWebhookServer + TemporalCascadeGateway: signalWithStart of the estate coordinator, one per batch of significant deliveries that came together) on a ' +
    'Temporal dev server; a worker (createCascadeWorker, identity api::<key id>) triggers runs through the simulator API over HTTP. ' +
    'A fresh estate id, task queue, worker, receiver and simulator per case; the coordinator is configured and has read the graph ' +
    '(a stack query answers) before the change, and is terminated after. The simulator runs in a worker thread of its own (it stands for Spacelift, which runs elsewhere: its GraphQL, run lifecycles and webhook signing must not share the event loop of the receiver and worker measured), the rest in one Node process, the Temporal server apart; the plain script gets the same threaded simulator. Times are the simulator records of each transition (ms).',
  'shapes: a push of the root (store.triggerRun, triggeredBy null); wallMs = root run FINISHED to the last dependent run FINISHED, ' +
    'as the simulator records them; overheadPerStackMs = wallMs / stacks (runs are zero-length). scriptMs: the same for the plain ' +
    'script (script-baseline.ts: graph read once, each stack triggered when its upstreams FINISHED, webhooks only, same maxParallel) ' +
    'on a fresh simulator, run just before the cascade of the same shape and size; each shape and size BENCH_REPEATS times (default 5: the machine is shared), ' +
    'script and cascade alternating, the medians reported and every repeat listed.',
  "criticalPath: layered diamonds, 1 s per run state; criticalPathMs = the longest path through the estate of the runs' own " +
    'durations (created to FINISHED, simulator records, root excluded); wallMs as for shapes.',
  'burst: pushes at random stacks of the whole estate (seeded mulberry32, seed printed), evenly spread; settled when no run is in ' +
    "progress, none changed for 3 s and no cascade runs. Checked by contract-oracle.ts on the simulator's run records (ms times via " +
    'store.onRunStateChange): a change is a run ending FINISHED; a stack needs a run at each change of a transitive upstream; ' +
    'fewestAllowed per stack = pushes of it + 1 when its last need came after every push of it was created (offline lower bound: a run ' +
    'created after the last need serves all; the coordinator cannot know the future, so runs made above it are expected when a change ' +
    'lands while a run is in progress); startedInFlight = a cascade run created while a transitive upstream had a run created and not ' +
    "ended; each with when the receiver accepted that upstream run's first delivery (relative to the run's creation) and whether the " +
    "coordinator's history holds that run's first signal before the trigger's ActivityTaskScheduled (if not, it could not know: a " +
    'race with webhook latency that no orchestrator fed by webhooks avoids); redundant = a cascade run with no need since the previous run of the stack was created; unserved = a stack ' +
    'whose last need has no run created after it.',
  'apiCalls: sim.stats.apiCalls from the moment the coordinator had read the graph (the start-up read is listed apart) to the last ' +
    'run FINISHED of the 1,000-stack layered change; bound = N triggers + ceil(M/50) search pages + polls (GetRun calls).',
  "long: 10,000 layered stacks, one change of the root; every run of the coordinator's continue-as-new chain listed by workflow id, " +
    'its history length from describe and its input (the carried snapshot) size from its first event.',
].join(' ');

await main();
