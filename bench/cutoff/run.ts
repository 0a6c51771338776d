/**
 * Early cutoff (issue 19) on the product path: a layered 1,000-stack estate (layers of about 32
 * stacks, each depending on two neighbours of the layer above) whose stacks' runs change nothing
 * with probability 0.5 and 0.9 (each stack drawn once, seeded: `NO_CHANGES`, or `FINISHED` with
 * a resource change). For each probability, two fresh estates, one with early cutoff and one with
 * `CASCADE_CUTOFF=off`, get the same two pushes to the root: a first one that runs the whole
 * estate (no outputs were read before it: every run is a change) and takes the baselines, then
 * the measured one. Reported per case: the runs made and the wall time of the measured push
 * (from the push to the last run's end and the cascade's end), the floor (the runs the rule
 * allows: a stack runs when one of its upstreams ran and changed something), and the API calls
 * of the measured push per run made (triggers, outputs reads, polls, searches).
 *
 * Run: node --conditions=source --import tsx bench/cutoff/run.ts. BENCH_SEED, BENCH_STACKS
 * (1000). Writes bench/results/cutoff.json.
 */
import { randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { seededRandom } from 'spacelift-simulator';
import type { CascadeOptions } from '../../packages/cascade/src/cascade-contract.js';
import { RunRecorder } from '../../test/cluster/cluster-harness.js';
import { generateStacks, LABEL_PREFIX, ROOT_STACK, type BenchStack } from '../cascade/graph-shapes.js';
import { BenchTemporal, type Estate } from '../cascade/product-path.js';

const STACKS = Number(process.env.BENCH_STACKS ?? 1_000);
const SEED = Number(process.env.BENCH_SEED ?? randomInt(1, 2 ** 31));
const NO_CHANGE_PROBABILITIES = [0.5, 0.9];
const STALL_MS = 300_000;
const QUIET_MS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

const baseOptions: CascadeOptions = {
  labelPrefix: LABEL_PREFIX,
  maxParallel: 100,
  runType: 'TRACKED',
  pollIntervalMs: 30_000,
  reconcileIntervalMs: 600_000,
  runUrlBase: 'https://bench.app.spacelift.io',
  driftRuns: 'cascade',
};

/** A bench stack as the simulator seeds it: how its runs end, and outputs to read. */
type SeededStack = BenchStack & {
  outcome: 'FINISHED' | 'NO_CHANGES';
  changesOutputs: number;
  outputs: Array<{ id: string; value: string }>;
};

/** The estate with each stack's runs changing nothing with probability `p` (the root's always change). */
function estateOf(p: number): SeededStack[] {
  const random = seededRandom(SEED);
  return generateStacks('layered-diamonds', STACKS).map((s) => ({
    ...s,
    outcome: s.id !== ROOT_STACK && random() < p ? 'NO_CHANGES' : 'FINISHED',
    changesOutputs: 0,
    outputs: [{ id: 'id', value: `${s.id}-0a1b2c` }],
  }));
}

/** The runs the rule allows after a push to the root: a stack runs when an upstream ran and changed. */
function floorOf(stacks: SeededStack[]): number {
  const changes = new Map<string, boolean>([[ROOT_STACK, true]]);
  let runs = 0;
  // generateStacks lists every stack after its upstreams.
  for (const s of stacks) {
    if (s.id === ROOT_STACK) continue;
    const ups = s.labels.map((l) => l.slice(LABEL_PREFIX.length));
    const runsNow = ups.some((u) => changes.get(u) === true);
    if (runsNow) runs++;
    changes.set(s.id, runsNow && s.outcome === 'FINISHED');
  }
  return runs;
}

/** Pushes the root and waits until nothing runs and no cascade is under way; runs made and time taken. */
async function push(estate: Estate, recorder: RunRecorder): Promise<{ runs: number; wallMs: number }> {
  const { sim, coordinator } = estate;
  const started = Date.now();
  await sim.triggerRun(ROOT_STACK);
  let lastEnd = started;
  for (;;) {
    await sleep(200);
    const runs = recorder.since(started);
    // Quiet for a second: no run between two waves of the cascade is taken for its end.
    if (
      runs.length === 0 ||
      recorder.inProgress().length > 0 ||
      Date.now() - recorder.lastChange < QUIET_MS
    ) {
      if (Date.now() - recorder.lastChange > STALL_MS) throw new Error('the cascade did not settle');
      continue;
    }
    lastEnd = Math.max(...runs.map((r) => r.endedAt ?? 0));
    const cascades = await coordinator.cascades(50);
    if (cascades.some((c) => c.phase === 'running' || c.phase === 'held')) continue;
    // The root's run is the push, not a run of the cascade.
    return { runs: runs.length - 1, wallMs: lastEnd - started };
  }
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

const temporal = await BenchTemporal.start();
try {
  const cases = [];
  for (const p of NO_CHANGE_PROBABILITIES) {
    const stacks = estateOf(p);
    const floor = floorOf(stacks);
    for (const cutoff of [true, false]) {
      const options = { ...baseOptions, cutoff };
      const result = await temporal.withEstate(stacks, { options, stateDurationMs: 0 }, async (estate) => {
        const recorder = new RunRecorder(estate.sim);
        try {
          const warmUp = await push(estate, recorder);
          const before = (await estate.sim.stats()).apiCalls;
          const measured = await push(estate, recorder);
          const after = (await estate.sim.stats()).apiCalls;
          const calls = Object.fromEntries(
            Object.entries(after)
              .map(([op, n]) => [op, n - (before[op] ?? 0)] as const)
              .filter(([, n]) => n > 0),
          );
          const counts = (await estate.coordinator.estate()).cutoff;
          return { warmUpRuns: warmUp.runs, ...measured, calls, counts };
        } finally {
          recorder.stop();
        }
      });
      const line = {
        noChangeProbability: p,
        cutoff,
        runsMade: result.runs,
        floor,
        wallMs: result.wallMs,
        warmUpRuns: result.warmUpRuns,
        apiCalls: sum(result.calls),
        apiCallsPerRunMade: Number((sum(result.calls) / Math.max(1, result.runs)).toFixed(2)),
        apiCallsByOperation: result.calls,
        coordinatorCounts: result.counts ?? null,
      };
      console.log(JSON.stringify(line));
      cases.push(line);
    }
  }
  const out = { seed: SEED, stacks: STACKS + 1, shape: 'layered-diamonds', cases };
  await mkdir(new URL('../results/', import.meta.url), { recursive: true });
  await writeFile(new URL('../results/cutoff.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
} finally {
  await temporal.close();
}
