/**
 * `connect` on a 1,000-stack simulated estate (layered diamonds, every stack in the graph):
 * wall time, Spacelift API calls and mutations of a first run (every webhook to create) and of a
 * second one (all in place: 0 mutations), each repeated; medians with the spread, as JSON in
 * bench/results/connect.json.
 *
 *   node --conditions=source --import tsx bench/connect/run.ts      # BENCH_CONNECT_STACKS, BENCH_REPEATS
 */
import { writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { startSimulator } from 'spacelift-simulator';
import { connectCommand, countingClient } from '../../packages/cascade/src/connect/connect-command.js';
import { buildWebhookServer, listenWebhookServer } from '../../packages/cascade/src/webhook/server.js';
import { testOptions } from '../../packages/cascade/test/workflows/test-options.js';
import { generateStacks, LABEL_PREFIX } from '../cascade/graph-shapes.js';
import { percentile, round } from '../percentiles.js';

const STACKS = Number(process.env.BENCH_CONNECT_STACKS ?? 1000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const SECRET = 'bench-connect-secret';

// A receiver that answers the signed check (its deliveries go nowhere: this bench is about connect).
const receiver = buildWebhookServer({
  gateway: { signalWithStart: () => Promise.resolve('delivered'), checkReady: () => Promise.resolve() },
  secrets: [SECRET],
  estateId: 'bench-connect',
  taskQueue: 'bench-connect',
  cascadeOptions: testOptions(),
  logger: pino({ level: 'silent' }),
});
const url = `${await listenWebhookServer(receiver, { port: 0, host: '127.0.0.1' })}/webhook`;
const quiet = { out: () => undefined, json: false, tty: false };

const runs: Array<{
  pass: 'first' | 'second';
  ms: number;
  apiCalls: number;
  mutations: number;
  connected: number;
  stacks: number;
}> = [];
for (let repeat = 0; repeat < REPEATS; repeat++) {
  const simulator = await startSimulator({
    stateDurationMs: 1000,
    seed: {
      stacks: generateStacks('layered-diamonds', STACKS).map((s) => ({
        id: s.id,
        name: s.id,
        labels: s.labels,
      })),
    },
  });
  try {
    for (const pass of ['first', 'second'] as const) {
      const client = countingClient({
        baseUrl: simulator.baseUrl,
        keyId: simulator.apiKey.id,
        keySecret: simulator.apiKey.secret,
      });
      const started = performance.now();
      const report = await connectCommand(
        client,
        { url, secret: SECRET, labelPrefix: LABEL_PREFIX, dryRun: false, remove: false },
        quiet,
      );
      const ms = performance.now() - started;
      if (report.receiver?.ok !== true)
        throw new Error(`the receiver check failed: ${report.receiver?.message}`);
      runs.push({
        pass,
        ms,
        apiCalls: report.apiCalls,
        mutations: report.mutations,
        connected: report.connected,
        stacks: report.stacks,
      });
      console.log(
        `repeat ${repeat + 1} ${pass}: ${ms.toFixed(0)} ms, ${report.apiCalls} API calls, ${report.mutations} mutations`,
      );
    }
  } finally {
    await simulator.close();
  }
}
await receiver.close();

/** Median with the spread. */
const spread = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: round(percentile(sorted, 50)), min: round(sorted[0]!), max: round(sorted.at(-1)!) };
};
const of = (pass: 'first' | 'second') => {
  const these = runs.filter((r) => r.pass === pass);
  return {
    wallMs: spread(these.map((r) => r.ms)),
    apiCalls: these.map((r) => r.apiCalls),
    mutations: these.map((r) => r.mutations),
  };
};
const result = {
  stacks: runs[0]?.stacks,
  connected: runs[0]?.connected,
  repeats: REPEATS,
  first: of('first'),
  second: of('second'),
  runs,
};
writeFileSync(new URL('../results/connect.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify({ first: result.first.wallMs, second: result.second.wallMs }, null, 2));
