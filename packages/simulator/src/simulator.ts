import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiKeyAuth, apiKeyIdentity, type SimulatorApiKey } from './api-key-auth.js';
import { createSimulatorYoga } from './graphql-server.js';
import { renderPage } from './html-pages.js';
import { RunDriver } from './run-driver.js';
import { seededRandom } from './seeded-random.js';
import {
  SimulatorConfigSchema,
  type SimulatorConfig,
  type StartSimulatorOptions,
} from './simulator-options.js';
import { emptyStats, type SimulatorStats } from './simulator-stats.js';
import { createSpaceliftSchema } from './spacelift/spacelift-schema.js';
import { SpaceliftStore } from './spacelift/spacelift-store.js';
import { MockSpacelift } from './testing/mock-spacelift.js';
import { WebhookSender } from './webhook-sender.js';

/** A running simulator. */
export interface Simulator {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  /** The account URL to give a client as `baseUrl` (the endpoint without `/graphql`); pages live under it. */
  baseUrl: string;
  port: number;
  /** The first API key `apiKeyUser` accepts (generated when none was configured). */
  apiKey: SimulatorApiKey;
  /** Every API key `apiKeyUser` accepts. */
  apiKeys: SimulatorApiKey[];
  /** The state the API serves; change it directly to set up a test. */
  store: SpaceliftStore;
  /** An in-memory client over the same state, as the first API key (runs it triggers move on the simulator's timers). */
  mock: MockSpacelift;
  stats: SimulatorStats;
  /** The fault knobs in force; change them while it runs to inject faults (soak tests do). */
  faults: SimulatorConfig['faults'];
  /** Resolves once every webhook delivery queued so far has been sent or has failed. */
  webhooksIdle(): Promise<void>;
  /** Stops the server, the run timers and waits for queued webhook deliveries. */
  close(): Promise<void>;
}

const writeStderr = (message: string): void => {
  process.stderr.write(`spacelift-simulator: ${message}\n`);
};

function apiKeys(config: SimulatorConfig): SimulatorApiKey[] {
  const given = [...(config.apiKey ? [config.apiKey] : []), ...config.apiKeys];
  if (given.length === 0) given.push({ id: 'simulator', secret: randomBytes(24).toString('hex') });
  const ids = new Set<string>();
  return given.map((k) => {
    if (ids.has(k.id)) throw new TypeError(`API key id "${k.id}" is given twice`);
    ids.add(k.id);
    return { id: k.id, secret: k.secret, name: k.name ?? k.id };
  });
}

/**
 * Starts a local Spacelift: the GraphQL API over HTTP, runs that move through their states
 * on timers, signed webhooks for every run state change, and HTML pages for stacks and runs.
 *
 * @throws {z.ZodError} when the options are invalid (the message names each bad field).
 */
export async function startSimulator(options: StartSimulatorOptions = {}): Promise<Simulator> {
  const { now = Date.now, fetch: fetchImpl = fetch, log = writeStderr, ...configInput } = options;
  const config = SimulatorConfigSchema.parse(configInput);
  const keys = apiKeys(config);
  const store = new SpaceliftStore({ seed: config.seed, now, randomSeed: config.faults.randomSeed });
  const stats = emptyStats();
  // Separate streams, so turning one knob does not change what another one draws.
  const apiRandom = seededRandom(config.faults.randomSeed);
  const deliveryRandom = seededRandom(config.faults.randomSeed + 1);
  const auth = new ApiKeyAuth(keys, config.jwtTtlSeconds, () => store.nowSeconds());
  const yoga = createSimulatorYoga({
    schema: createSpaceliftSchema(),
    store,
    auth,
    stats,
    faults: config.faults,
    random: apiRandom,
  });
  const driver = new RunDriver(store, config.stateDurationMs, config.workers);

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://simulator.invalid').pathname;
    if (req.method === 'GET' && path.startsWith('/stack/')) {
      const html = renderPage(store, path);
      res.writeHead(html ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html ?? '<!doctype html><title>Not found</title><p>No such stack or run.</p>\n');
      return;
    }
    // Simulator-only (Spacelift has no such page): the counters, for a benchmark in another process.
    if (req.method === 'GET' && path === '/simulator/stats') {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify(stats));
      return;
    }
    // yoga is a request listener returning a promise; node:http ignores the return value.
    if (config.latencyMs > 0) setTimeout(() => void yoga(req, res), config.latencyMs);
    else void yoga(req, res);
  };
  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const baseUrl = `http://${host}:${port}`;
  const sender = new WebhookSender(
    store,
    { ...config.webhooks, account: store.account, baseUrl },
    config.faults,
    deliveryRandom,
    stats,
    fetchImpl,
    log,
  );

  return {
    url: `${baseUrl}/graphql`,
    baseUrl,
    port,
    apiKey: keys[0]!,
    apiKeys: keys,
    store,
    mock: new MockSpacelift({ store, identity: apiKeyIdentity(keys[0]!.id) }),
    stats,
    faults: config.faults,
    webhooksIdle: () => sender.idle(),
    async close() {
      driver.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sender.stop();
    },
  };
}
