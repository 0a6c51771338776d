import { describe, expect, it } from 'vitest';
import { Spacelift, SpaceliftNetworkError } from 'spacelift-client';
import { credentials, fakeFetch } from './fake-fetch.js';

/** A fetch that never answers and rejects only when its signal aborts, like a hung server. */
const hangingFetch = (): typeof fetch => {
  const inner = fakeFetch(() => new Promise<never>(() => {}));
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error));
      inner.fetch(input, init).then(resolve, reject);
    });
};

describe('per-request timeout', () => {
  it('aborts a hung request and reports a retryable timeout', async () => {
    const client = new Spacelift({
      ...credentials,
      fetch: hangingFetch(),
      timeoutMs: 20,
      retry: { retries: 0 },
    });
    const error = await client.getStacks().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpaceliftNetworkError);
    expect(error).toMatchObject({ timedOut: true, retryable: true, operationName: 'ApiKeyUser' });
    expect((error as Error).message).toContain('timed out after 20 ms');
  });

  it('retries a timed-out query', async () => {
    let attempts = 0;
    const hanging = hangingFetch();
    const client = new Spacelift({
      ...credentials,
      timeoutMs: 20,
      retry: { retries: 2, minDelayMs: 0 },
      fetch: (input, init) => {
        attempts += 1;
        return hanging(input, init);
      },
    });
    await expect(client.getStacks()).rejects.toBeInstanceOf(SpaceliftNetworkError);
    expect(attempts).toBe(3);
  });
});
