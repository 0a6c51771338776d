import { describe, expect, it } from 'vitest';
import { seededRandom } from '../src/seeded-random.js';
import { SeedSchema } from '../src/spacelift/seed-schema.js';
import {
  changedOutputValue,
  planRun,
  stackSeed,
  type PlannedStack,
  type StackBehaviour,
} from '../src/spacelift/stack-behaviour.js';
import { SpaceliftStore } from '../src/testing/index.js';

const stack: PlannedStack = {
  resources: 10,
  outputs: [{ id: 'vpc_id', value: 'vpc-0a1b2c', sensitive: false, description: null }],
};
const plan = (behaviour: StackBehaviour, on: PlannedStack = stack, seed = 7) =>
  planRun(behaviour, on, seededRandom(seed));
const changes = (d: { addCount: number; changeCount: number; deleteCount: number }) =>
  d.addCount + d.changeCount + d.deleteCount;

describe('planRun: a run plan from its stack behaviour', () => {
  it('NO_CHANGES and FAILED: a zero delta with the total, no output change', () => {
    for (const outcome of ['NO_CHANGES', 'FAILED'] as const) {
      expect(plan({ outcome, changesOutputs: 1 })).toEqual({
        outcome,
        delta: { addCount: 0, changeCount: 0, deleteCount: 0, resources: 10 },
        outputChange: null,
      });
    }
  });

  it('FINISHED and UNCONFIRMED: a non-zero delta whose total follows what is added and deleted', () => {
    for (let seed = 0; seed < 200; seed++) {
      for (const resources of [0, 1, 10]) {
        const { delta } = plan({ outcome: 'FINISHED', changesOutputs: 0 }, { ...stack, resources }, seed);
        expect(changes(delta)).toBeGreaterThan(0);
        expect(delta.deleteCount + delta.changeCount).toBeLessThanOrEqual(resources);
        expect(delta.resources).toBe(resources + delta.addCount - delta.deleteCount);
      }
    }
    expect(changes(plan({ outcome: 'UNCONFIRMED', changesOutputs: 0 }).delta)).toBeGreaterThan(0);
  });

  it('changesOutputs is the probability that a run applying changes gives an output a new value', () => {
    const changed = (changesOutputs: number) =>
      Array.from(
        { length: 400 },
        (_, seed) => plan({ outcome: 'FINISHED', changesOutputs }, stack, seed).outputChange,
      ).filter((c) => c !== null);
    expect(changed(0)).toHaveLength(0);
    expect(changed(1)).toHaveLength(400);
    expect(changed(0.5).length).toBeGreaterThan(150);
    expect(changed(0.5).length).toBeLessThan(250);
    for (const c of changed(1))
      expect(c).toEqual({ id: 'vpc_id', value: expect.stringMatching(/^vpc-[0-9a-f]{6}$/) });
    expect(changed(1).every((c) => c.value !== 'vpc-0a1b2c')).toBe(true);
  });

  it('OUTPUTS_ONLY: a zero delta and always a new value for one output; none without outputs', () => {
    const p = plan({ outcome: 'OUTPUTS_ONLY', changesOutputs: 0 });
    expect(p.delta).toEqual({ addCount: 0, changeCount: 0, deleteCount: 0, resources: 10 });
    expect(p.outputChange).toEqual({ id: 'vpc_id', value: expect.not.stringMatching(/^vpc-0a1b2c$/) });
    expect(
      plan({ outcome: 'OUTPUTS_ONLY', changesOutputs: 0 }, { resources: 1, outputs: [] }).outputChange,
    ).toBeNull();
  });

  it('draws the same numbers whatever the knobs, so the same seed replays the same plans', () => {
    const random = seededRandom(3);
    planRun({ outcome: 'NO_CHANGES', changesOutputs: 0 }, { resources: 1, outputs: [] }, random);
    const other = seededRandom(3);
    planRun({ outcome: 'FINISHED', changesOutputs: 0 }, stack, other);
    expect(random()).toBe(other());
    expect(plan({ outcome: 'FINISHED', changesOutputs: 1 })).toEqual(
      plan({ outcome: 'FINISHED', changesOutputs: 1 }),
    );
  });
});

describe('changedOutputValue', () => {
  const random = () => seededRandom(11);
  it('gives the last run of hex digits holding a digit fresh ones, keeping the shape', () => {
    expect(changedOutputValue('vpc-0a1b2c', random())).toMatch(/^vpc-[0-9a-f]{6}$/);
    expect(changedOutputValue('db.demo.internal:5432', random())).toMatch(/^db\.demo\.internal:\d{4}$/);
    const list = changedOutputValue('["subnet-0a11","subnet-0b22"]', random());
    expect(JSON.parse(list)).toEqual(['subnet-0a11', expect.stringMatching(/^subnet-[0-9a-f]{4}$/)]);
    // "database" has hex letters but no digit: the port is what changes.
    expect(changedOutputValue('database:6379', random())).toMatch(/^database:\d{4}$/);
  });

  it('appends -<6 hex digits> to a value with no such run, and never returns the old value', () => {
    expect(changedOutputValue('demo-cluster', random())).toMatch(/^demo-cluster-[0-9a-f]{6}$/);
    // A random source that always draws the old digits.
    expect(changedOutputValue('x-000', () => 0)).toBe('x-100');
  });
});

describe('stackSeed', () => {
  it('gives each stack its own stream, the same for the same id and seed', () => {
    expect(stackSeed('network', 1)).toBe(stackSeed('network', 1));
    expect(stackSeed('network', 1)).not.toBe(stackSeed('database', 1));
    expect(stackSeed('network', 1)).not.toBe(stackSeed('network', 2));
  });
});

describe('stack behaviour in the seed and the store', () => {
  it('seeds outcome, changesOutputs (a probability or true/false) and resources', () => {
    const seed = SeedSchema.parse({
      stacks: [
        { id: 'a' },
        { id: 'b', changesOutputs: true, resources: 3 },
        { id: 'c', changesOutputs: 0.25, outcome: 'OUTPUTS_ONLY', outputs: [{ id: 'o', value: '1' }] },
      ],
    });
    expect(
      seed.stacks.map(({ outcome, changesOutputs, resources }) => ({ outcome, changesOutputs, resources })),
    ).toEqual([
      { outcome: 'FINISHED', changesOutputs: 0, resources: 10 },
      { outcome: 'FINISHED', changesOutputs: 1, resources: 3 },
      { outcome: 'OUTPUTS_ONLY', changesOutputs: 0.25, resources: 10 },
    ]);
  });

  it('refuses a probability outside 0 to 1 and OUTPUTS_ONLY without outputs', () => {
    const issues = (s: object) => SeedSchema.safeParse({ stacks: [{ id: 'a', ...s }] }).error?.issues ?? [];
    expect(issues({ changesOutputs: 1.5 })).toEqual([
      expect.objectContaining({ path: ['stacks', 0, 'changesOutputs'] }),
    ]);
    expect(issues({ outcome: 'OUTPUTS_ONLY' })).toEqual([
      expect.objectContaining({
        path: ['stacks', 0, 'outcome'],
        message: 'OUTPUTS_ONLY changes an output: give the stack outputs',
      }),
    ]);
  });

  it('store.stacks.setBehaviour changes the knobs given, from the next run that plans', () => {
    const store = new SpaceliftStore({
      seed: { stacks: [{ id: 'net', outcome: 'FAILED' }, { id: 'bare' }] },
    });
    const planned = store.triggerRun('net', { triggeredBy: 'me' });
    for (const state of ['READY', 'PREPARING', 'INITIALIZING', 'PLANNING'] as const) {
      store.runs.transition('net', planned.id, state);
    }
    expect(store.stacks.setBehaviour('net', { outcome: 'FINISHED' })).toMatchObject({
      outcome: 'FINISHED',
      changesOutputs: 0,
    });
    store.stacks.setBehaviour('net', { changesOutputs: true });
    expect(store.getStack('net')).toMatchObject({ outcome: 'FINISHED', changesOutputs: 1 });
    // The run planning now keeps the plan it started with.
    while (store.runs.step('net', planned.id));
    expect(planned.state).toBe('FAILED');
    const next = store.triggerRun('net', { triggeredBy: 'me' });
    while (store.runs.step('net', next.id));
    expect(next.state).toBe('FINISHED');

    expect(() => store.stacks.setBehaviour('net', { changesOutputs: 2 })).toThrow(
      'changesOutputs must be a probability from 0 to 1 (or true or false), not 2',
    );
    expect(() => store.stacks.setBehaviour('bare', { outcome: 'OUTPUTS_ONLY' })).toThrow(
      'stack "bare" has no outputs for OUTPUTS_ONLY to change',
    );
    expect(() => store.stacks.setBehaviour('nope', {})).toThrow('stack "nope" not found');
  });
});
