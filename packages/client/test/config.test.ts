import { afterEach, describe, expect, it, vi } from 'vitest';
import { Spacelift, SpaceliftConfigError } from 'spacelift-client';
import { credentials, fakeFetch, withLogin } from './fake-fetch.js';

const stacksHandler = withLogin(() => ({ data: { stacks: [] } }));

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('configuration', () => {
  it('takes the credentials from the constructor and appends /graphql to the base URL', async () => {
    const fake = fakeFetch(stacksHandler);
    const client = new Spacelift({ ...credentials, fetch: fake.fetch });
    await client.getStacks();
    expect(fake.calls.map((c) => c.url)).toEqual([
      'https://acme.app.spacelift.io/graphql',
      'https://acme.app.spacelift.io/graphql',
    ]);
    expect(fake.calls[0]!.variables).toEqual({ id: 'KEY-ID-01', secret: 'super-secret-value' });
  });

  it.each([
    ['https://acme.app.spacelift.io/graphql', 'https://acme.app.spacelift.io/graphql'],
    ['https://acme.app.spacelift.io/graphql/', 'https://acme.app.spacelift.io/graphql'],
    ['https://acme.app.spacelift.io/', 'https://acme.app.spacelift.io/graphql'],
    ['http://127.0.0.1:4000', 'http://127.0.0.1:4000/graphql'],
  ])('accepts base URL %s', (baseUrl, endpoint) => {
    expect(new Spacelift({ ...credentials, baseUrl }).endpoint).toBe(endpoint);
  });

  it('reads all three settings from the environment', async () => {
    vi.stubEnv('SPACELIFT_BASE_URL', 'https://env.app.spacelift.io/graphql');
    vi.stubEnv('SPACELIFT_KEY_ID', 'ENV-KEY');
    vi.stubEnv('SPACELIFT_KEY_SECRET', 'env-secret');
    const fake = fakeFetch(stacksHandler);
    await new Spacelift({ fetch: fake.fetch }).getStacks();
    expect(fake.calls[0]).toMatchObject({
      url: 'https://env.app.spacelift.io/graphql',
      variables: { id: 'ENV-KEY', secret: 'env-secret' },
    });
  });

  it('prefers constructor arguments over the environment', () => {
    vi.stubEnv('SPACELIFT_BASE_URL', 'https://env.app.spacelift.io');
    expect(new Spacelift(credentials).endpoint).toBe('https://acme.app.spacelift.io/graphql');
  });

  it('names every missing variable and never the secret', () => {
    vi.stubEnv('SPACELIFT_BASE_URL', '');
    vi.stubEnv('SPACELIFT_KEY_ID', '');
    vi.stubEnv('SPACELIFT_KEY_SECRET', 'env-secret-value');
    let error: unknown;
    try {
      new Spacelift();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpaceliftConfigError);
    const configError = error as SpaceliftConfigError;
    expect(configError.missing).toEqual(['SPACELIFT_BASE_URL', 'SPACELIFT_KEY_ID']);
    expect(configError.message).toContain('SPACELIFT_BASE_URL, SPACELIFT_KEY_ID');
    expect(configError.message).not.toContain('env-secret-value');
    expect(configError.retryable).toBe(false);
  });

  it('reports a missing secret by its variable name', () => {
    vi.stubEnv('SPACELIFT_KEY_SECRET', '');
    expect(() => new Spacelift({ baseUrl: credentials.baseUrl, keyId: 'k' })).toThrow(/SPACELIFT_KEY_SECRET/);
  });

  it('rejects a base URL that is not an http(s) URL', () => {
    expect(() => new Spacelift({ ...credentials, baseUrl: 'acme.app.spacelift.io' })).toThrow(
      SpaceliftConfigError,
    );
    expect(() => new Spacelift({ ...credentials, baseUrl: 'ftp://acme.app.spacelift.io' })).toThrow(
      /must use http or https/,
    );
  });

  it('rejects bad options naming each one', () => {
    expect(() => new Spacelift({ ...credentials, timeoutMs: 0 })).toThrow(/timeoutMs: Too small/);
    expect(() => new Spacelift({ ...credentials, rateLimit: { requestsPerSecond: -1 } })).toThrow(
      /rateLimit\.requestsPerSecond/,
    );
    expect(() => new Spacelift({ ...credentials, retry: { retries: 1.5 } })).toThrow(/retry\.retries/);
    expect(() => new Spacelift({ ...credentials, log: console.log as never })).toThrow(
      /log: must have debug/,
    );
    expect(() => new Spacelift({ ...credentials, keySecret: 42 as never })).toThrow(SpaceliftConfigError);
  });
});
