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

  it('refuses a wrong key id or secret', async () => {
    sim = await startSimulator({ apiKey });
    for (const variables of [
      { id: 'KEY1', secret: 'wrong' },
      { id: 'KEY2', secret: 'key-secret' },
    ]) {
      const { status, body } = await post(sim, LOGIN, variables);
      expect(status).toBe(200);
      expect(body.errors).toEqual([
        expect.objectContaining({ message: 'unauthorized', path: ['apiKeyUser'] }),
      ]);
      expect(body.data).toEqual({ apiKeyUser: null });
    }
    expect(sim.stats.logins).toBe(0);
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
