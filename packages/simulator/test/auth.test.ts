import { Spacelift, SpaceliftAuthError } from 'spacelift-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/index.js';
import { LOGIN, login, post } from './http-helpers.js';

const apiKey = { id: 'KEY1', secret: 'key-secret' };
const STACKS = 'query Stacks { stacks { id } }';
let sim: Simulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('simulator authentication', () => {
  it('trades the API key for a JWT valid for --jwt-ttl-seconds, then serves requests', async () => {
    let nowMs = 1_700_000_000_000;
    sim = await startSimulator({
      apiKey,
      jwtTtlSeconds: 120,
      now: () => nowMs,
      seed: { stacks: [{ id: 'a' }] },
    });
    const { status, body } = await post(sim, LOGIN, apiKey);
    expect(status).toBe(200);
    const user = body.data?.apiKeyUser as { jwt: string; validUntil: number };
    expect(user.validUntil).toBe(1_700_000_000 + 120);
    expect(user.jwt.split('.')).toHaveLength(3);
    expect((await post(sim, STACKS, {}, user.jwt)).body).toEqual({ data: { stacks: [{ id: 'a' }] } });
    expect(sim.stats.logins).toBe(1);
    expect(sim.stats.apiCalls).toEqual({ Login: 1, Stacks: 1 });
    nowMs += 119_000;
    expect((await post(sim, STACKS, {}, user.jwt)).body.errors).toBeUndefined();
  });

  it('refuses requests without a JWT with HTTP 200 and an `unauthorized` GraphQL error', async () => {
    sim = await startSimulator({ apiKey });
    const { status, body } = await post(sim, STACKS);
    expect(status).toBe(200);
    expect(body).toEqual({ data: null, errors: [{ message: 'unauthorized' }] });
    expect(sim.stats.unauthorized).toBe(1);
  });

  it('refuses malformed and forged JWTs', async () => {
    sim = await startSimulator({ apiKey });
    const other = await startSimulator({ apiKey });
    try {
      const foreign = await login(other);
      expect((await post(sim, STACKS, {}, 'not-a-jwt')).body.errors).toEqual([{ message: 'unauthorized' }]);
      // Signed by another simulator's key: same shape, wrong signature.
      expect((await post(sim, STACKS, {}, foreign)).body.errors).toEqual([{ message: 'unauthorized' }]);
      const jwt = await login(sim);
      const [h, p, s] = jwt.split('.');
      const tampered = JSON.parse(Buffer.from(p!, 'base64url').toString()) as { exp: number };
      tampered.exp += 3600;
      const forged = `${h}.${Buffer.from(JSON.stringify(tampered)).toString('base64url')}.${s}`;
      expect((await post(sim, STACKS, {}, forged)).body.errors).toEqual([{ message: 'unauthorized' }]);
    } finally {
      await other.close();
    }
  });

  it('refuses an expired JWT', async () => {
    let nowMs = 1_700_000_000_000;
    sim = await startSimulator({ apiKey, jwtTtlSeconds: 1, now: () => nowMs });
    const jwt = await login(sim);
    expect((await post(sim, STACKS, {}, jwt)).body.errors).toBeUndefined();
    nowMs += 1000;
    expect((await post(sim, STACKS, {}, jwt)).body).toEqual({
      data: null,
      errors: [{ message: 'unauthorized' }],
    });
  });

  it('refuses a wrong secret as unauthorized', async () => {
    sim = await startSimulator({ apiKey });
    const { status, body } = await post(sim, LOGIN, { id: 'KEY1', secret: 'wrong' });
    expect(status).toBe(200);
    expect(body.errors).toEqual([expect.objectContaining({ message: 'unauthorized', path: ['apiKeyUser'] })]);
    expect(body.data).toEqual({ apiKeyUser: null });
    expect(sim.stats.logins).toBe(0);
  });

  it('answers an unknown key id with a null user and no error, as Spacelift does', async () => {
    sim = await startSimulator({ apiKey });
    const { status, body } = await post(sim, LOGIN, { id: 'KEY2', secret: 'key-secret' });
    expect(status).toBe(200);
    expect(body).toEqual({ data: { apiKeyUser: null } });
    expect(sim.stats.logins).toBe(0);
  });

  it('makes the client raise a typed auth error naming the unknown key', async () => {
    sim = await startSimulator({ apiKey });
    const client = new Spacelift({ baseUrl: sim.baseUrl, keyId: 'KEY2', keySecret: 'key-secret' });
    const error = await client.getStacks().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpaceliftAuthError);
    expect(error).toMatchObject({ reason: 'unknown-key', retryable: false, operationName: 'ApiKeyUser' });
    expect((error as Error).message).toContain('does not know API key "KEY2"');
    const wrongSecret = new Spacelift({ baseUrl: sim.baseUrl, keyId: 'KEY1', keySecret: 'nope' });
    await expect(wrongSecret.getStacks()).rejects.toMatchObject({ reason: 'key-refused' });
  });

  it('accepts several named keys and records each caller as api::<key id>', async () => {
    sim = await startSimulator({
      seed: { stacks: [{ id: 'a' }] },
      stateDurationMs: 60_000,
      apiKeys: [
        { id: 'CASCADE', secret: 'c-secret', name: 'cascade' },
        { id: 'CI', secret: 'ci-secret', name: 'ci pipeline' },
      ],
    });
    expect(sim.apiKeys.map((k) => [k.id, k.name])).toEqual([
      ['CASCADE', 'cascade'],
      ['CI', 'ci pipeline'],
    ]);
    for (const key of sim.apiKeys) {
      const client = new Spacelift({ baseUrl: sim.baseUrl, keyId: key.id, keySecret: key.secret });
      expect((await client.triggerRun('a')).triggeredBy).toBe(`api::${key.id}`);
    }
  });

  it('generates a key when none is configured and records runs as triggered by it', async () => {
    sim = await startSimulator({ seed: { stacks: [{ id: 'a' }] }, stateDurationMs: 60_000 });
    expect(sim.apiKey.id).toBe('simulator');
    expect(sim.apiKey.secret).toMatch(/^[0-9a-f]{48}$/);
    const jwt = await login(sim);
    const { body } = await post(sim, 'mutation { runTrigger(stack: "a") { triggeredBy state } }', {}, jwt);
    expect(body.data).toEqual({ runTrigger: { triggeredBy: 'api::simulator', state: 'QUEUED' } });
  });
});
