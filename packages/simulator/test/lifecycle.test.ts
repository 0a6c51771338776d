import type { RunStateChange } from '../src/testing/index.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSimulator, type Simulator } from '../src/index.js';
import { login, post } from './http-helpers.js';

const seed = {
  stacks: [
    { id: 'network' },
    { id: 'broken', outcome: 'FAILED' as const },
    { id: 'gated', outcome: 'UNCONFIRMED' as const },
  ],
};
let sim: Simulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const states = (s: Simulator, stack: string, run: string) =>
  s.store.runs.get(stack, run)!.history.map((h) => [h.state, h.stateVersion, h.terminal]);

async function untilState(s: Simulator, stack: string, run: string, state: string): Promise<void> {
  await vi.waitFor(() => expect(s.store.runs.get(stack, run)?.state).toBe(state), {
    timeout: 5000,
    interval: 5,
  });
}

describe('simulated run lifecycle', () => {
  it('moves a TRACKED run through every state to FINISHED, over the API', async () => {
    sim = await startSimulator({ seed, stateDurationMs: 0 });
    const jwt = await login(sim);
    const { body } = await post(sim, 'mutation { runTrigger(stack: "network") { id state } }', {}, jwt);
    const run = (body.data!.runTrigger as { id: string; state: string }).id;
    expect(body.data!.runTrigger).toMatchObject({ state: 'QUEUED' });
    await untilState(sim, 'network', run, 'FINISHED');
    expect(states(sim, 'network', run)).toEqual([
      ['QUEUED', 1, false],
      ['READY', 2, false],
      ['PREPARING', 3, false],
      ['INITIALIZING', 4, false],
      ['PLANNING', 5, false],
      ['CONFIRMED', 6, false],
      ['PREPARING_APPLY', 7, false],
      ['APPLYING', 8, false],
      ['FINISHED', 9, true],
    ]);
    const stack = await post(sim, '{ stack(id: "network") { state } }', {}, jwt);
    expect(stack.body.data).toEqual({ stack: { state: 'FINISHED' } });
  });

  it('ends a PROPOSED run after planning and leaves the stack state alone', async () => {
    sim = await startSimulator({ seed, stateDurationMs: 0 });
    const run = (await sim.mock.triggerRun('network', { runType: 'PROPOSED' })).id;
    await untilState(sim, 'network', run, 'FINISHED');
    expect(states(sim, 'network', run).map(([s]) => s)).toEqual([
      'QUEUED',
      'READY',
      'PREPARING',
      'INITIALIZING',
      'PLANNING',
      'FINISHED',
    ]);
    expect(sim.store.runs.stackState('network')).toBe('NONE');
  });

  it('fails runs of a stack seeded with outcome FAILED after planning', async () => {
    sim = await startSimulator({ seed, stateDurationMs: 0 });
    const run = (await sim.mock.triggerRun('broken')).id;
    await untilState(sim, 'broken', run, 'FAILED');
    expect(states(sim, 'broken', run).map(([s]) => s)).toEqual([
      'QUEUED',
      'READY',
      'PREPARING',
      'INITIALIZING',
      'PLANNING',
      'FAILED',
    ]);
    expect(sim.store.runs.stackState('broken')).toBe('FAILED');
  });

  it('holds an UNCONFIRMED run until it is confirmed, then applies it', async () => {
    sim = await startSimulator({ seed, stateDurationMs: 0 });
    const jwt = await login(sim);
    const run = (await sim.mock.triggerRun('gated')).id;
    await untilState(sim, 'gated', run, 'UNCONFIRMED');
    expect(sim.store.runs.stackState('gated')).toBe('UNCONFIRMED');
    const { body } = await post(sim, 'mutation { runConfirm(stack: "gated") { state } }', {}, jwt);
    expect(body.data).toEqual({ runConfirm: { state: 'CONFIRMED' } });
    await untilState(sim, 'gated', run, 'FINISHED');
    expect(
      states(sim, 'gated', run)
        .map(([s]) => s)
        .slice(4),
    ).toEqual(['PLANNING', 'UNCONFIRMED', 'CONFIRMED', 'PREPARING_APPLY', 'APPLYING', 'FINISHED']);
  });

  it('runs the runs of one stack one after another, while other stacks run in parallel', async () => {
    sim = await startSimulator({ seed, stateDurationMs: 0 });
    const events: Array<[string, string]> = [];
    sim.store.onRunStateChange((c: RunStateChange) => events.push([c.run.id, c.transition.state]));
    const runs = [
      (await sim.mock.triggerRun('network')).id,
      (await sim.mock.triggerRun('network')).id,
      (await sim.mock.triggerRun('network')).id,
    ];
    const other = (await sim.mock.triggerRun('broken')).id;
    for (const run of runs) await untilState(sim, 'network', run, 'FINISHED');
    await untilState(sim, 'broken', other, 'FAILED');
    const at = (run: string, state: string) => events.findIndex(([r, s]) => r === run && s === state);
    expect(at(runs[1]!, 'PREPARING')).toBeGreaterThan(at(runs[0]!, 'FINISHED'));
    expect(at(runs[2]!, 'PREPARING')).toBeGreaterThan(at(runs[1]!, 'FINISHED'));
    // The other stack did not wait for the first one's queue to drain.
    expect(at(other, 'PREPARING')).toBeLessThan(at(runs[0]!, 'FINISHED'));
    expect((await sim.mock.getStackRuns('network'))!.map((r) => r.id)).toEqual([...runs].reverse());
  });

  it('keeps runs still when state changes are far apart', async () => {
    sim = await startSimulator({ seed, stateDurationMs: 3_600_000 });
    const run = (await sim.mock.triggerRun('network')).id;
    // A manual move re-plans the timer from the new state; nothing moves on its own meanwhile.
    sim.mock.advanceRun('network', run, 'PLANNING');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sim.store.runs.get('network', run)?.state).toBe('PLANNING');
  });
});
