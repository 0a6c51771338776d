/**
 * Warm start: how long the first change after `start` waits, from its upstream run's FINISHED to
 * the first dependent's run (its QUEUED), against the later hops of the same chain. Each repeat
 * starts a fresh service (embedded Temporal, its own data folder) on a simulator holding a chain,
 * pushes the root as soon as the service says ready, and reads every hop from the simulator's run
 * records. Medians with the spread in bench/results/warm-start.json.
 *
 *   node --conditions=source --import tsx bench/warm-start/run.ts      # BENCH_REPEATS (default 5)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from 'spacelift-simulator';
import { startService } from '../../packages/cascade/src/cli/start-command.js';
import { loadServiceConfig } from '../../packages/cascade/src/config/service-config.js';
import { freePort } from '../../packages/cascade/src/temporal/dev-server.js';
import { percentile, round } from '../percentiles.js';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const CHAIN = ['root', 's1', 's2', 's3', 's4', 's5'];
const SECRET = 'bench-warm-start-secret';

const spread = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: round(percentile(sorted, 50)),
    min: round(sorted[0]!),
    max: round(sorted.at(-1)!),
    n: sorted.length,
  };
};

/** Milliseconds from each stack's run FINISHED to its dependent's run QUEUED, down the chain. */
function hops(simulator: Simulator): number[] {
  const at = (stack: string, state: string) => {
    const run = simulator.store.stackRuns(stack)?.[0];
    return run?.history.find((t) => t.state === state)?.timestampMillis ?? null;
  };
  const out: number[] = [];
  for (let i = 1; i < CHAIN.length; i++) {
    const finished = at(CHAIN[i - 1]!, 'FINISHED');
    const queued = at(CHAIN[i]!, 'QUEUED');
    if (finished === null || queued === null) throw new Error(`no run of ${CHAIN[i]} after ${CHAIN[i - 1]}`);
    out.push(queued - finished);
  }
  return out;
}

const firstHops: number[] = [];
const laterHops: number[] = [];
for (let repeat = 0; repeat < REPEATS; repeat++) {
  const dir = await mkdtemp(join(tmpdir(), 'cascade-warm-start-'));
  const simulator = await startSimulator({
    stateDurationMs: 100,
    seed: { stacks: CHAIN.map((id, i) => ({ id, labels: i === 0 ? [] : [`dependsOn:${CHAIN[i - 1]}`] })) },
  });
  const env = {
    SPACELIFT_BASE_URL: simulator.baseUrl,
    SPACELIFT_KEY_ID: simulator.apiKey.id,
    SPACELIFT_KEY_SECRET: simulator.apiKey.secret,
    SPACELIFT_WEBHOOK_SECRET: SECRET,
    CASCADE_DATA_DIR: join(dir, 'data'),
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    CASCADE_ADMIN_PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    LOG_LEVEL: 'silent',
  };
  const service = await startService(
    loadServiceConfig(env, { requireWebhookSecret: true }),
    { webhook: true, worker: true, demo: false },
    () => undefined,
  );
  try {
    for (const id of CHAIN)
      simulator.store.webhooks.create(id, { endpoint: service.webhookUrl!, secret: SECRET, enabled: true });
    // The service said ready: the first change comes at once.
    simulator.store.triggerRun('root', { type: 'TRACKED', triggeredBy: null });
    const deadline = Date.now() + 120_000;
    while (simulator.store.stackRuns(CHAIN.at(-1)!)?.[0]?.state !== 'FINISHED') {
      if (Date.now() > deadline) throw new Error('the chain did not finish within 2 minutes');
      await new Promise((r) => setTimeout(r, 50));
    }
    const [first, ...later] = hops(simulator);
    firstHops.push(first!);
    laterHops.push(...later);
    console.log(`repeat ${repeat + 1}: first hop ${first} ms, later hops ${later.join(', ')} ms`);
  } finally {
    await service.stop();
    await simulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const result = {
  what: "ms from an upstream run's FINISHED to its dependent's run QUEUED (simulator clock); first: the first change after start",
  repeats: REPEATS,
  firstHopMs: spread(firstHops),
  laterHopMs: {
    ...spread(laterHops),
    p95: round(
      percentile(
        [...laterHops].sort((a, b) => a - b),
        95,
      ),
    ),
  },
};
await writeFile(
  new URL('../results/warm-start.json', import.meta.url),
  `${JSON.stringify(result, null, 2)}\n`,
);
console.log(JSON.stringify(result, null, 2));
