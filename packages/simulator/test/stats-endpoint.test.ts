import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimulatorStats } from '../src/index.js';
import { login, post } from './http-helpers.js';

let sim: Simulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const getStats = async (s: Simulator): Promise<{ status: number; type: string | null; body: unknown }> => {
  const response = await fetch(`${s.baseUrl}/simulator/stats`);
  return { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
};

describe('GET /simulator/stats', () => {
  it('serves the live counters as JSON, API calls by operation name, and is not an API call itself', async () => {
    sim = await startSimulator({ seed: { stacks: [{ id: 'a' }] } });
    const before = await getStats(sim);
    expect(before.status).toBe(200);
    expect(before.type).toBe('application/json; charset=utf-8');
    expect((before.body as SimulatorStats).apiCalls).toEqual({});

    const jwt = await login(sim);
    await post(sim, 'query Stacks { stacks { id } }', {}, jwt);
    await post(sim, 'query Stacks { stacks { id } }', {}, jwt);
    await post(sim, '{ stacks { id } }', {}, jwt);
    const after = (await getStats(sim)).body as SimulatorStats;
    expect(after.apiCalls).toEqual({ Login: 1, Stacks: 2, anonymous: 1 });
    expect(after).toEqual(JSON.parse(JSON.stringify(sim.stats)));
  });
});
