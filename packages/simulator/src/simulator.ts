import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSpaceliftSchema, MockSpacelift, SpaceliftStore } from 'spacelift-client/testing';
import { ApiKeyAuth } from './api-key-auth.js';
import { createSimulatorYoga } from './graphql-server.js';
import { RunDriver } from './run-driver.js';
import { seededRandom } from './seeded-random.js';
import { SimulatorConfigSchema, type StartSimulatorOptions } from './simulator-options.js';
import { emptyStats, type SimulatorStats } from './simulator-stats.js';
import { WebhookSender } from './webhook-sender.js';

/** A running simulator. */
export interface Simulator {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  url: string;
  /** The account URL to give a client as `baseUrl` (the endpoint without `/graphql`). */
  baseUrl: string;
  port: number;
  /** The API key `apiKeyUser` accepts (generated when none was configured). */
  apiKey: { id: string; secret: string };
  /** The state the API serves; change it directly to set up a test. */
  store: SpaceliftStore;
  /** An in-memory client over the same state (runs it triggers move on the simulator's timers). */
  mock: MockSpacelift;
  stats: SimulatorStats;
  /** Resolves once every webhook delivery queued so far has been sent or has failed. */
  webhooksIdle(): Promise<void>;
  /** Stops the server, the run timers and waits for queued webhook deliveries. */
  close(): Promise<void>;
}

/**
 * Starts a local Spacelift: the GraphQL API over HTTP, runs that move through their states
 * on timers, and signed webhooks for every run state change.
 *
 * @throws {z.ZodError} when the options are invalid (the message names each bad field).
 */
export async function startSimulator(options: StartSimulatorOptions = {}): Promise<Simulator> {
  const { now = Date.now, fetch: fetchImpl = fetch, ...configInput } = options;
  const config = SimulatorConfigSchema.parse(configInput);
  const apiKey = config.apiKey ?? { id: 'simulator', secret: randomBytes(24).toString('hex') };
  const store = new SpaceliftStore({ seed: config.seed, now });
  const stats = emptyStats();
  // Separate streams, so turning one knob does not change what another one draws.
  const apiRandom = seededRandom(config.faults.randomSeed);
  const deliveryRandom = seededRandom(config.faults.randomSeed + 1);
  const auth = new ApiKeyAuth(apiKey, config.jwtTtlSeconds, () => store.nowSeconds());
  const yoga = createSimulatorYoga({
    schema: createSpaceliftSchema(),
    store,
    auth,
    stats,
    faults: config.faults,
    random: apiRandom,
  });
  const sender = new WebhookSender(
    store,
    { ...config.webhooks, account: store.account },
    config.faults,
    deliveryRandom,
    stats,
    fetchImpl,
  );
  const driver = new RunDriver(store, config.stateDurationMs);

  // yoga is a request listener returning a promise; node:http ignores the return value.
  const server = createServer((req, res) => void yoga(req, res));
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

  return {
    url: `${baseUrl}/graphql`,
    baseUrl,
    port,
    apiKey,
    store,
    mock: new MockSpacelift({ store, identity: `api::${apiKey.id}` }),
    stats,
    webhooksIdle: () => sender.idle(),
    async close() {
      driver.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sender.stop();
    },
  };
}
