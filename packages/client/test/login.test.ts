import { afterEach, describe, expect, it, vi } from 'vitest';
import { Spacelift, SpaceliftAuthError, type SpaceliftLogger } from 'spacelift-client';
import { credentials, fakeFetch, jsonResponse, withLogin } from './fake-fetch.js';

const stacks = () => ({ data: { stacks: [{ id: 'a', space: 'root' }] } });

afterEach(() => {
  vi.useRealTimers();
});

describe('API key login', () => {
  it('logs in once and sends the JWT as a bearer token on later calls', async () => {
    const fake = fakeFetch(withLogin(stacks));
    const client = new Spacelift({ ...credentials, fetch: fake.fetch });
    await client.getStacks();
    await client.getStacks();
    expect(fake.logins()).toBe(1);
    expect(fake.calls[0]!.authorization).toBeNull();
    expect(fake.apiCalls().map((c) => c.authorization)).toEqual(['Bearer jwt-1', 'Bearer jwt-1']);
  });

  it('renews the JWT the configured margin before validUntil', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
    const fake = fakeFetch(withLogin(stacks, 300));
    const client = new Spacelift({ ...credentials, fetch: fake.fetch, tokenRefreshMarginSeconds: 60 });
    await client.getStacks();
    vi.setSystemTime(new Date('2026-01-01T00:03:59Z')); // 61 s before expiry: still fresh
    await client.getStacks();
    expect(fake.logins()).toBe(1);
    vi.setSystemTime(new Date('2026-01-01T00:04:01Z')); // 59 s before expiry: renew
    await client.getStacks();
    expect(fake.logins()).toBe(2);
    expect(fake.apiCalls().map((c) => c.authorization)).toEqual([
      'Bearer jwt-1',
      'Bearer jwt-1',
      'Bearer jwt-2',
    ]);
  });

  it('shares one login between 10 concurrent calls', async () => {
    let releaseLogin!: () => void;
    const loginGate = new Promise<void>((resolve) => (releaseLogin = resolve));
    const inner = withLogin(stacks);
    const fake = fakeFetch(async (request, index) => {
      if (request.operationName === 'ApiKeyUser') await loginGate;
      return inner(request, index);
    });
    const client = new Spacelift({ ...credentials, fetch: fake.fetch });
    const calls = Array.from({ length: 10 }, () => client.getStacks());
    await Promise.resolve();
    releaseLogin();
    const results = await Promise.all(calls);
    expect(results).toHaveLength(10);
    expect(fake.logins()).toBe(1);
    expect(new Set(fake.apiCalls().map((c) => c.authorization))).toEqual(new Set(['Bearer jwt-1']));
  });

  it('logs in again once when the JWT is refused, then succeeds', async () => {
    const fake = fakeFetch(
      withLogin((request) =>
        request.authorization === 'Bearer jwt-1'
          ? { data: null, errors: [{ message: 'unauthorized' }] }
          : stacks(),
      ),
    );
    const client = new Spacelift({ ...credentials, fetch: fake.fetch });
    await expect(client.getStacks()).resolves.toEqual([{ id: 'a', space: 'root' }]);
    expect(fake.logins()).toBe(2);
    expect(fake.apiCalls().map((c) => c.authorization)).toEqual(['Bearer jwt-1', 'Bearer jwt-2']);
  });

  it('treats an HTTP 401 like an unauthorized answer', async () => {
    const fake = fakeFetch(
      withLogin((request) =>
        request.authorization === 'Bearer jwt-1' ? new Response('', { status: 401 }) : stacks(),
      ),
    );
    const client = new Spacelift({ ...credentials, fetch: fake.fetch });
    await expect(client.getStacks()).resolves.toHaveLength(1);
    expect(fake.logins()).toBe(2);
  });

  it('fails with an auth error when the fresh JWT is refused too', async () => {
    const fake = fakeFetch(withLogin(() => ({ data: null, errors: [{ message: 'unauthorized' }] })));
    const client = new Spacelift({ ...credentials, fetch: fake.fetch });
    const error = await client.getStacks().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpaceliftAuthError);
    expect((error as SpaceliftAuthError).operationName).toBe('GetStacks');
    expect((error as SpaceliftAuthError).retryable).toBe(false);
    expect(fake.logins()).toBe(2);
    expect(fake.apiCalls()).toHaveLength(2);
  });

  it('fails with an auth error naming the key id (not the secret) when the key is refused', async () => {
    const fake = fakeFetch(() => ({ data: { apiKeyUser: null }, errors: [{ message: 'unauthorized' }] }));
    const client = new Spacelift({ ...credentials, fetch: fake.fetch });
    const error = await client.getStacks().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpaceliftAuthError);
    expect((error as Error).message).toContain('KEY-ID-01');
    expect((error as Error).message).not.toContain(credentials.keySecret);
    expect(fake.apiCalls()).toHaveLength(0);
  });

  it('reports an HTTP 401 to the login as a refused key', async () => {
    const fake = fakeFetch(() => new Response('', { status: 401 }));
    const error = await new Spacelift({ ...credentials, fetch: fake.fetch })
      .getStacks()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpaceliftAuthError);
    expect((error as Error).message).toContain('HTTP 401');
    expect(fake.calls).toHaveLength(1);
  });

  it('lets the next call log in again after a failed login', async () => {
    let first = true;
    const inner = withLogin(stacks);
    const fake = fakeFetch((request, index) => {
      if (request.operationName === 'ApiKeyUser' && first) {
        first = false;
        return jsonResponse({ errors: [{ message: 'unauthorized' }] });
      }
      return inner(request, index);
    });
    const client = new Spacelift({ ...credentials, fetch: fake.fetch });
    await expect(client.getStacks()).rejects.toBeInstanceOf(SpaceliftAuthError);
    await expect(client.getStacks()).resolves.toHaveLength(1);
  });

  it('never logs the secret or the JWT', async () => {
    const lines: string[] = [];
    const log: SpaceliftLogger = {
      debug: (obj, msg) => lines.push(JSON.stringify([obj, msg])),
      warn: (obj, msg) => lines.push(JSON.stringify([obj, msg])),
    };
    const fake = fakeFetch(
      withLogin((request) =>
        request.authorization === 'Bearer jwt-1' ? { errors: [{ message: 'unauthorized' }] } : stacks(),
      ),
    );
    await new Spacelift({ ...credentials, fetch: fake.fetch, log }).getStacks();
    expect(lines.length).toBeGreaterThan(3);
    const all = lines.join('\n');
    expect(all).toContain('GetStacks');
    expect(all).not.toContain(credentials.keySecret);
    expect(all).not.toContain('jwt-1');
    expect(all).not.toContain('jwt-2');
  });
});
