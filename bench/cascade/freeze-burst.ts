/**
 * A freeze under load (issue 18): the burst of `run.ts` (200 pushes at random stacks over 20 s
 * on 1,000 layered stacks, on the product path) with the estate frozen from the middle of it.
 * Shows: no run of ours is created while frozen (past the triggers already on their way when the
 * freeze answered), the pushes of the second half only accumulate needs, and after the unfreeze
 * each waiting stack runs once, in order (checked with `contract-oracle.ts` over the whole burst).
 *
 * Run: node --conditions=source --import tsx bench/cascade/freeze-burst.ts. Writes
 * bench/results/cascade-freeze.json.
 */
import { randomInt } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { seededRandom } from 'spacelift-simulator';
import type { CascadeOptions } from '../../packages/cascade/src/cascade-contract.js';
import { RunRecorder } from '../../test/cluster/cluster-harness.js';
import { checkOverlappingChanges } from './contract-oracle.js';
import { generateStacks, LABEL_PREFIX } from './graph-shapes.js';
import { BenchTemporal } from './product-path.js';

const BURST = { stacks: 1_000, pushes: 200, overMs: 20_000 };
const SEED = Number(process.env.BENCH_SEED ?? randomInt(1, 2 ** 31));
/** How long the estate stays frozen after the last push. */
const HOLD_AFTER_PUSHES_MS = 5_000;
const STALL_MS = 120_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

const options: CascadeOptions = {
  labelPrefix: LABEL_PREFIX,
  maxParallel: 100,
  runType: 'TRACKED',
  pollIntervalMs: 30_000,
  reconcileIntervalMs: 60_000,
  runUrlBase: 'https://bench.app.spacelift.io',
  driftRuns: 'cascade',
};

const temporal = await BenchTemporal.start();
try {
  const stacks = generateStacks('layered-diamonds', BURST.stacks);
  const random = seededRandom(SEED);
  const out = await temporal.withEstate(stacks, { options, stateDurationMs: 0 }, async (estate) => {
    const { sim, coordinator } = estate;
    const recorder = new RunRecorder(sim);
    const triggeredBy = new Map<string, string | null>();
    const stopWatching = sim.onRunStateChange(({ run }) => triggeredBy.set(run.id, run.triggeredBy));
    const started = Date.now();
    let frozenAt = 0;
    for (let i = 0; i < BURST.pushes; i++) {
      await sleep(started + (i * BURST.overMs) / BURST.pushes - Date.now());
      if (i === BURST.pushes / 2) {
        await coordinator.freeze({ by: 'bench', reason: 'freeze under load', until: null });
        frozenAt = Date.now();
      }
      await sim.triggerRun(stacks[Math.floor(random() * stacks.length)]!.id);
    }
    await sleep(HOLD_AFTER_PUSHES_MS);
    const held = (await coordinator.estate()).stacks;
    const heldStacks = Object.values(held).filter((v) => v.state === 'held').length;
    const thawRequested = Date.now();
    const { waiting } = await coordinator.unfreeze('bench');
    for (;;) {
      await sleep(500);
      if (recorder.inProgress().length > 0 || Date.now() - recorder.lastChange < 3_000) continue;
      const cascades = await coordinator.cascades(50);
      if (cascades.every((c) => c.phase !== 'running')) break;
      if (Date.now() - recorder.lastChange > STALL_MS) throw new Error('the burst did not settle');
    }
    recorder.stop();
    stopWatching();
    const runs = [...recorder.runs.values()].map((r) => ({
      ...r,
      own: triggeredBy.get(r.runId) === estate.identity,
    }));
    const own = runs.filter((r) => r.own);
    // Triggers already on their way when the freeze answered may still create their run just after.
    const ownWhileFrozen = own.filter((r) => r.createdAt > frozenAt + 1_000 && r.createdAt < thawRequested);
    const afterThaw = new Map<string, number>();
    for (const r of own)
      if (r.createdAt >= thawRequested) afterThaw.set(r.stackId, (afterThaw.get(r.stackId) ?? 0) + 1);
    const report = checkOverlappingChanges(
      new Map(stacks.map((s) => [s.id, s.labels.map((l) => l.slice(LABEL_PREFIX.length))])),
      runs,
    );
    return {
      seed: SEED,
      stacks: stacks.length,
      pushes: BURST.pushes,
      frozenAfterPushes: BURST.pushes / 2,
      frozenForMs: thawRequested - frozenAt,
      ownRunsCreatedWhileFrozen: ownWhileFrozen.length,
      ownRunsCreatedInTheFreezeFirstSecond: own.filter(
        (r) => r.createdAt >= frozenAt && r.createdAt <= frozenAt + 1_000,
      ).length,
      stacksHeldBeforeUnfreeze: heldStacks,
      waitingAtUnfreeze: waiting.length,
      stacksRunAfterUnfreeze: afterThaw.size,
      maxRunsOfAStackAfterUnfreeze: Math.max(0, ...afterThaw.values()),
      runsMade: report.runsMade,
      fewestAllowed: report.fewestAllowed,
      unservedStacks: report.unserved.length,
      underRunStacks: report.underRun.length,
      notFinished: report.notFinished.length,
    };
  });
  console.log(JSON.stringify(out, null, 2));
  await mkdir(new URL('../results/', import.meta.url), { recursive: true });
  await writeFile(
    new URL('../results/cascade-freeze.json', import.meta.url),
    `${JSON.stringify(out, null, 2)}\n`,
  );
} finally {
  await temporal.close();
}
