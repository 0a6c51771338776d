import { ConfigError } from '../../src/config/config-error.js';
import { describe, expect, it } from 'vitest';
import { loadWebhookConfig } from '../../src/webhook/webhook-config.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadWebhookConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('loadWebhookConfig', () => {
  it('applies the seed defaults', () => {
    expect(loadWebhookConfig({ SPACELIFT_WEBHOOK_SECRET: 's3cret' })).toEqual({
      port: 8000,
      host: '0.0.0.0',
      secrets: ['s3cret'],
      allowUnsigned: false,
      bodyLimit: 1024 * 1024,
      rateLimit: { max: 0, windowMs: 60_000 },
      requestTimeoutMs: 30_000,
      connectionTimeoutMs: 10_000,
      retryAfterSeconds: 5,
      ownIdentity: null,
      spoolMax: 10_000,
    });
  });

  it('reads every setting', () => {
    const config = loadWebhookConfig({
      PORT: '9000',
      HOST: '127.0.0.1',
      SPACELIFT_WEBHOOK_SECRET: ' old , new ,',
      CASCADE_WEBHOOK_BODY_LIMIT: '2048',
      CASCADE_WEBHOOK_RATE_LIMIT: '100',
      CASCADE_WEBHOOK_RATE_LIMIT_WINDOW_MS: '1000',
      CASCADE_WEBHOOK_REQUEST_TIMEOUT_MS: '5000',
      CASCADE_WEBHOOK_CONNECTION_TIMEOUT_MS: '2000',
      CASCADE_WEBHOOK_RETRY_AFTER_SECONDS: '30',
      SPACELIFT_KEY_ID: '01KEY',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
      secrets: ['old', 'new'],
      bodyLimit: 2048,
      rateLimit: { max: 100, windowMs: 1000 },
      requestTimeoutMs: 5000,
      connectionTimeoutMs: 2000,
      retryAfterSeconds: 30,
      ownIdentity: 'api::01KEY',
    });
  });

  it('takes the own identity from CASCADE_OWN_IDENTITY, and `none` disables the check', () => {
    const base = { SPACELIFT_WEBHOOK_SECRET: 's', SPACELIFT_KEY_ID: '01KEY' };
    expect(loadWebhookConfig({ ...base, CASCADE_OWN_IDENTITY: 'api::OTHER' }).ownIdentity).toBe('api::OTHER');
    expect(loadWebhookConfig({ ...base, CASCADE_OWN_IDENTITY: 'none' }).ownIdentity).toBeNull();
  });

  it('allows unsigned webhooks only when asked, and treats empty values as unset', () => {
    expect(loadWebhookConfig({ CASCADE_ALLOW_UNSIGNED_WEBHOOKS: 'true', PORT: '' })).toMatchObject({
      allowUnsigned: true,
      secrets: [],
      port: 8000,
    });
    expect(problemsOf({})).toEqual([expect.stringMatching(/^SPACELIFT_WEBHOOK_SECRET is not set/)]);
    expect(problemsOf({ SPACELIFT_WEBHOOK_SECRET: ' , ' })).toHaveLength(1);
  });

  it('lists every problem at once, naming the variables', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      CASCADE_ALLOW_UNSIGNED_WEBHOOKS: 'maybe',
      CASCADE_WEBHOOK_BODY_LIMIT: '0',
      CASCADE_WEBHOOK_RATE_LIMIT: '-1',
    });
    expect(problems).toEqual([
      'PORT must be a whole number',
      'CASCADE_ALLOW_UNSIGNED_WEBHOOKS must be true or false',
      'CASCADE_WEBHOOK_BODY_LIMIT must be at least 1',
      'CASCADE_WEBHOOK_RATE_LIMIT must be a whole number',
      expect.stringMatching(/^SPACELIFT_WEBHOOK_SECRET is not set/),
    ]);
  });

  it('never puts secret values in its errors', () => {
    const secret = 'super-secret-value-123';
    try {
      loadWebhookConfig({ SPACELIFT_WEBHOOK_SECRET: secret, PORT: secret });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain('PORT');
      expect((err as Error).message).not.toContain(secret);
    }
  });
});
