import { describe, expect, it } from 'vitest';
import { ConfigError, coordinatorRef, loadServiceConfig } from '../../src/config/service-config.js';

const problemsOf = (env: Record<string, string>, requireWebhookSecret = true): string[] => {
  try {
    loadServiceConfig(env, { requireWebhookSecret });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
};

describe('loadServiceConfig', () => {
  it('runs on embedded defaults with nothing set (simulator, embedded Temporal, seed ports)', () => {
    const config = loadServiceConfig({}, { requireWebhookSecret: false });
    expect(config.spacelift).toBeNull();
    expect(config.temporal).toEqual({
      address: null,
      namespace: 'default',
      tls: null,
      apiKey: null,
      port: 7233,
      uiPort: 8088,
      maxRestarts: 5,
    });
    expect(config.webhook.port).toBe(8000);
    expect(config.webhook.host).toBe('0.0.0.0');
    expect(coordinatorRef(config).taskQueue).toBe('spacelift-task-queue');
    expect(config.cascade).toMatchObject({ labelPrefix: 'dependsOn:', runType: 'TRACKED', maxParallel: 10 });
  });

  it('reads the coordinator section: estate id and task queue, each refused when empty', () => {
    const ref = coordinatorRef(
      loadServiceConfig(
        { CASCADE_TASK_QUEUE: 'other-queue', CASCADE_ESTATE_ID: 'estate-eu' },
        { requireWebhookSecret: false },
      ),
    );
    expect(ref).toMatchObject({ taskQueue: 'other-queue', estateId: 'estate-eu' });
    expect(problemsOf({ CASCADE_ESTATE_ID: '   ', CASCADE_TASK_QUEUE: ' ' }, false)).toEqual([
      'CASCADE_ESTATE_ID must not be empty',
      'CASCADE_TASK_QUEUE must not be empty',
    ]);
  });

  it('lists every problem at once, naming each variable', () => {
    const problems = problemsOf({
      TEMPORAL_ADDRESS: 'no-port',
      CASCADE_MAX_PARALLEL: '0',
      CASCADE_RUN_TYPE: 'TASK',
      PORT: 'eighty',
      LOG_LEVEL: 'loud',
    });
    expect(problems.join('\n')).toMatch(/TEMPORAL_ADDRESS must be host:port/);
    expect(problems.join('\n')).toMatch(/CASCADE_MAX_PARALLEL must be at least 1/);
    expect(problems.join('\n')).toMatch(/CASCADE_RUN_TYPE must be TRACKED or PROPOSED/);
    expect(problems.join('\n')).toMatch(/PORT must be a whole number/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL must be one of/);
    expect(problems.join('\n')).toMatch(/SPACELIFT_WEBHOOK_SECRET is not set/);
    expect(problems).toHaveLength(6);
  });

  it('reads CASCADE_CUTOFF: early cutoff on by default, off restores every FINISHED run as a change', () => {
    const cascade = (env: Record<string, string>) =>
      loadServiceConfig(env, { requireWebhookSecret: false }).cascade;
    expect(cascade({}).cutoff).toBe(true);
    expect(cascade({ CASCADE_CUTOFF: 'on' }).cutoff).toBe(true);
    expect(cascade({ CASCADE_CUTOFF: ' OFF ' }).cutoff).toBe(false);
    expect(problemsOf({ CASCADE_CUTOFF: 'sometimes' }, false)).toEqual(['CASCADE_CUTOFF must be on or off']);
  });

  it('reads the confirmation time-out as a duration (off by default)', () => {
    const config = (env: Record<string, string>) =>
      loadServiceConfig(env, { requireWebhookSecret: false }).cascade;
    expect(config({}).confirmationTimeoutMs).toBeNull();
    expect(config({ CASCADE_CONFIRMATION_TIMEOUT: '30m' }).confirmationTimeoutMs).toBe(1_800_000);
    expect(config({ CASCADE_CONFIRMATION_TIMEOUT: '2h' }).confirmationTimeoutMs).toBe(7_200_000);
    expect(config({ CASCADE_CONFIRMATION_TIMEOUT: '90' }).confirmationTimeoutMs).toBe(90_000);
    expect(problemsOf({ CASCADE_CONFIRMATION_TIMEOUT: 'soon' }, false)).toEqual([
      'CASCADE_CONFIRMATION_TIMEOUT must be a duration like 30m, 2h, 900s or a number of seconds',
    ]);
  });

  it('wants all three Spacelift variables or none, and never prints the secret', () => {
    const problems = problemsOf(
      { SPACELIFT_KEY_ID: 'id', SPACELIFT_KEY_SECRET: 'super-secret-value' },
      false,
    );
    expect(problems).toEqual([
      'SPACELIFT_BASE_URL not set: set all three Spacelift variables, or none to use the local simulator',
    ]);
    expect(problems.join()).not.toContain('super-secret-value');
  });

  it('derives run links and the webhook identity from the Spacelift account', () => {
    const config = loadServiceConfig(
      {
        SPACELIFT_BASE_URL: 'https://acme.app.spacelift.io/graphql',
        SPACELIFT_KEY_ID: 'KEY1',
        SPACELIFT_KEY_SECRET: 's',
        SPACELIFT_WEBHOOK_SECRET: 'w1, w2',
      },
      { requireWebhookSecret: true },
    );
    expect(config.cascade.runUrlBase).toBe('https://acme.app.spacelift.io');
    expect(config.webhook.ownIdentity).toBe('api::KEY1');
    expect(config.webhook.secrets).toEqual(['w1', 'w2']);
  });

  it('takes Temporal Cloud settings (TLS, API key) and reports their problems with the rest', () => {
    const config = loadServiceConfig(
      {
        TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
        TEMPORAL_NAMESPACE: 'ns.acct',
        TEMPORAL_API_KEY: 'k-secret',
      },
      { requireWebhookSecret: false },
    );
    expect(config.temporal).toMatchObject({
      address: 'ns.acct.tmprl.cloud:7233',
      namespace: 'ns.acct',
      apiKey: 'k-secret',
    });
    expect(config.temporal.tls).not.toBeNull();
    const problems = problemsOf(
      { TEMPORAL_TLS_CERT_PATH: '/c.pem', TEMPORAL_API_KEY: 'k-secret', CASCADE_MAX_PARALLEL: 'x' },
      false,
    );
    expect(problems.join('\n')).toMatch(/TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together/);
    expect(problems.join('\n')).toMatch(/TEMPORAL_ADDRESS is needed/);
    expect(problems.join('\n')).toMatch(/CASCADE_MAX_PARALLEL must be a whole number/);
    expect(problems.join('\n')).not.toContain('k-secret');
  });

  it('treats empty values (VAR= in an env file) as unset', () => {
    const config = loadServiceConfig(
      { TEMPORAL_ADDRESS: '', SPACELIFT_BASE_URL: '' },
      { requireWebhookSecret: false },
    );
    expect(config.temporal.address).toBeNull();
    expect(config.spacelift).toBeNull();
  });
});
