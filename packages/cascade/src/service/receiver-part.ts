import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CoordinatorRef } from '../coordinator-contract.js';
import type { WebhookConfig } from '../webhook/webhook-config.js';
import { TemporalCascadeGateway } from '../temporal/cascade-gateway.js';
import { freePort } from '../temporal/dev-server.js';
import { AccountGuard } from '../webhook/account-guard.js';
import type { CascadePort } from '../webhook/cascade-port.js';
import { DeliverySpool } from '../webhook/delivery-spool.js';
import { buildWebhookServer, listenWebhookServer } from '../webhook/server.js';
import { WebhookMetrics } from '../webhook/webhook-metrics.js';
import { withSupervisedReadiness } from './supervised-readiness.js';
import type { TemporalPart } from './temporal-part.js';

/** The public listener: POST /webhook, /healthz, /readyz. */
export interface ReceiverPart {
  /** Where it listens, e.g. `http://0.0.0.0:8000`. */
  url: string;
  /** Banner lines. */
  lines: string[];
  gateway: CascadePort;
  metrics: WebhookMetrics;
  /** Resolves when the listener has closed. */
  closed: Promise<void>;
  stop(): Promise<void>;
}

export interface ReceiverSettings {
  webhook: WebhookConfig;
  coordinator: CoordinatorRef & { account: string };
  /** After spooled deliveries were replayed (Temporal was unreachable): ask for a pass. */
  onReplayed?: () => void;
  /** `triggeredBy` of the cascade's own runs, when known. */
  ownIdentity: string | null;
  dataDir: string;
}

/**
 * The receiver's settings: the configured ones, or in the demo a generated secret (the simulator
 * signs with it) and a port known before the simulator starts, as it delivers there.
 */
export async function receiverWebhook(webhook: WebhookConfig, demo: boolean): Promise<WebhookConfig> {
  if (!demo) return webhook;
  return {
    ...webhook,
    secrets: [randomBytes(24).toString('hex')],
    allowUnsigned: false,
    port: webhook.port || (await freePort()),
  };
}

/** Where this host reaches the receiver's webhook route. */
export function localWebhookUrl(webhook: WebhookConfig): string {
  const host = ['0.0.0.0', '::'].includes(webhook.host) ? '127.0.0.1' : webhook.host;
  return `http://${host}:${webhook.port}/webhook`;
}

/**
 * Starts the receiver over the process's Temporal connection: deliveries for another account's
 * coordinator are refused, and while Temporal is unreachable they wait in the data folder's spool.
 */
export async function startReceiverPart(
  temporal: TemporalPart,
  settings: ReceiverSettings,
  log: Logger,
): Promise<ReceiverPart> {
  const { webhook, coordinator } = settings;
  const direct = new TemporalCascadeGateway({
    connection: temporal.connection,
    namespace: temporal.settings.namespace,
  });
  const supervised = temporal.supervisor ? withSupervisedReadiness(direct, temporal.supervisor) : direct;
  const spool =
    webhook.spoolMax > 0
      ? await DeliverySpool.open(supervised, {
          file: join(settings.dataDir, 'webhook-spool.jsonl'),
          maxEntries: webhook.spoolMax,
          onReplayed: settings.onReplayed,
          log: log.child({ component: 'spool' }),
        })
      : null;
  const gateway = new AccountGuard(spool ?? supervised, temporal.client, coordinator.account);
  const metrics = new WebhookMetrics();
  const app = buildWebhookServer({
    gateway,
    secrets: webhook.secrets,
    allowUnsigned: webhook.allowUnsigned,
    estateId: coordinator.estateId,
    taskQueue: coordinator.taskQueue,
    cascadeOptions: coordinator.options,
    account: coordinator.account,
    ownIdentity: settings.ownIdentity ?? undefined,
    bodyLimit: webhook.bodyLimit,
    rateLimit: webhook.rateLimit,
    requestTimeoutMs: webhook.requestTimeoutMs,
    connectionTimeoutMs: webhook.connectionTimeoutMs,
    retryAfterSeconds: webhook.retryAfterSeconds,
    logger: log.child({ component: 'webhook' }),
    metrics,
  });
  try {
    const url = await listenWebhookServer(app, { port: webhook.port, host: webhook.host });
    return {
      url,
      lines: [`Webhook:            ${url}/webhook`, `Health:             ${url}/healthz, ${url}/readyz`],
      closed: new Promise((resolveClosed) => app.server.once('close', () => resolveClosed())),
      gateway,
      metrics,
      async stop() {
        // Fastify drains in-flight requests; then what still waits stays in the spool file.
        await app.close();
        await spool?.close();
      },
    };
  } catch (err) {
    await spool?.close();
    throw err;
  }
}
