import type { RunOutcome, SeedStackOutput } from './seed-schema.js';

/*
 * What a stack's runs do, decided when a run starts planning: how it ends (the stack's
 * `outcome`), how many resources it adds, changes and deletes (its delta) and whether it gives
 * one of the stack's outputs a new value (`changesOutputs`). Pure: the randomness comes in.
 */

/**
 * A run's resource delta with the API's names (`Run.delta`); webhook payloads name the same
 * numbers `added`, `changed`, `deleted`. `resources` is the stack's total once the run has
 * applied, not a change.
 */
export interface RunDeltaRecord {
  addCount: number;
  changeCount: number;
  deleteCount: number;
  resources: number;
}

/** The knobs of a stack that decide its runs' plans (seeded, or set at run time). */
export interface StackBehaviour {
  outcome: RunOutcome;
  /** Probability that a run applying resource changes also changes an output. */
  changesOutputs: number;
}

/** What a stack looks like to the plan: how many resources it has, its outputs. */
export interface PlannedStack {
  resources: number;
  outputs: readonly SeedStackOutput[];
}

/** A run's plan: how it ends, its delta, and the output value it sets when it finishes. */
export interface RunPlan {
  outcome: RunOutcome;
  delta: RunDeltaRecord;
  outputChange: { id: string; value: string } | null;
}

/** No resource changes; `resources` is the stack's total. */
export const zeroDelta = (resources: number): RunDeltaRecord => ({
  addCount: 0,
  changeCount: 0,
  deleteCount: 0,
  resources,
});

/** Outcomes whose runs apply resource changes. */
const CHANGES_RESOURCES: ReadonlySet<RunOutcome> = new Set<RunOutcome>(['FINISHED', 'UNCONFIRMED']);

/**
 * The plan of a run of a stack behaving as `behaviour`. FINISHED and UNCONFIRMED: a non-zero
 * delta (0-2 added, 1-3 changed, 0-1 deleted, bounded by what the stack has) and, with
 * probability `changesOutputs`, a new value for one output picked at random. OUTPUTS_ONLY: a
 * zero delta and always a new value for one output. NO_CHANGES and FAILED: a zero delta, no
 * output change. A stack without outputs has none to change.
 *
 * Draws five numbers from `random` whatever the knobs say (and more for a new value), so a
 * knob set at run time does not shift what later runs draw.
 */
export function planRun(behaviour: StackBehaviour, stack: PlannedStack, random: () => number): RunPlan {
  const [roll, pick, added, changed, deleted] = [random(), random(), random(), random(), random()];
  const { outcome } = behaviour;
  const changesResources = CHANGES_RESOURCES.has(outcome);
  const delta = changesResources
    ? resourceChange(stack.resources, added, changed, deleted)
    : zeroDelta(stack.resources);
  const changesOutput = outcome === 'OUTPUTS_ONLY' || (changesResources && roll < behaviour.changesOutputs);
  const output = changesOutput ? stack.outputs[Math.floor(pick * stack.outputs.length)] : undefined;
  return {
    outcome,
    delta,
    outputChange: output ? { id: output.id, value: changedOutputValue(output.value, random) } : null,
  };
}

/** A non-zero change of a stack with `resources` resources, from three draws in [0, 1). */
function resourceChange(resources: number, a: number, c: number, d: number): RunDeltaRecord {
  const deleted = Math.min(resources, Math.floor(d * 2));
  const changed = Math.min(resources - deleted, 1 + Math.floor(c * 3));
  // A stack with nothing to change or delete can only grow.
  const added = Math.floor(a * 3) + (changed + deleted === 0 ? 1 : 0);
  return {
    addCount: added,
    changeCount: changed,
    deleteCount: deleted,
    resources: resources + added - deleted,
  };
}

const HEX = '0123456789abcdef';

/**
 * A new value of the same shape: the last run of three or more hex digits holding a digit
 * (`vpc-0a1b2c`, `...:5432`, the last id of a JSON list) gets fresh ones (digits stay digits);
 * a value with no such run gets `-<6 hex digits>` appended. Never the old value.
 */
export function changedOutputValue(value: string, random: () => number): string {
  const last = [...value.matchAll(/[0-9a-f]{3,}/g)].filter((m) => /\d/.test(m[0])).at(-1);
  const fresh = (length: number, alphabet: string) =>
    Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  if (!last) return `${value}-${fresh(6, HEX)}`;
  const digitsOnly = /^\d+$/.test(last[0]);
  const alphabet = digitsOnly ? HEX.slice(0, 10) : HEX;
  let replacement = fresh(last[0].length, alphabet);
  // One chance in 16^n of drawing the same digits: turn the first one.
  if (replacement === last[0]) {
    const first = alphabet[(alphabet.indexOf(replacement[0]!) + 1) % alphabet.length]!;
    replacement = first + replacement.slice(1);
  }
  return value.slice(0, last.index) + replacement + value.slice(last.index + last[0].length);
}

/** FNV-1a: a stack id as the seed of its own random stream. */
export function stackSeed(stackId: string, seed: number): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < stackId.length; i++) {
    hash ^= stackId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
