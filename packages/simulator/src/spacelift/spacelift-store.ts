import { Blueprints } from './blueprints.js';
import { Contexts } from './contexts.js';
import { Runs, type RunRecord, type RunRequest, type RunStateListener } from './runs.js';
import { SeedSchema, type SeedInput } from './seed-schema.js';
import { Spaces } from './spaces.js';
import { StackDependencies } from './stack-dependencies.js';
import { StackWebhooks } from './stack-webhooks.js';
import { Stacks, type StackRecord } from './stacks.js';

export interface SpaceliftStoreOptions {
  seed?: SeedInput;
  /** Clock in milliseconds; tests pass a fake one. */
  now?: () => number;
  /** Seeds the random streams behind run plans (each stack has its own); default 1. */
  randomSeed?: number;
}

/**
 * The in-memory Spacelift account behind both `MockSpacelift` and the simulator: one source
 * of state, one object per kind (`spaces`, `stacks`, `contexts`, `blueprints`,
 * `dependencies`, `webhooks`, `runs`). This class holds what spans kinds (seeding, deletions that must
 * leave nothing dangling, stacks from blueprints) and the shortcuts tests use most.
 * Methods throw `SpaceliftStoreError` with Spacelift-like messages.
 */
export class SpaceliftStore {
  readonly account: string;
  readonly now: () => number;
  readonly spaces: Spaces;
  readonly stacks: Stacks;
  readonly contexts: Contexts;
  readonly blueprints: Blueprints;
  readonly dependencies: StackDependencies;
  /** Stacks' webhook integrations (the simulator delivers each stack's run events to them). */
  readonly webhooks: StackWebhooks;
  readonly runs: Runs;

  constructor(options: SpaceliftStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    const nowSeconds = () => this.nowSeconds();
    this.spaces = new Spaces(this.now);
    this.stacks = new Stacks(this.spaces, nowSeconds);
    this.contexts = new Contexts(this.spaces, this.now);
    this.blueprints = new Blueprints(this.spaces, nowSeconds);
    this.dependencies = new StackDependencies(this.stacks, this.now);
    this.webhooks = new StackWebhooks(this.stacks, this.now);
    this.runs = new Runs(this.stacks, this.now, options.randomSeed);
    const seed = SeedSchema.parse(options.seed ?? {});
    this.account = seed.account;
    this.applySeed(seed);
  }

  /** Adds seed data (validated with `SeedSchema`; its `account` is ignored); ids already present are a conflict. */
  applySeed(input: SeedInput): void {
    const seed = SeedSchema.parse(input);
    for (const s of seed.spaces) this.spaces.addSeeded(s);
    for (const s of seed.stacks) this.stacks.addSeeded(s);
    for (const c of seed.contexts) {
      this.contexts.create({ ...c, config: c.config.map((e) => ({ ...e, fileMode: null })) }, c.id);
    }
    for (const b of seed.blueprints) this.blueprints.addSeeded(b);
  }

  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  deleteSpace(id: string) {
    return this.spaces.delete(id, (space) => this.stacks.list().some((s) => s.space === space));
  }

  /** Deletes the stack with its runs, native dependencies and webhooks. */
  deleteStack(id: string): StackRecord {
    const stack = this.stacks.remove(id);
    this.runs.removeStack(id);
    this.dependencies.removeStack(id);
    this.webhooks.removeStack(id);
    return stack;
  }

  createStackFromBlueprint(
    id: string,
    inputs: ReadonlyArray<{ id: string; value: string }>,
  ): { stackIds: string[]; runIds: string[] } {
    const stack = this.stacks.create(this.blueprints.stackSettings(id, inputs));
    return { stackIds: [stack.id], runIds: [] };
  }

  // Shortcuts for tests and demos.

  listStacks(): StackRecord[] {
    return this.stacks.list();
  }

  getStack(id: string): StackRecord | null {
    return this.stacks.get(id);
  }

  /** Creates a QUEUED run (see `Runs.trigger` for who may). */
  triggerRun(stackId: string, request: RunRequest): RunRecord {
    return this.runs.trigger(stackId, request);
  }

  /** The stack's runs, oldest first; `null` for an unknown stack. */
  stackRuns(stackId: string): RunRecord[] | null {
    return this.runs.ofStack(stackId);
  }

  findRun(runId: string): RunRecord | null {
    return this.runs.find(runId);
  }

  /** Calls `listener` after every run state change (QUEUED included); returns an unsubscribe function. */
  onRunStateChange(listener: RunStateListener): () => void {
    return this.runs.onChange(listener);
  }
}
