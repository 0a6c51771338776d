import { z } from 'zod';
import { parseEnv } from '../config/config-error.js';
import { booleanFlag, integer, nonEmpty, port } from '../config/env-fields.js';
import { DEFAULT_WEBHOOK_HOST, DEFAULT_WEBHOOK_PORT } from '../constants.js';
import { apiKeyIdentity } from '../own-identity.js';

/** The webhook secret rule, checked where settings are read and where a receiver is built. */
export function webhookSecretProblem(secrets: readonly string[], allowUnsigned: boolean): string | null {
  return secrets.some((s) => s.trim() !== '') || allowUnsigned
    ? null
    : 'SPACELIFT_WEBHOOK_SECRET is not set: set it to the secret of your Spacelift webhook ' +
        '(comma-separated to rotate), or set CASCADE_ALLOW_UNSIGNED_WEBHOOKS=true to accept unsigned webhooks';
}

/**
 * The webhook receiver's settings, read from the environment: the receiver's section of the
 * service's configuration. Error messages name variables, never their values (secrets).
 */
export const webhookEnvSchema = z
  .object({
    PORT: port('PORT').optional(),
    HOST: nonEmpty('HOST').optional(),
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
    CASCADE_OWN_IDENTITY: nonEmpty('CASCADE_OWN_IDENTITY').optional(),
    SPACELIFT_KEY_ID: z.string().trim().optional(),
    /** Deliveries held in the data folder while Temporal is unreachable; 0 answers 503 at once. */
    CASCADE_SPOOL_MAX: integer('CASCADE_SPOOL_MAX', 0).optional(),
  })
  .superRefine(
    (env, ctx) => {
      // Runs even when other fields failed (see `when`), so the values may be of any type.
      const secrets =
        typeof env.SPACELIFT_WEBHOOK_SECRET === 'string' ? env.SPACELIFT_WEBHOOK_SECRET.split(',') : [];
      const problem = webhookSecretProblem(secrets, env.CASCADE_ALLOW_UNSIGNED_WEBHOOKS === true);
      if (problem) ctx.addIssue({ code: 'custom', path: ['SPACELIFT_WEBHOOK_SECRET'], message: problem });
    },
    // Also reported beside other problems, so one run of the service lists them all.
    { when: () => true },
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
      spoolMax: env.CASCADE_SPOOL_MAX ?? 10_000,
    };
  });

export type WebhookConfig = z.output<typeof webhookEnvSchema>;

/** Reads the receiver's settings; throws a ConfigError listing every problem. */
export function loadWebhookConfig(env: Record<string, string | undefined> = process.env): WebhookConfig {
  return parseEnv(webhookEnvSchema, env);
}
