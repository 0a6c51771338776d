/**
 * The built `spacelift-cascade` bin's wall time per command, against `node -e 0` in the same run:
 * `--help` and `--version` (budget 0.3 s), and `graph`, `plan <root>`, `cascades list` and
 * `cascades status <id>` (budget 0.6 s) against a demo service this bench starts itself (demo
 * mode, free ports, a temporary data folder the other commands join through its demo.env).
 * Writes bench/results/cli.json: per command the median, min, p25, p75 and max, and the
 * median's ratio to `node -e 0`. Builds nothing: run `npm run build` first.
 *
 *   npm run build && node --conditions=source --import tsx bench/cli/run.ts
 *
 * CLI_BENCH_REPEATS (default 7): runs per command, interleaved (one of each command per round),
 * so load from other work on the machine falls on every command alike.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  cleanEnv,
  processesMentioning,
  quietServicePorts,
  track,
  type Spawned,
} from '../../packages/cascade/test/cli/cli-process.js';
import { percentile, round } from '../percentiles.js';

const REPEATS = Number(process.env.CLI_BENCH_REPEATS ?? 7);
const BIN = fileURLToPath(new URL('../../packages/cascade/bin/spacelift-cascade.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../../packages/cascade/dist/cli.js', import.meta.url));
const BUDGET_MS = { startup: 300, service: 600 } as const;

if (!existsSync(BUILT)) {
  console.error(`bench/cli: ${BUILT} is missing: run \`npm run build\` first (the bench builds nothing).`);
  process.exit(1);
}

interface Case {
  /** What the row is called (placeholders for the ids this run used, which `argv` holds). */
  name: string;
  argv: string[];
  budgetMs: number | null;
}

interface Timed {
  ms: number;
  code: number | string;
  stderr: string;
}

/** Wall time of one process, from spawn to exit (output read and dropped). */
function timed(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      resolve({ ms: performance.now() - started, code: code ?? signal ?? 'unknown', stderr }),
    );
  });
}

function spread(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: round(percentile(sorted, 50)),
    min: round(sorted[0]!),
    p25: round(percentile(sorted, 25)),
    p75: round(percentile(sorted, 75)),
    max: round(sorted.at(-1)!),
  };
}

const dir = await mkdtemp(join(tmpdir(), 'cascade-cli-bench-'));
const dataDir = join(dir, 'data');
// No setting of the developer's shell or .env reaches the commands: a clean env, an empty folder as cwd.
const env = cleanEnv({ CASCADE_DATA_DIR: dataDir });
let service: Spawned | null = null;
try {
  const ports = await quietServicePorts();
  console.log(`cli: starting a demo service (${JSON.stringify(ports)}, data folder ${dataDir})`);
  const startedAt = performance.now();
  service = track(
    spawn(process.execPath, [BIN, 'start'], {
      cwd: dir,
      env: {
        ...env,
        ...ports,
        HOST: '127.0.0.1',
        SIMULATOR_STATE_DURATION_MS: '20',
        CASCADE_POLL_INTERVAL_MS: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  await service.waitFor(/^spacelift-cascade is ready\. Press Ctrl-C to stop\.$/m, 120_000);
  const [, root] = await service.waitFor(/^Demo: pushed one commit changing "(\S+)"/m, 60_000);
  const [, cascadeId] = await service.waitFor(/^Demo: cascade (cascade-\S+) from /m, 120_000);
  console.log(
    `cli: service ready and demo cascade ${cascadeId} over after ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
  );

  const cases: Case[] = [
    { name: 'node -e 0', argv: ['-e', '0'], budgetMs: null },
    { name: '--help', argv: [BIN, '--help'], budgetMs: BUDGET_MS.startup },
    { name: '--version', argv: [BIN, '--version'], budgetMs: BUDGET_MS.startup },
    { name: 'graph', argv: [BIN, 'graph'], budgetMs: BUDGET_MS.service },
    { name: 'plan <root>', argv: [BIN, 'plan', root!], budgetMs: BUDGET_MS.service },
    { name: 'cascades list', argv: [BIN, 'cascades', 'list'], budgetMs: BUDGET_MS.service },
    {
      name: 'cascades status <id>',
      argv: [BIN, 'cascades', 'status', cascadeId!],
      budgetMs: BUDGET_MS.service,
    },
  ];
  // One untimed run of each first: the OS's file cache, not the CLI, would pay the first load.
  const failures = new Map<string, Timed>();
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let round = -1; round < REPEATS; round++) {
    for (const c of cases) {
      const t = await timed(c.argv, dir, env);
      if (t.code !== 0) failures.set(c.name, t);
      else if (round >= 0) samples.get(c.name)!.push(t.ms);
    }
  }

  const baseline = spread(samples.get('node -e 0')!).median;
  const results = cases.map((c) => {
    const ms = samples.get(c.name)!;
    const failed = failures.get(c.name);
    const s = ms.length > 0 ? spread(ms) : null;
    return {
      command: c.name,
      args: c.argv.slice(c.argv[0] === BIN ? 1 : 0),
      runs: ms.length,
      ms: s,
      ratioToNode: s && round(s.median / baseline, 1),
      budgetMs: c.budgetMs,
      withinBudget: s && c.budgetMs !== null ? s.median <= c.budgetMs : null,
      failed: failed ? { exitCode: failed.code, stderr: failed.stderr.trim().slice(-500) } : null,
    };
  });

  const cell = (v: number, width: number) => v.toFixed(1).padStart(width);
  console.log('');
  console.log(
    `${'command'.padEnd(22)} ${'median'.padStart(7)}  ${['min', 'p25', 'p75', 'max'].map((h) => h.padStart(6)).join(' ')}  ratio  budget`,
  );
  for (const r of results) {
    if (r.ms === null || r.ratioToNode === null) {
      console.log(
        `${r.command.padEnd(22)} FAILED (exit ${String(r.failed?.exitCode)}): ${r.failed?.stderr.split('\n')[0]}`,
      );
      continue;
    }
    const { median, min, p25, p75, max } = r.ms;
    const budget = r.budgetMs === null ? '' : `${r.withinBudget ? 'ok' : 'OVER'} ${r.budgetMs}`;
    console.log(
      `${r.command.padEnd(22)} ${cell(median, 7)}  ${[min, p25, p75, max].map((v) => cell(v, 6)).join(' ')}  ${cell(r.ratioToNode, 5)}  ${budget}`,
    );
  }

  const output = {
    benchmark: 'cli: wall time of the built spacelift-cascade bin per command, against node -e 0',
    date: new Date().toISOString(),
    node: process.version,
    repeats: REPEATS,
    note:
      "ms from spawn to exit, one untimed warm-up run each (it also fills Node's compile cache, which the bin enables), " +
      'commands interleaved round by round; graph, plan and ' +
      'cascades against a demo service started by the bench (joined through its data folder); 2 cores shared with other work',
    results,
  };
  const out = fileURLToPath(new URL('../results/', import.meta.url));
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'cli.json'), `${JSON.stringify(output, null, 2)}\n`);
  console.log('\nwrote bench/results/cli.json');
  process.exitCode = failures.size === 0 ? 0 : 1;
} finally {
  if (service && service.child.exitCode === null) {
    service.child.kill('SIGTERM');
    await Promise.race([service.exited, new Promise((r) => setTimeout(r, 20_000))]);
  }
  // Only if the service did not stop: nothing of this bench (its Temporal) outlives it.
  for (const line of await processesMentioning(dataDir)) process.kill(Number(line.split(':')[0]), 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
}
