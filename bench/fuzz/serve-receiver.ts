/**
 * Starts a webhook receiver for schemathesis (or any fuzzer) to hit; prints its URL and the file
 * holding its OpenAPI document (the receiver serves none: the admin listener publishes it) and,
 * on SIGINT/SIGTERM, the peak RSS seen while it ran (a fuzz run should not grow it without bound).
 *
 *   node --conditions=source --import tsx bench/fuzz/serve-receiver.ts [options]
 *     --signed            require X-Signature-256 (secret: fuzz-secret); default unsigned
 *     --gateway <kind>    temporal (a dev server of its own; default), noop, or down
 *                         (a Temporal address nothing listens on: every signal is a 503)
 *     --port <n>          default 8123
 *     --openapi <file>    where its OpenAPI document is written; default
 *                         <tmp>/cascade-receiver-openapi.json
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Connection } from '@temporalio/client';
import { pino } from 'pino';
import type { CascadeOptions } from '../../packages/cascade/src/cascade-contract.js';
import { TemporalCascadeGateway } from '../../packages/cascade/src/temporal/cascade-gateway.js';
import { freePort, startDevServer } from '../../packages/cascade/src/temporal/dev-server.js';
import type { CascadePort } from '../../packages/cascade/src/webhook/cascade-port.js';
import {
  buildWebhookServer,
  listenWebhookServer,
  webhookOpenApiDocument,
} from '../../packages/cascade/src/webhook/server.js';

const { values } = parseArgs({
  options: {
    signed: { type: 'boolean', default: false },
    gateway: { type: 'string', default: 'temporal' },
    port: { type: 'string', default: '8123' },
    openapi: { type: 'string', default: join(tmpdir(), 'cascade-receiver-openapi.json') },
  },
});

const cascadeOptions: CascadeOptions = {
  labelPrefix: 'dependsOn:',
  maxParallel: 4,
  runType: 'TRACKED',
  pollIntervalMs: 30_000,
  reconcileIntervalMs: 600_000,
  runUrlBase: 'https://fuzz.app.spacelift.io',
  driftRuns: 'cascade',
};

/** Accepts everything without Temporal: the receiver's own handling is all that is fuzzed. */
const noopGateway: CascadePort = {
  signalWithStart: () => Promise.resolve('delivered' as const),
  checkReady: () => Promise.resolve(),
};

const cleanup: (() => Promise<void>)[] = [];
let gateway: CascadePort;
if (values.gateway === 'noop') {
  gateway = noopGateway;
} else if (values.gateway === 'down') {
  const lazy = TemporalCascadeGateway.lazy({
    address: `127.0.0.1:${await freePort()}`,
    rpcTimeoutMs: 300,
    readyTimeoutMs: 300,
  });
  gateway = lazy.gateway;
  cleanup.push(lazy.close);
} else if (values.gateway === 'temporal') {
  const dataDir = await mkdtemp(join(tmpdir(), 'fuzz-temporal-'));
  const server = await startDevServer({ dataDir, uiPort: false });
  const connection = await Connection.connect({ address: server.address });
  gateway = new TemporalCascadeGateway({ connection });
  cleanup.push(
    () => connection.close(),
    () => server.stop(),
    () => rm(dataDir, { recursive: true, force: true }),
  );
} else {
  throw new Error(`--gateway ${values.gateway}: use temporal, noop or down`);
}

const app = buildWebhookServer({
  gateway,
  secrets: values.signed ? ['fuzz-secret'] : [],
  allowUnsigned: !values.signed,
  estateId: 'fuzz-estate',
  taskQueue: 'fuzz-queue',
  cascadeOptions,
  // 5xx answers are logged at error level: exactly what a fuzz run looks for.
  logger: pino({ level: 'error' }),
});
const url = await listenWebhookServer(app, { port: Number(values.port), host: '127.0.0.1' });
await writeFile(values.openapi, JSON.stringify(await webhookOpenApiDocument(), null, 2));
console.log(`receiver ${values.signed ? 'signed' : 'unsigned'} gateway=${values.gateway} at ${url}`);
console.log(`its OpenAPI document: ${values.openapi}`);

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 500);
const stop = async () => {
  clearInterval(sampler);
  await app.close();
  for (const step of cleanup) await step();
  console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(1)} MiB`);
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
