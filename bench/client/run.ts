/**
 * spacelift-client overhead against the simulator over real HTTP: `getStacks` through the
 * client (login, JWT cache, retry/timeout wrapper, typed document) beside a baseline of raw
 * `fetch` POSTs of the same query with a JWT obtained up front, in the same run.
 *
 * Run: node --conditions=source --import tsx bench/client/run.ts
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { print } from 'graphql';
import { Spacelift } from 'spacelift-client';
import { startSimulator } from 'spacelift-simulator';
import { GetStacksDocument } from '../../packages/client/src/generated/graphql.generated.js';
import { percentile } from '../percentiles.js';

const CALLS = 2_000;
const CONCURRENCY = 16;
const ROUNDS = 4;
const WARMUP = 500;
const STACKS = 50;

interface Summary {
  calls: number;
  concurrency: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const round = (n: number, digits = 3): number => Number(n.toFixed(digits));

/** Latencies and busy time of one side, accumulated over interleaved rounds. */
interface Samples {
  latencies: number[];
  elapsedMs: number;
}

/** Runs `call` `calls` times with `concurrency` workers, adding to `samples`. */
async function runRound(
  call: () => Promise<unknown>,
  calls: number,
  concurrency: number,
  samples: Samples,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < calls) {
      next += 1;
      const start = performance.now();
      await call();
      samples.latencies.push(performance.now() - start);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  samples.elapsedMs += performance.now() - started;
}

function summarize(samples: Samples, concurrency: number): Summary {
  const sorted = [...samples.latencies].sort((a, b) => a - b);
  return {
    calls: sorted.length,
    concurrency,
    callsPerSecond: round((sorted.length / samples.elapsedMs) * 1000, 1),
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
  };
}

/**
 * Baseline and client alternate in ROUNDS chunks of CALLS / ROUNDS, so machine noise and
 * JIT warm-up hit both sides alike instead of whichever happens to run first.
 */
async function compare(
  baseline: () => Promise<unknown>,
  client: () => Promise<unknown>,
  concurrency: number,
): Promise<{ baseline: Summary; client: Summary }> {
  const b: Samples = { latencies: [], elapsedMs: 0 };
  const c: Samples = { latencies: [], elapsedMs: 0 };
  for (let round = 0; round < ROUNDS; round++) {
    await runRound(baseline, CALLS / ROUNDS, concurrency, b);
    await runRound(client, CALLS / ROUNDS, concurrency, c);
  }
  return { baseline: summarize(b, concurrency), client: summarize(c, concurrency) };
}

const apiKey = { id: 'bench', secret: randomBytes(16).toString('hex') };
const simulator = await startSimulator({
  apiKey,
  stateDurationMs: 0,
  seed: {
    stacks: Array.from({ length: STACKS }, (_, i) => ({ id: `stack-${i}`, labels: [`tier:${i % 5}`] })),
  },
});

try {
  // Counts what the client sends, by operation name, to prove it logged in exactly once.
  const sentByClient: Record<string, number> = {};
  const countingFetch: typeof fetch = (input, init) => {
    const { operationName } = JSON.parse(init?.body as string) as { operationName?: string };
    const name = operationName ?? 'anonymous';
    sentByClient[name] = (sentByClient[name] ?? 0) + 1;
    return fetch(input, init);
  };
  const client = new Spacelift({
    baseUrl: simulator.baseUrl,
    keyId: apiKey.id,
    keySecret: apiKey.secret,
    fetch: countingFetch,
  });

  // Baseline: the same document, a JWT obtained once, no client in between.
  const login = (await (
    await fetch(simulator.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($id: ID!, $secret: String!) { apiKeyUser(id: $id, secret: $secret) { jwt } }',
        variables: apiKey,
      }),
    })
  ).json()) as { data: { apiKeyUser: { jwt: string } } };
  const baselineBody = JSON.stringify({ query: print(GetStacksDocument), operationName: 'GetStacks' });
  const baselineHeaders = {
    'content-type': 'application/json',
    accept: 'application/json',
    authorization: `Bearer ${login.data.apiKeyUser.jwt}`,
  };
  const raw = async () => {
    const response = await fetch(simulator.url, {
      method: 'POST',
      headers: baselineHeaders,
      body: baselineBody,
    });
    const body = (await response.json()) as { data?: { stacks: unknown[] } };
    if (body.data?.stacks.length !== STACKS) throw new Error('baseline got an unexpected answer');
  };
  const viaClient = async () => {
    const stacks = await client.getStacks();
    if (stacks.length !== STACKS) throw new Error('client got an unexpected answer');
  };

  const warmup: Samples = { latencies: [], elapsedMs: 0 };
  await runRound(raw, WARMUP, CONCURRENCY, warmup);
  await runRound(viaClient, WARMUP, CONCURRENCY, warmup);
  const results = {
    sequential: await compare(raw, viaClient, 1),
    concurrent: await compare(raw, viaClient, CONCURRENCY),
  };

  const clientLogins = sentByClient.ApiKeyUser ?? 0;
  const clientGetStacks = sentByClient.GetStacks ?? 0;
  const expectedGetStacks = 2 * CALLS + WARMUP;
  if (clientLogins !== 1 || clientGetStacks !== expectedGetStacks) {
    throw new Error(
      `expected 1 login and ${expectedGetStacks} GetStacks from the client, saw ${JSON.stringify(sentByClient)}`,
    );
  }
  const overhead = (mode: 'sequential' | 'concurrent') => ({
    throughputRatio: round(results[mode].client.callsPerSecond / results[mode].baseline.callsPerSecond),
    p50AddedMs: round(results[mode].client.p50Ms - results[mode].baseline.p50Ms),
  });
  const report = {
    benchmark: 'spacelift-client getStacks vs raw fetch, against spacelift-simulator over HTTP',
    date: new Date().toISOString(),
    node: process.version,
    stacksPerAnswer: STACKS,
    ...results,
    overhead: { sequential: overhead('sequential'), concurrent: overhead('concurrent') },
    logins: {
      client: clientLogins,
      simulatorTotal: simulator.stats.logins,
      note: 'simulatorTotal includes the baseline’s own login',
    },
  };
  await mkdir(new URL('../results/', import.meta.url), { recursive: true });
  await writeFile(new URL('../results/client.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);

  const line = (label: string, s: Summary) =>
    `  ${label.padEnd(9)} ${String(s.callsPerSecond).padStart(8)} calls/s  p50 ${s.p50Ms.toFixed(3)} ms  p99 ${s.p99Ms.toFixed(3)} ms`;
  console.log(`getStacks x ${CALLS} (${STACKS} stacks per answer)`);
  for (const mode of ['sequential', 'concurrent'] as const) {
    console.log(`${mode}${mode === 'concurrent' ? ` (${CONCURRENCY} in flight)` : ''}:`);
    console.log(line('baseline', results[mode].baseline));
    console.log(line('client', results[mode].client));
    console.log(`  client/baseline throughput ${report.overhead[mode].throughputRatio}`);
  }
  console.log(`client logins: ${clientLogins} (asserted exactly 1); results in bench/results/client.json`);
} finally {
  await simulator.close();
}
