/**
 * The service's memory: `spacelift-cascade start` (the built bin, demo mode: embedded Temporal,
 * simulator, receiver, admin side and worker in one Node process) on a seeded estate, sampled
 * every second from /proc (VmRSS, RssAnon, RssFile) and from inside the process
 * (`process.memoryUsage()` of the main thread and of each worker thread, through a preloaded
 * probe): from spawn to "ready" (startup), while idle after it (before any cascade: before the
 * warm-up), while one pushed change cascades (`simulatorPush`, followed through the admin API's
 * cascade list once a second), and for a while after it (warmed up). Writes
 * bench/results/memory.json: per phase the median of the runs' medians and the min and max of
 * every sample, the peak, and what the file held before for the same estate size as `previous`.
 * Builds nothing: run `npm run build` first.
 *
 *   npm run build && node --conditions=source --import tsx bench/memory/run.ts
 *
 * BENCH_MEMORY_STACKS (default 306: the soak's estate; any other count: layered diamonds under
 * one root, as the cascade bench generates them), BENCH_MEMORY_RUNS (default 3),
 * BENCH_MEMORY_IDLE_SECONDS (default 15), BENCH_MEMORY_AFTER_SECONDS (default 60),
 * BENCH_MEMORY_CASCADE_TIMEOUT_SECONDS (default 900), BENCH_MEMORY_BIN (default this
 * repository's bin; another build's bin/spacelift-cascade.js, e.g. a copy of an earlier build,
 * compares them on the same machine in the same hour). The pushed change reaches about 80 stacks
 * at every size, so a larger estate measures the estate, not a larger cascade.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pushRequest } from '../../packages/simulator/src/run-source-commands.js';
import { sendSimulatorRequest } from '../../packages/simulator/src/simulator-requests.js';
import { ENDED_PHASES, type CascadeSummary } from '../../packages/cascade/src/cascade-contract.js';
import {
  cleanEnv,
  processesMentioning,
  quietServicePorts,
  track,
} from '../../packages/cascade/test/cli/cli-process.js';
import { estateWithPush } from '../estate-with-push.js';
import { percentile, round } from '../percentiles.js';

const STACKS = Number(process.env.BENCH_MEMORY_STACKS ?? 306);
const RUNS = Number(process.env.BENCH_MEMORY_RUNS ?? 3);
const IDLE_S = Number(process.env.BENCH_MEMORY_IDLE_SECONDS ?? 15);
const AFTER_S = Number(process.env.BENCH_MEMORY_AFTER_SECONDS ?? 60);
const CASCADE_TIMEOUT_S = Number(process.env.BENCH_MEMORY_CASCADE_TIMEOUT_SECONDS ?? 900);
const BIN =
  process.env.BENCH_MEMORY_BIN ??
  fileURLToPath(new URL('../../packages/cascade/bin/spacelift-cascade.js', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/', pathToFileURL(BIN)));
const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
const MB = 1024 * 1024;

if (!existsSync(join(DIST, 'cli.js'))) {
  console.error(
    `bench/memory: ${DIST}cli.js is missing: run \`npm run build\` first (the bench builds nothing).`,
  );
  process.exit(1);
}

const PHASES = ['startup', 'idle', 'cascade', 'after'] as const;
type Phase = (typeof PHASES)[number];

/** One reading of the service process. MB throughout. */
interface Sample {
  at: number;
  rss: number;
  rssAnon: number;
  rssFile: number;
}

/** One line the probe writes: `process.memoryUsage()` of one thread (0: the main thread). */
interface ProbeLine {
  thread: number;
  at: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/**
 * Preloaded into the service (`--import`; worker threads inherit it, so the workflow thread
 * reports its own isolate too): appends each thread's `process.memoryUsage()` every second.
 */
const PROBE = `import { appendFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
const file = process.env.BENCH_MEMORY_PROBE_FILE;
if (file) setInterval(() => appendFileSync(file, JSON.stringify({ thread: threadId, at: Date.now(), ...process.memoryUsage() }) + '\\n'), 1000).unref();
`;

async function readStatus(pid: number): Promise<Omit<Sample, 'at'> | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  if (!status) return null;
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  const mb = (field: string) => round(kb(field) / 1024);
  return { rss: mb('VmRSS'), rssAnon: mb('RssAnon'), rssFile: mb('RssFile') };
}

function spread(values: readonly number[]): { median: number; min: number; max: number } | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { median: round(percentile(sorted, 50)), min: round(sorted[0]!), max: round(sorted.at(-1)!) };
}

interface RunResult {
  samples: Sample[];
  probe: ProbeLine[];
  /** When each phase began (ms since the epoch); `done` ends the last. */
  marks: Record<Phase | 'done', number>;
  readyMs: number;
  cascadeMs: number;
  cascadePhase: string;
  cascadeStacks: number;
  devServerRssMb: number | null;
}

/** One service lifetime: start, idle, push, cascade, after; then stop. */
async function runOnce(run: number, seedFile: string, push: string): Promise<RunResult> {
  const dir = await mkdtemp(join(tmpdir(), 'cascade-memory-bench-'));
  const dataDir = join(dir, 'data');
  const probeFile = join(dir, 'probe.jsonl');
  await writeFile(join(dir, 'probe.mjs'), PROBE);
  const ports = await quietServicePorts();
  const startedAt = Date.now();
  const service = track(
    spawn(
      process.execPath,
      ['--import', join(dir, 'probe.mjs'), BIN, 'start', '--no-demo', '--seed', seedFile],
      {
        cwd: dir,
        env: {
          ...cleanEnv({ CASCADE_DATA_DIR: dataDir, BENCH_MEMORY_PROBE_FILE: probeFile }),
          ...ports,
          HOST: '127.0.0.1',
          // As the soak: short run states and up to 20 runs at once, so a cascade takes seconds.
          SIMULATOR_STATE_DURATION_MS: '100',
          CASCADE_MAX_PARALLEL: '20',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ),
  );
  const pid = service.child.pid!;
  const samples: Sample[] = [];
  const sampler = setInterval(() => {
    void readStatus(pid).then((s) => s && samples.push({ at: Date.now(), ...s }));
  }, 1000);
  try {
    await service.waitFor(/^spacelift-cascade is ready\./m, 180_000);
    const idle = Date.now();
    await sleep(IDLE_S * 1000);

    const pushedAt = Date.now();
    await sendSimulatorRequest(`http://127.0.0.1:${ports.SIMULATOR_PORT}`, pushRequest([push]));
    const admin = `http://127.0.0.1:${ports.CASCADE_ADMIN_PORT}`;
    let ended: CascadeSummary | null = null;
    while (!ended) {
      if (Date.now() - pushedAt > CASCADE_TIMEOUT_S * 1000)
        throw new Error(`no cascade from ${push} ended within ${CASCADE_TIMEOUT_S} s`);
      if (service.child.exitCode !== null)
        throw new Error(`the service exited:\n${service.stderr().slice(-3000)}`);
      await sleep(1000);
      const response = await fetch(`${admin}/api/cascades?limit=5`).catch(() => null);
      if (!response?.ok) continue;
      const { cascades } = (await response.json()) as { cascades: CascadeSummary[] };
      ended = cascades.find((c) => c.roots.includes(push) && ENDED_PHASES.includes(c.phase)) ?? null;
    }
    const after = Date.now();
    await sleep(AFTER_S * 1000);
    const marks = { startup: startedAt, idle, cascade: pushedAt, after, done: Date.now() };
    const devServer = (await processesMentioning(`${dataDir}/temporal/temporal.sqlite`))[0];
    const devServerRss = devServer ? await readStatus(Number(devServer.split(':')[0])) : null;
    console.log(
      `  run ${run}: ready after ${((idle - startedAt) / 1000).toFixed(1)} s; cascade ${ended.phase} over ${ended.total} stacks in ` +
        `${((after - pushedAt) / 1000).toFixed(1)} s; RSS last ${samples.at(-1)?.rss ?? '?'} MB, peak ${Math.max(...samples.map((s) => s.rss))} MB`,
    );
    const probe = (await readFile(probeFile, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ProbeLine);
    return {
      samples,
      probe,
      marks,
      readyMs: idle - startedAt,
      cascadeMs: after - pushedAt,
      cascadePhase: ended.phase,
      cascadeStacks: ended.total,
      devServerRssMb: devServerRss?.rss ?? null,
    };
  } finally {
    clearInterval(sampler);
    if (service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      await Promise.race([service.exited, sleep(20_000)]);
    }
    // Only if the service did not stop: nothing of this bench (its Temporal) outlives it.
    for (const line of await processesMentioning(dataDir))
      process.kill(Number(line.split(':')[0]), 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

/** Per phase, over every run: the median of the runs' medians, and the min and max of all samples. */
function summarize(runs: RunResult[]) {
  const across = (perRun: number[][]) => {
    const medians = perRun.map((values) => spread(values)?.median).filter((m) => m !== undefined);
    const all = perRun.flat();
    if (medians.length === 0 || all.length === 0) return null;
    return { median: spread(medians)!.median, min: round(Math.min(...all)), max: round(Math.max(...all)) };
  };
  const within = (run: RunResult, phase: Phase, at: number) => {
    const next = PHASES[PHASES.indexOf(phase) + 1] ?? 'done';
    return at >= run.marks[phase] && at < run.marks[next];
  };
  return Object.fromEntries(
    PHASES.map((phase) => {
      const own = runs.map((r) => r.samples.filter((s) => within(r, phase, s.at)));
      const probe = runs.map((r) => r.probe.filter((p) => within(r, phase, p.at)));
      const main = probe.map((lines) => lines.filter((p) => p.thread === 0));
      // Each worker thread's isolate (the workflow thread; any other), by thread id.
      const threads = [...new Set(probe.flat().map((p) => p.thread))]
        .filter((t) => t !== 0)
        .sort((a, b) => a - b);
      const workerHeaps = Object.fromEntries(
        threads.map((t) => [
          `thread ${t}`,
          across(probe.map((lines) => lines.filter((p) => p.thread === t).map((p) => p.heapTotal / MB))),
        ]),
      );
      return [
        phase,
        {
          samples: own.reduce((n, s) => n + s.length, 0),
          rssMb: across(own.map((s) => s.map((x) => x.rss))),
          rssAnonMb: across(own.map((s) => s.map((x) => x.rssAnon))),
          rssFileMb: across(own.map((s) => s.map((x) => x.rssFile))),
          mainThread: {
            heapUsedMb: across(main.map((m) => m.map((p) => p.heapUsed / MB))),
            heapTotalMb: across(main.map((m) => m.map((p) => p.heapTotal / MB))),
            externalMb: across(main.map((m) => m.map((p) => p.external / MB))),
            arrayBuffersMb: across(main.map((m) => m.map((p) => p.arrayBuffers / MB))),
          },
          workerThreadsHeapTotalMb: workerHeaps,
        },
      ];
    }),
  );
}

const { stacks, push } = estateWithPush(STACKS);
const work = await mkdtemp(join(tmpdir(), 'cascade-memory-seed-'));
const seedFile = join(work, 'seed.json');
await writeFile(seedFile, JSON.stringify({ stacks }));
console.log(
  `memory: ${stacks.length} stacks, push ${push}, ${RUNS} runs (idle ${IDLE_S} s, after ${AFTER_S} s)`,
);
const runs: RunResult[] = [];
try {
  for (let run = 1; run <= RUNS; run++) runs.push(await runOnce(run, seedFile, push));
} finally {
  await rm(work, { recursive: true, force: true });
}

const phases = summarize(runs);
const result = {
  date: new Date().toISOString(),
  commit: spawnSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).stdout.trim(),
  bin: BIN,
  stacks: stacks.length,
  pushed: push,
  runs: RUNS,
  workflowBundle: existsSync(join(DIST, 'workflow-bundle.js'))
    ? 'prebuilt (dist/workflow-bundle.js)'
    : 'built at start',
  readySeconds: spread(runs.map((r) => r.readyMs / 1000)),
  cascadeSeconds: spread(runs.map((r) => r.cascadeMs / 1000)),
  cascadeStacks: runs.map((r) => r.cascadeStacks),
  cascadePhases: runs.map((r) => r.cascadePhase),
  peakRssMb: spread(runs.map((r) => Math.max(...r.samples.map((s) => s.rss)))),
  devServerRssMb: spread(runs.flatMap((r) => (r.devServerRssMb === null ? [] : [r.devServerRssMb]))),
  phases,
};

const row = (name: string, s: { median: number; min: number; max: number } | null) =>
  `${name.padEnd(34)} ${s ? `${s.median.toFixed(1).padStart(7)}  (${s.min.toFixed(1)}-${s.max.toFixed(1)})` : '-'}`;
console.log('');
for (const phase of PHASES) {
  const p = phases[phase]!;
  console.log(row(`${phase}: RSS MB`, p.rssMb));
  console.log(row(`${phase}:   anonymous / file-backed`, p.rssAnonMb), row('', p.rssFileMb).trim());
  console.log(
    row(`${phase}:   main heap used / total`, p.mainThread.heapUsedMb),
    row('', p.mainThread.heapTotalMb).trim(),
  );
  console.log(
    row(`${phase}:   external / array buffers`, p.mainThread.externalMb),
    row('', p.mainThread.arrayBuffersMb).trim(),
  );
  for (const [thread, heap] of Object.entries(p.workerThreadsHeapTotalMb))
    console.log(row(`${phase}:   ${thread} heap total`, heap));
}
console.log(row('peak RSS MB', result.peakRssMb));
console.log(row('embedded Temporal (own process) MB', result.devServerRssMb));

const file = join(RESULTS, 'memory.json');
const before = existsSync(file)
  ? (JSON.parse(await readFile(file, 'utf8')) as { results?: Record<string, unknown>; previous?: unknown })
  : null;
const key = String(stacks.length);
const output = {
  benchmark:
    'memory: RSS of the spacelift-cascade start process (demo mode, built bin) idle, during one cascade and after it',
  date: new Date().toISOString(),
  node: process.version,
  note:
    "MB; per phase the median of the runs' medians, then the min and max of every 1 s sample; main thread and " +
    'worker threads from process.memoryUsage() (a preloaded probe); the embedded Temporal server is its own ' +
    'process, not counted in RSS; 2 cores shared with other work',
  // Each estate size keeps its own latest results; the ones this run replaced stay as `previous`.
  results: { ...(before?.results ?? {}), [key]: result },
  previous: before?.results?.[key]
    ? { ...(before.previous as object), [key]: before.results[key] }
    : before?.previous,
};
await mkdir(RESULTS, { recursive: true });
await writeFile(file, `${JSON.stringify(output, null, 2)}\n`);
console.log('\nwrote bench/results/memory.json');
