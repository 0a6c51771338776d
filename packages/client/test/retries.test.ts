import { describe, expect, it } from 'vitest';
import { Spacelift, SpaceliftHttpError, SpaceliftNetworkError } from 'spacelift-client';
import { GraphQLTransport } from '../src/http/graphql-transport.js';
import { backoffDelayMs, parseRetryAfter } from '../src/http/retry-policy.js';
import { silentLogger } from '../src/logger.js';
import { credentials, fakeFetch, jsonResponse, withLogin, type Handler } from './fake-fetch.js';

const ok = { data: { stacks: [] } };
const NOW = Date.parse('2026-01-01T00:00:00Z');

/** A transport whose sleeps are recorded instead of waited. */
function transport(handler: Handler, retries = 3) {
  const fake = fakeFetch(handler);
  const sleeps: number[] = [];
  const t = new GraphQLTransport({
    endpoint: 'https://acme.app.spacelift.io/graphql',
    fetch: fake.fetch,
    timeoutMs: 5_000,
    retry: { retries, minDelayMs: 100, maxDelayMs: 1_000 },
    rateLimiter: null,
    log: silentLogger,
    clock: {
      now: () => NOW,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    },
    random: () => 1,
  });
  return { fake, sleeps, transport: t };
}

const query = { query: '{ stacks { id } }', operationName: 'GetStacks', variables: {}, idempotent: true };
const mutation = { query: 'mutation { x }', operationName: 'TriggerRun', variables: {}, idempotent: false };

const refused = () => {
  throw new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
  });
};
const reset = () => {
  throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket'), { code: 'ECONNRESET' }) });
};

describe('retry policy', () => {
  it('backs off exponentially with jitter, capped', () => {
    const policy = { retries: 5, minDelayMs: 100, maxDelayMs: 1_000 };
    expect([0, 1, 2, 3, 4].map((a) => backoffDelayMs(a, policy, () => 1))).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect([0, 1, 2].map((a) => backoffDelayMs(a, policy, () => 0))).toEqual([50, 100, 200]);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:03 GMT', NOW)).toBe(3_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeNull();
    expect(parseRetryAfter(null, NOW)).toBeNull();
  });
});

describe('retries of queries', () => {
  it('retries 5xx and 429 with backoff until an answer', async () => {
    const statuses = [503, 429, 500];
    const {
      fake,
      sleeps,
      transport: t,
    } = transport((_r, i) => (i < statuses.length ? new Response('busy', { status: statuses[i]! }) : ok));
    await expect(t.send(query)).resolves.toMatchObject({ status: 200, body: ok });
    expect(fake.calls).toHaveLength(4);
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('waits as long as Retry-After says (seconds and HTTP date)', async () => {
    const answers = [
      new Response('', { status: 429, headers: { 'retry-after': '7' } }),
      new Response('', { status: 503, headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:02 GMT' } }),
    ];
    const { sleeps, transport: t } = transport((_r, i) => answers[i] ?? ok);
    await t.send(query);
    expect(sleeps).toEqual([7_000, 2_000]);
  });

  it('retries network errors', async () => {
    const { fake, transport: t } = transport((_r, i) => (i === 0 ? reset() : ok));
    await expect(t.send(query)).resolves.toMatchObject({ status: 200 });
    expect(fake.calls).toHaveLength(2);
  });

  it('gives up after the configured retries with a retryable HTTP error', async () => {
    const { fake, transport: t } = transport(() => new Response('down', { status: 502 }), 2);
    const error = await t.send(query).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpaceliftHttpError);
    expect(error).toMatchObject({ status: 502, retryable: true, operationName: 'GetStacks' });
    expect(fake.calls).toHaveLength(3);
  });

  it('does not retry a 4xx GraphQL answer', async () => {
    const { fake, transport: t } = transport(() => jsonResponse({ errors: [{ message: 'bad' }] }, 400));
    await expect(t.send(query)).resolves.toMatchObject({ status: 400 });
    expect(fake.calls).toHaveLength(1);
  });
});

describe('retries of mutations', () => {
  it('does not retry a mutation answered with 500', async () => {
    const { fake, sleeps, transport: t } = transport(() => new Response('oops', { status: 500 }));
    const error = await t.send(mutation).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpaceliftHttpError);
    expect((error as SpaceliftHttpError).status).toBe(500);
    expect(fake.calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('does not retry a mutation whose connection broke after sending', async () => {
    const { fake, transport: t } = transport(reset);
    await expect(t.send(mutation)).rejects.toBeInstanceOf(SpaceliftNetworkError);
    expect(fake.calls).toHaveLength(1);
  });

  it('retries a mutation whose connection was refused (it never reached the server)', async () => {
    const { fake, transport: t } = transport((_r, i) => (i < 2 ? refused() : ok));
    await expect(t.send(mutation)).resolves.toMatchObject({ status: 200 });
    expect(fake.calls).toHaveLength(3);
  });

  it('sends a client mutation once on 500 end to end', async () => {
    const fake = fakeFetch(withLogin(() => new Response('oops', { status: 500 })));
    const client = new Spacelift({ ...credentials, fetch: fake.fetch, retry: { minDelayMs: 0 } });
    await expect(client.triggerRun('s1')).rejects.toMatchObject({ status: 500 });
    expect(fake.apiCalls()).toHaveLength(1);
  });

  it('retries a client query on 503 end to end', async () => {
    const fake = fakeFetch(
      withLogin((_r, i) => (i === 1 ? new Response('', { status: 503 }) : { data: { stacks: [] } })),
    );
    const client = new Spacelift({ ...credentials, fetch: fake.fetch, retry: { minDelayMs: 0 } });
    await expect(client.getStacks()).resolves.toEqual([]);
    expect(fake.apiCalls()).toHaveLength(2);
  });
});
