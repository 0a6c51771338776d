import { slugify } from './ids.js';
import {
  ChangesOutputsSchema,
  SeedStackSchema,
  type RunOutcome,
  type SeedStack,
  type SeedStackInput,
  type SeedStackOutput,
} from './seed-schema.js';
import type { StackBehaviour } from './stack-behaviour.js';
import type { Spaces } from './spaces.js';
import { ROOT_SPACE_ID } from './spaces.js';
import { notFound, SpaceliftStoreError } from './store-error.js';

/** An output of the stack's last applied run; the API hides a sensitive one's `value`. */
export type StackOutputRecord = SeedStackOutput;

/** A stack, with the schema's field names; computed fields (state, runs...) come from the store. */
export interface StackRecord {
  id: string;
  name: string;
  description: string | null;
  space: string;
  repository: string;
  branch: string;
  projectRoot: string | null;
  administrative: boolean;
  autodeploy: boolean;
  isDisabled: boolean;
  labels: string[];
  provider: string | null;
  namespace: string | null;
  terraformVersion: string | null;
  lockedAt: number | null;
  lockedBy: string | null;
  lockNote: string | null;
  createdAt: number;
  outputs: StackOutputRecord[];
  /** Not in the API: how the simulator ends this stack's runs (see `planRun`). */
  outcome: RunOutcome;
  /** Not in the API: probability that a run changing resources changes an output too. */
  changesOutputs: number;
  /** Not in the API: resources the stack manages (the total in run deltas). */
  resources: number;
}

/** What `setBehaviour` takes: knobs left out keep their value. */
export interface StackBehaviourInput {
  outcome?: RunOutcome;
  /** A probability from 0 to 1, or true (1) or false (0). */
  changesOutputs?: number | boolean;
}

/** `StackInput` of `stackCreate` / `stackUpdate`. */
export interface StackSettings {
  name: string;
  space?: string | null;
  description?: string | null;
  repository: string;
  branch: string;
  projectRoot?: string | null;
  administrative: boolean;
  autodeploy?: boolean | null;
  labels?: string[] | null;
  provider?: string | null;
  namespace?: string | null;
  terraformVersion?: string | null;
}

/** The account's stacks: settings, labels, the user lock and the disabled switch. */
export class Stacks {
  private readonly byId = new Map<string, StackRecord>();

  constructor(
    private readonly spaces: Spaces,
    private readonly nowSeconds: () => number,
  ) {}

  list(): StackRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): StackRecord | null {
    return this.byId.get(id) ?? null;
  }

  require(id: string): StackRecord {
    const stack = this.byId.get(id);
    if (!stack) throw notFound('stack', id);
    return stack;
  }

  addSeeded(seed: SeedStack): StackRecord {
    if (this.byId.has(seed.id))
      throw new SpaceliftStoreError('CONFLICT', `stack "${seed.id}" already exists`);
    this.spaces.require(seed.space);
    const stack: StackRecord = {
      ...seed,
      name: seed.name ?? seed.id,
      labels: [...seed.labels],
      outputs: seed.outputs.map((o) => ({ ...o })),
      provider: null,
      namespace: null,
      terraformVersion: null,
      lockedAt: null,
      lockedBy: null,
      lockNote: null,
      createdAt: this.nowSeconds(),
    };
    this.byId.set(stack.id, stack);
    return stack;
  }

  /** The id comes from the name, as in Spacelift; `autodeploy` defaults to false, as in the API. */
  create(input: StackSettings): StackRecord {
    const id = slugify(input.name);
    if (this.byId.has(id)) {
      throw new SpaceliftStoreError(
        'CONFLICT',
        `a stack with the ID "${id}" already exists; choose another name`,
      );
    }
    const stack: StackRecord = {
      id,
      ...this.settings(input, input.space ?? ROOT_SPACE_ID),
      isDisabled: false,
      lockedAt: null,
      lockedBy: null,
      lockNote: null,
      createdAt: this.nowSeconds(),
      outputs: [],
      outcome: 'FINISHED',
      changesOutputs: 0,
      // A new stack has applied nothing yet.
      resources: 0,
    };
    this.byId.set(id, stack);
    return stack;
  }

  update(id: string, input: StackSettings): StackRecord {
    const stack = this.require(id);
    Object.assign(stack, this.settings(input, input.space ?? stack.space));
    return stack;
  }

  /** Adds and removes labels, keeping their order and every other setting. */
  changeLabels(id: string, add: readonly string[], remove: readonly string[]): StackRecord {
    const stack = this.require(id);
    const kept = stack.labels.filter((l) => !remove.includes(l));
    stack.labels = [...kept, ...add.filter((l, i) => !kept.includes(l) && add.indexOf(l) === i)];
    return stack;
  }

  /** Replaces the stack's outputs, as an applied run would (seed format: `sensitive` and `description` optional). */
  setOutputs(id: string, outputs: NonNullable<SeedStackInput['outputs']>): StackRecord {
    const stack = this.require(id);
    stack.outputs = SeedStackSchema.shape.outputs.parse(outputs);
    return stack;
  }

  /**
   * Sets how the stack's runs end and whether they change its outputs, from the next run that
   * starts planning (runs already past that keep their plan). Not in Spacelift's API: the
   * simulator's `simulatorSetStackBehaviour` and `spacelift-simulator behave` call it.
   *
   * @throws {SpaceliftStoreError} INVALID_INPUT for a probability outside 0 to 1, or
   *   OUTPUTS_ONLY on a stack without outputs.
   */
  setBehaviour(id: string, input: StackBehaviourInput): StackRecord {
    const stack = this.require(id);
    const outcome = input.outcome ?? stack.outcome;
    let changesOutputs = stack.changesOutputs;
    if (input.changesOutputs !== undefined) {
      const parsed = ChangesOutputsSchema.safeParse(input.changesOutputs);
      if (!parsed.success) {
        throw new SpaceliftStoreError(
          'INVALID_INPUT',
          `changesOutputs must be a probability from 0 to 1 (or true or false), not ${String(input.changesOutputs)}`,
        );
      }
      changesOutputs = parsed.data;
    }
    if (outcome === 'OUTPUTS_ONLY' && stack.outputs.length === 0) {
      throw new SpaceliftStoreError(
        'INVALID_INPUT',
        `stack "${id}" has no outputs for OUTPUTS_ONLY to change; give it some first (seed outputs, store.stacks.setOutputs)`,
      );
    }
    Object.assign(stack, { outcome, changesOutputs } satisfies StackBehaviour);
    return stack;
  }

  /** Forgets the stack; its runs and dependencies are the store's business. */
  remove(id: string): StackRecord {
    const stack = this.require(id);
    this.byId.delete(id);
    return stack;
  }

  lock(id: string, by: string, note: string | null): StackRecord {
    const stack = this.require(id);
    if (stack.lockedBy && stack.lockedBy !== by) {
      throw new SpaceliftStoreError('INVALID_STATE', `stack "${id}" is already locked by ${stack.lockedBy}`);
    }
    Object.assign(stack, { lockedAt: this.nowSeconds(), lockedBy: by, lockNote: note });
    return stack;
  }

  /** Only the lock owner may unlock. */
  unlock(id: string, by: string): StackRecord {
    const stack = this.require(id);
    if (stack.lockedBy && stack.lockedBy !== by) {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `stack "${id}" is locked by ${stack.lockedBy}; only they can unlock it`,
      );
    }
    Object.assign(stack, { lockedAt: null, lockedBy: null, lockNote: null });
    return stack;
  }

  setDisabled(id: string, disabled: boolean): StackRecord {
    const stack = this.require(id);
    stack.isDisabled = disabled;
    return stack;
  }

  /** Why `who` may not start a run on the stack now (disabled, or locked by someone else); `null` when they may. */
  refuseRun(stack: StackRecord, who: string | null): SpaceliftStoreError | null {
    if (stack.isDisabled) {
      return new SpaceliftStoreError(
        'INVALID_STATE',
        `stack "${stack.id}" is disabled; enable it to trigger runs`,
      );
    }
    if (stack.lockedBy !== null && stack.lockedBy !== who) {
      return new SpaceliftStoreError(
        'INVALID_STATE',
        `stack "${stack.id}" is locked by ${stack.lockedBy}; only the lock owner can trigger runs`,
      );
    }
    return null;
  }

  private settings(input: StackSettings, space: string) {
    this.spaces.require(space);
    return {
      name: input.name,
      description: input.description ?? null,
      space,
      repository: input.repository,
      branch: input.branch,
      projectRoot: input.projectRoot || null,
      administrative: input.administrative,
      autodeploy: input.autodeploy ?? false,
      labels: [...(input.labels ?? [])],
      provider: input.provider ?? null,
      namespace: input.namespace ?? null,
      terraformVersion: input.terraformVersion ?? null,
    };
  }
}
