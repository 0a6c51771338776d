import { Spacelift } from 'spacelift-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/index.js';
import { post } from './http-helpers.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const STACKS = 'query Stacks { stacks { id } }';

describe('API fault injection', () => {
  it('answers with HTTP 500 at rate 1, executing nothing', async () => {
    sim = await startSimulator({ faults: { http500Rate: 1 } });
    const { status } = await post(sim, STACKS);
    expect(status).toBe(500);
    expect(sim.stats.injected).toEqual({ http500: 1, http429: 0 });
    expect(sim.stats.apiCalls).toEqual({});
  });

  it('answers with HTTP 429 and Retry-After at rate 1', async () => {
    sim = await startSimulator({ faults: { http429Rate: 1, retryAfterSeconds: 7 } });
    const { status, headers } = await post(sim, STACKS);
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBe('7');
    expect(sim.stats.injected).toEqual({ http500: 0, http429: 1 });
  });

  it('injects a seeded, reproducible share of faults', async () => {
    const statuses: number[][] = [];
    for (let i = 0; i < 2; i++) {
      const s = await startSimulator({ faults: { http500Rate: 0.3, http429Rate: 0.2, randomSeed: 9 } });
      const seen: number[] = [];
      for (let n = 0; n < 30; n++) seen.push((await post(s, STACKS)).status);
      statuses.push(seen);
      await s.close();
    }
    expect(statuses[1]).toEqual(statuses[0]);
    expect(new Set(statuses[0])).toEqual(new Set([200, 429, 500]));
  });

  it('lets spacelift-client retry through injected faults', async () => {
    sim = await startSimulator({
      seed: { stacks: [{ id: 'a' }, { id: 'b' }] },
      faults: { http500Rate: 0.3, http429Rate: 0.2, retryAfterSeconds: 0, randomSeed: 3 },
    });
    const client = new Spacelift({
      baseUrl: sim.baseUrl,
      keyId: sim.apiKey.id,
      keySecret: sim.apiKey.secret,
      retry: { retries: 20, minDelayMs: 1, maxDelayMs: 5 },
    });
    for (let i = 0; i < 5; i++)
      expect(await client.getStacks()).toEqual([
        { id: 'a', space: 'root' },
        { id: 'b', space: 'root' },
      ]);
    expect(sim.stats.injected.http500 + sim.stats.injected.http429).toBeGreaterThan(0);
  });
});
