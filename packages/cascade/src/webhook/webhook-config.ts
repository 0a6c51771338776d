import { z } from 'zod';
import { DEFAULT_ESTATE_ID, DEFAULT_WEBHOOK_HOST, DEFAULT_WEBHOOK_PORT, TASK_QUEUE } from '../constants.js';
import { apiKeyIdentity } from '../own-identity.js';

const integer = (name: string, min: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${name} must be at least ${min}`));

const booleanFlag = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: `${name} must be true or false` }))
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * The webhook receiver's settings, read from the environment. Exported so the CLI composes it
 * with its own settings. Error messages name variables, never their values (secrets).
 */
export const webhookEnvSchema = z
  .preprocess(
    // `VAR=` in an env file means "not set".
    (env) =>
      typeof env === 'object' && env !== null
        ? Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''))
        : env,
    z
      .object({
        PORT: integer('PORT', 0).pipe(z.number().max(65535, 'PORT must be at most 65535')).optional(),
        HOST: z.string().trim().min(1, 'HOST must not be empty').optional(),
        /** Comma-separated: several secrets are accepted at once while rotating. */
        SPACELIFT_WEBHOOK_SECRET: z.string().optional(),
        CASCADE_ALLOW_UNSIGNED_WEBHOOKS: booleanFlag('CASCADE_ALLOW_UNSIGNED_WEBHOOKS').optional(),
        CASCADE_WEBHOOK_BODY_LIMIT: integer('CASCADE_WEBHOOK_BODY_LIMIT', 1).optional(),
        /** Requests per client per window; 0 turns the limit off (the default). */
        CASCADE_WEBHOOK_RATE_LIMIT: integer('CASCADE_WEBHOOK_RATE_LIMIT', 0).optional(),
        CASCADE_WEBHOOK_RATE_LIMIT_WINDOW_MS: integer('CASCADE_WEBHOOK_RATE_LIMIT_WINDOW_MS', 1).optional(),
        CASCADE_WEBHOOK_REQUEST_TIMEOUT_MS: integer('CASCADE_WEBHOOK_REQUEST_TIMEOUT_MS', 0).optional(),
        CASCADE_WEBHOOK_CONNECTION_TIMEOUT_MS: integer('CASCADE_WEBHOOK_CONNECTION_TIMEOUT_MS', 0).optional(),
        /** Seconds Spacelift is told to wait when Temporal is unreachable. */
        CASCADE_WEBHOOK_RETRY_AFTER_SECONDS: integer('CASCADE_WEBHOOK_RETRY_AFTER_SECONDS', 1).optional(),
        /** `triggeredBy` of runs the cascade triggers (a retried trigger finds its run by it); `none` disables the check. */
        CASCADE_OWN_IDENTITY: z.string().trim().min(1, 'CASCADE_OWN_IDENTITY must not be empty').optional(),
        SPACELIFT_KEY_ID: z.string().trim().optional(),
        CASCADE_TASK_QUEUE: z.string().trim().min(1, 'CASCADE_TASK_QUEUE must not be empty').optional(),
        /** Deliveries held in the data folder while Temporal is unreachable; 0 answers 503 at once. */
        CASCADE_SPOOL_MAX: integer('CASCADE_SPOOL_MAX', 0).optional(),
        /** The coordinator's workflow id: one estate, one id, shared by every receiver and worker. */
        CASCADE_ESTATE_ID: z.string().trim().min(1, 'CASCADE_ESTATE_ID must not be empty').optional(),
        /** Bearer token the dashboard's actions (cancel a cascade) need; unset: read-only. */
        CASCADE_ADMIN_TOKEN: z
          .string()
          .trim()
          .min(16, 'CASCADE_ADMIN_TOKEN must be at least 16 characters (use a random value)')
          .optional(),
      })
      .refine(
        // Runs even when other fields failed (see `when`), so the values may be of any type.
        (env) =>
          (typeof env.SPACELIFT_WEBHOOK_SECRET === 'string' &&
            env.SPACELIFT_WEBHOOK_SECRET.split(',').some((s) => s.trim() !== '')) ||
          env.CASCADE_ALLOW_UNSIGNED_WEBHOOKS === true,
        {
          path: ['SPACELIFT_WEBHOOK_SECRET'],
          message:
            'SPACELIFT_WEBHOOK_SECRET is not set: set it to the secret of your Spacelift webhook ' +
            '(comma-separated to rotate), or set CASCADE_ALLOW_UNSIGNED_WEBHOOKS=true to accept unsigned webhooks',
          // Also reported beside other problems, so one run of the service lists them all.
          when: () => true,
        },
      ),
  )
  .transform((env) => {
    const secrets = (env.SPACELIFT_WEBHOOK_SECRET ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const identity = env.CASCADE_OWN_IDENTITY;
    return {
      port: env.PORT ?? DEFAULT_WEBHOOK_PORT,
      host: env.HOST ?? DEFAULT_WEBHOOK_HOST,
      secrets,
      allowUnsigned: env.CASCADE_ALLOW_UNSIGNED_WEBHOOKS ?? false,
      bodyLimit: env.CASCADE_WEBHOOK_BODY_LIMIT ?? 1024 * 1024,
      rateLimit: {
        max: env.CASCADE_WEBHOOK_RATE_LIMIT ?? 0,
        windowMs: env.CASCADE_WEBHOOK_RATE_LIMIT_WINDOW_MS ?? 60_000,
      },
      requestTimeoutMs: env.CASCADE_WEBHOOK_REQUEST_TIMEOUT_MS ?? 30_000,
      connectionTimeoutMs: env.CASCADE_WEBHOOK_CONNECTION_TIMEOUT_MS ?? 10_000,
      retryAfterSeconds: env.CASCADE_WEBHOOK_RETRY_AFTER_SECONDS ?? 5,
      ownIdentity:
        identity === 'none'
          ? null
          : (identity ?? (env.SPACELIFT_KEY_ID ? apiKeyIdentity(env.SPACELIFT_KEY_ID) : null)),
      taskQueue: env.CASCADE_TASK_QUEUE ?? TASK_QUEUE,
      estateId: env.CASCADE_ESTATE_ID ?? DEFAULT_ESTATE_ID,
      adminToken: env.CASCADE_ADMIN_TOKEN ?? null,
      spoolMax: env.CASCADE_SPOOL_MAX ?? 10_000,
    };
  });

export type WebhookConfig = z.output<typeof webhookEnvSchema>;

/** The environment held invalid webhook settings; `problems` lists every one of them. */
export class WebhookConfigError extends Error {
  override readonly name = 'WebhookConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid webhook configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Reads the webhook settings from the environment, reporting every problem at once. */
export function loadWebhookConfig(env: Record<string, string | undefined> = process.env): WebhookConfig {
  const result = webhookEnvSchema.safeParse(env);
  if (result.success) return result.data;
  throw new WebhookConfigError(
    result.error.issues.map((issue) => {
      const variable = issue.path.map(String).join('.');
      // Our own messages start with the variable name; zod's built-in ones do not.
      return issue.message.startsWith(variable) ? issue.message : `${variable}: ${issue.message}`;
    }),
  );
}
