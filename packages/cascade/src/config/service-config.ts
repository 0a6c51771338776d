import { z } from 'zod';
import type { CascadeOptions } from '../cascade-contract.js';
import type { CoordinatorRef } from '../coordinator-contract.js';
import {
  DEFAULT_ADMIN_HOST,
  DEFAULT_ADMIN_PORT,
  DEFAULT_DATA_DIR,
  DEFAULT_ESTATE_ID,
  DEFAULT_LABEL_PREFIX,
  DEFAULT_SIMULATOR_PORT,
  DEFAULT_TEMPORAL_PORT,
  DEFAULT_TEMPORAL_UI_PORT,
  TASK_QUEUE,
} from '../constants.js';
import {
  temporalConnectionEnvSchema,
  toTemporalConnectionConfig,
  type TemporalConnectionConfig,
} from '../temporal/connection.js';
import { webhookEnvSchema, type WebhookConfig } from '../webhook/webhook-config.js';
import { readChangeWindows } from './change-windows.js';
import { ConfigError, describeIssues, withoutEmpty } from './config-error.js';
import { accountOf, defaultEstateId, defaultTaskQueue } from '../account.js';
import { booleanFlag, duration, integer, nonEmpty, port } from './env-fields.js';

export { ConfigError };

/**
 * The service's own settings (the receiver's section is `webhook-config.ts`, the Temporal
 * connection's `temporal/connection.ts`). Error messages name variables, never their values.
 */
const serviceEnvSchema = z.object({
  SPACELIFT_BASE_URL: z
    .url({
      protocol: /^https?$/,
      error: 'SPACELIFT_BASE_URL must be an http(s) URL like https://acme.app.spacelift.io',
    })
    .optional(),
  SPACELIFT_KEY_ID: nonEmpty('SPACELIFT_KEY_ID').optional(),
  SPACELIFT_KEY_SECRET: z.string().optional(),
  TEMPORAL_PORT: port('TEMPORAL_PORT').optional(),
  TEMPORAL_UI_PORT: port('TEMPORAL_UI_PORT').optional(),
  /** Failed restarts in a row of the embedded dev server before the service gives up. */
  CASCADE_TEMPORAL_MAX_RESTARTS: integer('CASCADE_TEMPORAL_MAX_RESTARTS', 0).optional(),
  CASCADE_DATA_DIR: nonEmpty('CASCADE_DATA_DIR').optional(),
  CASCADE_LABEL_PREFIX: nonEmpty('CASCADE_LABEL_PREFIX').optional(),
  CASCADE_MAX_PARALLEL: integer('CASCADE_MAX_PARALLEL', 1).optional(),
  CASCADE_RUN_TYPE: z
    .enum(['TRACKED', 'PROPOSED'], { error: 'CASCADE_RUN_TYPE must be TRACKED or PROPOSED' })
    .optional(),
  CASCADE_POLL_INTERVAL_MS: integer('CASCADE_POLL_INTERVAL_MS', 100).optional(),
  CASCADE_RECONCILE_INTERVAL_MS: integer('CASCADE_RECONCILE_INTERVAL_MS', 1000).optional(),
  /** `45m`, `2h`, `900s` or seconds; off when unset. */
  CASCADE_CONFIRMATION_TIMEOUT: duration('CASCADE_CONFIRMATION_TIMEOUT').optional(),
  /** A stack awaiting approval longer than this ends blocked; off when unset. */
  CASCADE_APPROVAL_TIMEOUT: duration('CASCADE_APPROVAL_TIMEOUT').optional(),
  /** Failed runs of one cascade before it pauses itself; off when unset. */
  CASCADE_MAX_FAILURES: integer('CASCADE_MAX_FAILURES', 1).optional(),
  CASCADE_DRIFT_RUNS: z
    .enum(['cascade', 'ignore'], { error: 'CASCADE_DRIFT_RUNS must be cascade or ignore' })
    .optional(),
  CASCADE_RUN_URL_BASE: z.url({ error: 'CASCADE_RUN_URL_BASE must be a URL' }).optional(),
  /** Early cutoff: `off` makes every FINISHED run a change again. */
  CASCADE_CUTOFF: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['on', 'off'], { error: 'CASCADE_CUTOFF must be on or off' }))
    .optional(),
  SIMULATOR_PORT: port('SIMULATOR_PORT').optional(),
  /** The coordinator's workflow id: one estate, one id, shared by every receiver and worker. */
  CASCADE_ESTATE_ID: nonEmpty('CASCADE_ESTATE_ID').optional(),
  CASCADE_TASK_QUEUE: nonEmpty('CASCADE_TASK_QUEUE').optional(),
  /** The receiver's public URL (as Spacelift reaches it): where `connect` and managed webhooks point. */
  CASCADE_WEBHOOK_URL: z
    .url({
      protocol: /^https?$/,
      error: 'CASCADE_WEBHOOK_URL must be an http(s) URL like https://cascade.example.com/webhook',
    })
    .optional(),
  /** Each reconciliation pass gives the graph's stacks their webhook (needs CASCADE_WEBHOOK_URL). */
  CASCADE_MANAGE_WEBHOOKS: booleanFlag('CASCADE_MANAGE_WEBHOOKS').optional(),
  CASCADE_ADMIN_HOST: nonEmpty('CASCADE_ADMIN_HOST').optional(),
  CASCADE_ADMIN_PORT: port('CASCADE_ADMIN_PORT').optional(),
  /** Bearer token of the admin side: its actions need it, and all of it when exposed beyond loopback. */
  CASCADE_ADMIN_TOKEN: z
    .string()
    .trim()
    .min(16, 'CASCADE_ADMIN_TOKEN must be at least 16 characters (use a random value)')
    .optional(),
  SIMULATOR_STATE_DURATION_MS: integer('SIMULATOR_STATE_DURATION_MS', 0).optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .optional(),
});

/**
 * All three Spacelift variables, or none (the simulator stands in); a receiver alone needs only
 * SPACELIFT_BASE_URL, which names the account it serves.
 */
function spaceliftProblem(env: z.output<typeof serviceEnvSchema>, accountOnly: boolean): string | null {
  const names = ['SPACELIFT_BASE_URL', 'SPACELIFT_KEY_ID', 'SPACELIFT_KEY_SECRET'] as const;
  const missing = names.filter((k) => env[k] === undefined);
  if (missing.length === 0 || missing.length === 3) return null;
  if (accountOnly && env.SPACELIFT_BASE_URL !== undefined) return null;
  return `${missing.join(', ')} not set: set all three Spacelift variables, or none to use the local simulator`;
}

export interface SpaceliftCredentials {
  baseUrl: string;
  keyId: string;
  keySecret: string;
}

export interface ServiceConfig {
  /** null: none configured (the local simulator stands in). */
  spacelift: SpaceliftCredentials | null;
  /** The Spacelift account (SPACELIFT_BASE_URL's host and port); null until the demo's simulator names it. */
  account: string | null;
  /** Address null: start the embedded dev server (on `port`, Web UI on `uiPort`). */
  temporal: TemporalConnectionConfig & { port: number; uiPort: number; maxRestarts: number };
  dataDir: string;
  cascade: CascadeOptions;
  simulator: { port: number; stateDurationMs: number };
  /** null when LOG_LEVEL is not set: info, or warn in demo mode so the demo's own lines stand out. */
  logLevel: string | null;
  webhook: WebhookConfig;
  /** The admin listener: dashboard, /api, /docs, /metrics. */
  admin: { host: string; port: number; token: string | null };
  /** CASCADE_MANAGE_WEBHOOKS: where each pass points the stacks' webhooks; null when not managed. */
  managedWebhooks: { url: string; secret: string } | null;
  /** Explicit coordinator names; null: the defaults, which name the account (see `coordinatorRef`). */
  coordinator: { estateId: string | null; taskQueue: string | null };
}

export interface LoadConfigOptions {
  /**
   * The webhook receiver needs a secret unless unsigned webhooks are allowed; commands that
   * do not receive webhooks (or demo mode, which generates one) skip that rule.
   */
  requireWebhookSecret: boolean;
  /** A receiver alone: SPACELIFT_BASE_URL without a key is enough (it names the account). */
  accountOnly?: boolean;
}

/** Reads and validates the environment, reporting every problem at once. */
export function loadServiceConfig(
  rawEnv: Record<string, string | undefined>,
  options: LoadConfigOptions,
): ServiceConfig {
  const env = withoutEmpty(rawEnv);
  const service = serviceEnvSchema.safeParse(env);
  const webhook = webhookEnvSchema.safeParse(
    options.requireWebhookSecret ? env : { CASCADE_ALLOW_UNSIGNED_WEBHOOKS: 'true', ...env },
  );
  const temporal = temporalConnectionEnvSchema.safeParse(env);
  const windows = readChangeWindows(env);
  if (!service.success || !webhook.success || !temporal.success || 'problems' in windows) {
    const problems = [service, webhook, temporal].flatMap((r) =>
      r.success ? [] : describeIssues(r.error.issues),
    );
    if ('problems' in windows) problems.push(...windows.problems);
    throw new ConfigError([...new Set(problems)]);
  }
  const s = service.data;
  const spaceliftIssue = spaceliftProblem(s, options.accountOnly ?? false);
  if (spaceliftIssue) throw new ConfigError([spaceliftIssue]);
  const secret = webhook.data.secrets[0];
  if (s.CASCADE_MANAGE_WEBHOOKS && (s.CASCADE_WEBHOOK_URL === undefined || secret === undefined)) {
    throw new ConfigError([
      'CASCADE_MANAGE_WEBHOOKS=true needs CASCADE_WEBHOOK_URL (the receiver as Spacelift reaches it) and SPACELIFT_WEBHOOK_SECRET (what the webhooks are signed with)',
    ]);
  }
  const spacelift =
    s.SPACELIFT_BASE_URL && s.SPACELIFT_KEY_ID && s.SPACELIFT_KEY_SECRET
      ? { baseUrl: s.SPACELIFT_BASE_URL, keyId: s.SPACELIFT_KEY_ID, keySecret: s.SPACELIFT_KEY_SECRET }
      : null;
  return {
    spacelift,
    account: s.SPACELIFT_BASE_URL ? accountOf(s.SPACELIFT_BASE_URL) : null,
    temporal: {
      ...toTemporalConnectionConfig(temporal.data),
      port: s.TEMPORAL_PORT ?? DEFAULT_TEMPORAL_PORT,
      uiPort: s.TEMPORAL_UI_PORT ?? DEFAULT_TEMPORAL_UI_PORT,
      maxRestarts: s.CASCADE_TEMPORAL_MAX_RESTARTS ?? 5,
    },
    dataDir: s.CASCADE_DATA_DIR ?? DEFAULT_DATA_DIR,
    cascade: {
      labelPrefix: s.CASCADE_LABEL_PREFIX ?? DEFAULT_LABEL_PREFIX,
      maxParallel: s.CASCADE_MAX_PARALLEL ?? 10,
      runType: s.CASCADE_RUN_TYPE ?? 'TRACKED',
      pollIntervalMs: s.CASCADE_POLL_INTERVAL_MS ?? 30_000,
      reconcileIntervalMs: s.CASCADE_RECONCILE_INTERVAL_MS ?? 60_000,
      driftRuns: s.CASCADE_DRIFT_RUNS ?? 'cascade',
      confirmationTimeoutMs: s.CASCADE_CONFIRMATION_TIMEOUT ?? null,
      approvalTimeoutMs: s.CASCADE_APPROVAL_TIMEOUT ?? null,
      maxFailures: s.CASCADE_MAX_FAILURES ?? null,
      changeWindows: windows.windows,
      cutoff: s.CASCADE_CUTOFF !== 'off',
      runUrlBase: (s.CASCADE_RUN_URL_BASE ?? spacelift?.baseUrl ?? 'http://127.0.0.1').replace(
        /\/(graphql)?$/,
        '',
      ),
    },
    simulator: {
      port: s.SIMULATOR_PORT ?? DEFAULT_SIMULATOR_PORT,
      stateDurationMs: s.SIMULATOR_STATE_DURATION_MS ?? 300,
    },
    logLevel: s.LOG_LEVEL ?? null,
    webhook: webhook.data,
    admin: {
      host: s.CASCADE_ADMIN_HOST ?? DEFAULT_ADMIN_HOST,
      port: s.CASCADE_ADMIN_PORT ?? DEFAULT_ADMIN_PORT,
      token: s.CASCADE_ADMIN_TOKEN ?? null,
    },
    coordinator: { estateId: s.CASCADE_ESTATE_ID ?? null, taskQueue: s.CASCADE_TASK_QUEUE ?? null },
    managedWebhooks:
      s.CASCADE_MANAGE_WEBHOOKS && s.CASCADE_WEBHOOK_URL && secret
        ? { url: s.CASCADE_WEBHOOK_URL, secret }
        : null,
  };
}

/**
 * Where the coordinator of this configuration is, and the options it runs with: by default, the
 * account's own estate id and task queue, so two accounts on one namespace never share them.
 */
export function coordinatorRef(config: ServiceConfig, account = config.account): CoordinatorRef {
  return {
    estateId: config.coordinator.estateId ?? (account ? defaultEstateId(account) : DEFAULT_ESTATE_ID),
    taskQueue: config.coordinator.taskQueue ?? (account ? defaultTaskQueue(account) : TASK_QUEUE),
    options: config.cascade,
    account,
  };
}
