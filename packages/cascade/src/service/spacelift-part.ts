import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { Spacelift, type SpaceliftApi } from 'spacelift-client';
import type { Simulator } from 'spacelift-simulator';
import { accountOf } from '../account.js';
import type { ServiceConfig } from '../config/service-config.js';
import { apiKeyIdentity } from '../own-identity.js';
import { removeDemoEnv, writeDemoEnv } from '../cli/demo-env.js';

/** The demo seed shipped in this package's `seeds/` folder (the same path from src/ and dist/). */
export const DEMO_SEED_PATH = new URL('../../seeds/demo-seed.json', import.meta.url);

/** The Spacelift the service acts on: the account's API, or the demo's local simulator. */
export interface SpaceliftPart {
  /** null: a receiver given only the account (SPACELIFT_BASE_URL), with no key to read it. */
  api: SpaceliftApi | null;
  /** `triggeredBy` of the runs this key triggers; null when no key is known. */
  identity: string | null;
  /** The account (see `account.ts`): the estate's coordinator and task queue are named after it. */
  account: string;
  /** The base URL of run links. */
  runUrlBase: string;
  /** Banner lines. */
  lines: string[];
  /** The demo's simulator; null for a real account. */
  simulator: Simulator | null;
  stop(): Promise<void>;
}

export interface DemoSettings {
  /** Where the simulator delivers its webhooks (null: no receiver in this process). */
  webhookUrl: string | null;
  /** The secret the demo's receiver checks. */
  webhookSecret: string;
  seedPath?: string;
  dataDir: string;
  /** Written to the demo's env file so the other commands find this Temporal. */
  temporalAddress: string;
}

/** The account's API; with no credentials, a simulator seeded with the demo graph. */
export async function startSpaceliftPart(
  config: ServiceConfig,
  demo: DemoSettings,
  log: Logger,
): Promise<SpaceliftPart> {
  if (config.spacelift) {
    return {
      api: new Spacelift({ ...config.spacelift, log: log.child({ component: 'spacelift' }) }),
      identity: apiKeyIdentity(config.spacelift.keyId),
      account: accountOf(config.spacelift.baseUrl),
      runUrlBase: config.cascade.runUrlBase,
      lines: [`Spacelift:          ${config.spacelift.baseUrl}`],
      simulator: null,
      stop: () => Promise.resolve(),
    };
  }
  // Loaded for the demo only: a service for a real account does not carry the simulator's GraphQL
  // server (about 20 MB of RSS, 7 MB of heap).
  const { loadSeed, startSimulator } = await import('spacelift-simulator');
  const apiKey = { id: 'demo', secret: randomBytes(24).toString('hex') };
  const simulator = await startSimulator({
    port: config.simulator.port,
    seed: loadSeed(demo.seedPath ? resolve(demo.seedPath) : fileURLToPath(DEMO_SEED_PATH)),
    apiKey,
    stateDurationMs: config.simulator.stateDurationMs,
    webhooks: demo.webhookUrl ? { urls: [demo.webhookUrl], secret: demo.webhookSecret } : undefined,
  });
  // Other commands run in another terminal (`graph`, `trigger`, `cascades`) find the demo here.
  await writeDemoEnv(demo.dataDir, {
    SPACELIFT_BASE_URL: simulator.baseUrl,
    SPACELIFT_KEY_ID: apiKey.id,
    SPACELIFT_KEY_SECRET: apiKey.secret,
    TEMPORAL_ADDRESS: demo.temporalAddress,
  });
  return {
    api: new Spacelift({ baseUrl: simulator.baseUrl, keyId: apiKey.id, keySecret: apiKey.secret }),
    identity: apiKeyIdentity(apiKey.id),
    account: accountOf(simulator.baseUrl),
    // Run links point at the simulator when it stands in for Spacelift.
    runUrlBase: simulator.baseUrl,
    lines: [
      `Simulator GraphQL:  ${simulator.url} (no Spacelift credentials set: using the local simulator)`,
      `                    its webhooks go to the receiver, signed with a generated secret`,
    ],
    simulator,
    async stop() {
      await removeDemoEnv(demo.dataDir);
      await simulator.close();
    },
  };
}
