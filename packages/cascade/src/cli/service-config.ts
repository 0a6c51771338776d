import { z } from 'zod';
import type { CascadeOptions } from '../cascade-contract.js';
import { DEFAULT_LABEL_PREFIX, DEFAULT_TEMPORAL_PORT, DEFAULT_TEMPORAL_UI_PORT } from '../constants.js';
import {
  TemporalConfigError,
  parseTemporalConnectionConfig,
  type TemporalConnectionConfig,
} from '../temporal/connection.js';
import { webhookEnvSchema, type WebhookConfig } from '../webhook/webhook-config.js';

const integer = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(
      z.number().int().min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`),
    );

const nonEmpty = (name: string) => z.string().trim().min(1, `${name} must not be empty`);

/**
 * The service's own settings (everything but the webhook receiver's, which
 * `webhook-config.ts` owns, and the Temporal connection's, which `temporal/connection.ts` owns). Error messages name variables, never their values.
 */
const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
/** `90s`, `30m`, `2h`, `500ms`; a bare number is seconds. */
const durationMs = (text: string): number => {
  const [, n, unit] = /^(\d+)(ms|s|m|h)?$/.exec(text)!;
  return Number(n) * DURATION_UNITS_MS[(unit ?? 's') as keyof typeof DURATION_UNITS_MS];
};

const serviceEnvSchema = z
  .object({
    SPACELIFT_BASE_URL: z
      .url({
        protocol: /^https?$/,
        error: 'SPACELIFT_BASE_URL must be an http(s) URL like https://acme.app.spacelift.io',
      })
      .optional(),
    SPACELIFT_KEY_ID: nonEmpty('SPACELIFT_KEY_ID').optional(),
    SPACELIFT_KEY_SECRET: z.string().optional(),
    TEMPORAL_PORT: integer('TEMPORAL_PORT', 0, 65535).optional(),
    TEMPORAL_UI_PORT: integer('TEMPORAL_UI_PORT', 0, 65535).optional(),
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
    CASCADE_CONFIRMATION_TIMEOUT: z
      .string()
      .trim()
      .regex(
        /^\d+(ms|s|m|h)?$/,
        'CASCADE_CONFIRMATION_TIMEOUT must be a duration like 30m, 2h, 900s or a number of seconds',
      )
      .transform(durationMs)
      .optional(),
    CASCADE_DRIFT_RUNS: z
      .enum(['cascade', 'ignore'], { error: 'CASCADE_DRIFT_RUNS must be cascade or ignore' })
      .optional(),
    CASCADE_RUN_URL_BASE: z.url({ error: 'CASCADE_RUN_URL_BASE must be a URL' }).optional(),
    SIMULATOR_PORT: integer('SIMULATOR_PORT', 0, 65535).optional(),
    SIMULATOR_STATE_DURATION_MS: integer('SIMULATOR_STATE_DURATION_MS', 0).optional(),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .optional(),
  })
  .superRefine((env, ctx) => {
    const given = [env.SPACELIFT_BASE_URL, env.SPACELIFT_KEY_ID, env.SPACELIFT_KEY_SECRET].filter(
      (v) => v !== undefined,
    ).length;
    if (given > 0 && given < 3) {
      const missing = (['SPACELIFT_BASE_URL', 'SPACELIFT_KEY_ID', 'SPACELIFT_KEY_SECRET'] as const).filter(
        (k) => env[k] === undefined,
      );
      ctx.addIssue({
        code: 'custom',
        path: [missing[0]!],
        message: `${missing.join(', ')} not set: set all three Spacelift variables, or none to use the local simulator`,
      });
    }
  });

export interface SpaceliftCredentials {
  baseUrl: string;
  keyId: string;
  keySecret: string;
}

export interface ServiceConfig {
  /** null: none configured (the local simulator stands in). */
  spacelift: SpaceliftCredentials | null;
  /** Address null: start the embedded dev server (on `port`, Web UI on `uiPort`). */
  temporal: TemporalConnectionConfig & { port: number; uiPort: number; maxRestarts: number };
  dataDir: string;
  cascade: CascadeOptions;
  simulator: { port: number; stateDurationMs: number };
  /** null when LOG_LEVEL is not set: info, or warn in demo mode so the demo's own lines stand out. */
  logLevel: string | null;
  webhook: WebhookConfig;
}

/** The configuration is invalid; `problems` lists every problem found, each naming its variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const variable = issue.path.map(String).join('.');
    return issue.message.startsWith(variable) ? issue.message : `${variable}: ${issue.message}`;
  });
}

export interface LoadConfigOptions {
  /**
   * The webhook receiver needs a secret unless unsigned webhooks are allowed; commands that
   * do not receive webhooks (or demo mode, which generates one) skip that rule.
   */
  requireWebhookSecret: boolean;
}

/** Reads and validates the environment, reporting every problem at once. */
export function loadServiceConfig(
  rawEnv: Record<string, string | undefined>,
  options: LoadConfigOptions,
): ServiceConfig {
  // `VAR=` in an env file means "not set".
  const env = Object.fromEntries(Object.entries(rawEnv).filter(([, v]) => v !== undefined && v !== ''));
  const service = serviceEnvSchema.safeParse(env);
  const webhook = webhookEnvSchema.safeParse(
    options.requireWebhookSecret ? env : { CASCADE_ALLOW_UNSIGNED_WEBHOOKS: 'true', ...env },
  );
  let temporal: TemporalConnectionConfig | null = null;
  const problems = [
    ...(service.success ? [] : describeIssues(service.error.issues)),
    ...(webhook.success ? [] : describeIssues(webhook.error.issues)),
  ];
  try {
    temporal = parseTemporalConnectionConfig(env);
  } catch (err) {
    if (!(err instanceof TemporalConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (!service.success || !webhook.success || temporal === null)
    throw new ConfigError([...new Set(problems)]);
  const s = service.data;
  const spacelift =
    s.SPACELIFT_BASE_URL && s.SPACELIFT_KEY_ID && s.SPACELIFT_KEY_SECRET
      ? { baseUrl: s.SPACELIFT_BASE_URL, keyId: s.SPACELIFT_KEY_ID, keySecret: s.SPACELIFT_KEY_SECRET }
      : null;
  return {
    spacelift,
    temporal: {
      ...temporal,
      port: s.TEMPORAL_PORT ?? DEFAULT_TEMPORAL_PORT,
      uiPort: s.TEMPORAL_UI_PORT ?? DEFAULT_TEMPORAL_UI_PORT,
      maxRestarts: s.CASCADE_TEMPORAL_MAX_RESTARTS ?? 5,
    },
    dataDir: s.CASCADE_DATA_DIR ?? '.data',
    cascade: {
      labelPrefix: s.CASCADE_LABEL_PREFIX ?? DEFAULT_LABEL_PREFIX,
      maxParallel: s.CASCADE_MAX_PARALLEL ?? 10,
      runType: s.CASCADE_RUN_TYPE ?? 'TRACKED',
      pollIntervalMs: s.CASCADE_POLL_INTERVAL_MS ?? 30_000,
      reconcileIntervalMs: s.CASCADE_RECONCILE_INTERVAL_MS ?? 60_000,
      driftRuns: s.CASCADE_DRIFT_RUNS ?? 'cascade',
      confirmationTimeoutMs: s.CASCADE_CONFIRMATION_TIMEOUT ?? null,
      runUrlBase: (s.CASCADE_RUN_URL_BASE ?? spacelift?.baseUrl ?? 'http://127.0.0.1').replace(
        /\/(graphql)?$/,
        '',
      ),
    },
    simulator: { port: s.SIMULATOR_PORT ?? 4000, stateDurationMs: s.SIMULATOR_STATE_DURATION_MS ?? 300 },
    logLevel: s.LOG_LEVEL ?? null,
    webhook: webhook.data,
  };
}
