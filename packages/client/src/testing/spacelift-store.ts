import { createHash } from 'node:crypto';
import { isTerminalRunState, type RunState, type RunType } from '../types.js';
import { slugify, ulid } from './ids.js';
import { nextRunState } from './run-lifecycle.js';
import {
  SeedSchema,
  type RunOutcome,
  type Seed,
  type SeedBlueprintStack,
  type SeedInput,
} from './seed-schema.js';
import { SpaceliftStoreError } from './store-error.js';

/*
 * Records use the schema's field names, so GraphQL resolvers can return them as they are;
 * fields the schema computes (stack state, run lists...) are methods of the store.
 */

export interface SpaceRecord {
  id: string;
  name: string;
  description: string;
  parentSpace: string | null;
  inheritEntities: boolean;
  labels: string[];
}

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
  labels: string[];
  provider: string | null;
  namespace: string | null;
  terraformVersion: string | null;
  lockedAt: number | null;
  lockedBy: string | null;
  lockNote: string | null;
  createdAt: number;
  /** Not in the API: how the simulator ends this stack's runs. */
  outcome: RunOutcome;
}

export interface ConfigRecord {
  id: string;
  checksum: string;
  createdAt: number;
  description: string | null;
  runtime: boolean;
  type: 'ENVIRONMENT_VARIABLE' | 'FILE_MOUNT';
  /** Kept even when write-only; the API hides it then. */
  value: string;
  writeOnly: boolean;
  fileMode: string | null;
}

export interface ContextRecord {
  id: string;
  name: string;
  description: string | null;
  labels: string[];
  space: string;
  config: ConfigRecord[];
  createdAt: number;
  updatedAt: number;
}

export interface BlueprintInputRecord {
  id: string;
  name: string;
  default: string | null;
  type: string;
  description: string | null;
}

export interface BlueprintRecord {
  id: string;
  name: string;
  description: string | null;
  state: 'DRAFT' | 'PUBLISHED';
  labels: string[];
  space: string;
  inputs: BlueprintInputRecord[];
  stack: SeedBlueprintStack;
  createdAt: number;
  updatedAt: number;
}

export interface CommitRecord {
  hash: string;
  authorLogin: string | null;
  authorName: string | null;
  message: string;
  timestamp: number;
  url: string | null;
}

export interface RunTransitionRecord {
  state: RunState;
  stateVersion: number;
  timestamp: number;
  terminal: boolean;
  note: string | null;
  username: string | null;
}

export interface RunRecord {
  id: string;
  stackId: string;
  state: RunState;
  type: RunType;
  branch: string;
  createdAt: number;
  updatedAt: number;
  triggeredBy: string;
  title: string;
  commit: CommitRecord;
  history: RunTransitionRecord[];
}

export interface DependencyRecord {
  id: string;
  stackId: string;
  dependsOnStackId: string;
  triggerAlways: boolean;
}

/** A run's state change, as the store reports it to listeners (the simulator's lifecycle and webhooks). */
export interface RunStateChange {
  run: RunRecord;
  stack: StackRecord;
  transition: RunTransitionRecord;
}
export type RunStateListener = (change: RunStateChange) => void;

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

export interface SpaceSettings {
  name: string;
  description?: string | null;
  parentSpace: string;
  inheritEntities?: boolean | null;
  labels?: string[] | null;
}

export interface ContextSettings {
  name: string;
  space: string;
  description?: string | null;
  labels?: string[] | null;
  config?: Array<{
    id: string;
    value: string;
    type?: 'ENVIRONMENT_VARIABLE' | 'FILE_MOUNT' | null;
    writeOnly?: boolean | null;
    description?: string | null;
    fileMode?: string | null;
  }> | null;
}

export interface SpaceliftStoreOptions {
  seed?: SeedInput;
  /** Clock in milliseconds; tests pass a fake one. */
  now?: () => number;
}

export const ROOT_SPACE_ID = 'root';

/** Stack states are run states minus those a stack never shows (a queued run leaves it as it was). */
const STACK_STATES: ReadonlySet<string> = new Set([
  'APPLYING',
  'CONFIRMED',
  'DESTROYING',
  'DISCARDED',
  'FAILED',
  'FINISHED',
  'INITIALIZING',
  'PLANNING',
  'PREPARING',
  'PREPARING_APPLY',
  'PREPARING_REPLAN',
  'REPLAN_REQUESTED',
  'STOPPED',
  'UNCONFIRMED',
]);

const notFound = (kind: string, id: string): SpaceliftStoreError =>
  new SpaceliftStoreError('NOT_FOUND', `${kind} "${id}" not found`);

/**
 * The in-memory Spacelift account behind both `MockSpacelift` and the simulator: one source of
 * state. Methods throw {@link SpaceliftStoreError} with Spacelift-like messages.
 */
export class SpaceliftStore {
  readonly account: string;
  readonly now: () => number;
  private readonly spaces = new Map<string, SpaceRecord>();
  private readonly stacks = new Map<string, StackRecord>();
  private readonly contexts = new Map<string, ContextRecord>();
  private readonly blueprints = new Map<string, BlueprintRecord>();
  /** Per stack, in creation order. */
  private readonly runs = new Map<string, RunRecord[]>();
  private readonly dependencies = new Map<string, DependencyRecord>();
  private readonly listeners = new Set<RunStateListener>();

  constructor(options: SpaceliftStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.spaces.set(ROOT_SPACE_ID, {
      id: ROOT_SPACE_ID,
      name: 'root',
      description: 'The root space',
      parentSpace: null,
      inheritEntities: false,
      labels: [],
    });
    const seed = SeedSchema.parse(options.seed ?? {});
    this.account = seed.account;
    this.addSeed(seed);
  }

  /** Adds seed data (validated with `SeedSchema`; its `account` is ignored); ids already present are a conflict. */
  applySeed(input: SeedInput): void {
    this.addSeed(SeedSchema.parse(input));
  }

  private addSeed(seed: Seed): void {
    const at = this.nowSeconds();
    for (const s of seed.spaces) {
      if (this.spaces.has(s.id)) throw new SpaceliftStoreError('CONFLICT', `space "${s.id}" already exists`);
      this.requireParentSpace(s.parentSpace);
      this.spaces.set(s.id, { ...s, name: s.name ?? s.id });
    }
    for (const s of seed.stacks) {
      if (this.stacks.has(s.id)) throw new SpaceliftStoreError('CONFLICT', `stack "${s.id}" already exists`);
      this.requireSpace(s.space);
      this.stacks.set(s.id, {
        ...s,
        name: s.name ?? s.id,
        labels: [...s.labels],
        provider: null,
        namespace: null,
        terraformVersion: null,
        lockedAt: null,
        lockedBy: null,
        lockNote: null,
        createdAt: at,
      });
      this.runs.set(s.id, []);
    }
    for (const c of seed.contexts) {
      this.createContext(
        { ...c, config: c.config.map((e) => ({ ...e, fileMode: null })) },
        c.id ?? undefined,
      );
    }
    for (const b of seed.blueprints) {
      if (this.blueprints.has(b.id)) {
        throw new SpaceliftStoreError('CONFLICT', `blueprint "${b.id}" already exists`);
      }
      this.requireSpace(b.space);
      this.blueprints.set(b.id, {
        ...b,
        inputs: b.inputs.map((i) => ({ ...i, name: i.name ?? i.id })),
        createdAt: at,
        updatedAt: at,
      });
    }
  }

  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  // --- spaces ---

  listSpaces(): SpaceRecord[] {
    return [...this.spaces.values()];
  }

  getSpace(id: string): SpaceRecord | null {
    return this.spaces.get(id) ?? null;
  }

  createSpace(input: SpaceSettings): SpaceRecord {
    this.requireParentSpace(input.parentSpace);
    const space: SpaceRecord = {
      id: `${slugify(input.name)}-${ulid(this.now())}`,
      name: input.name,
      description: input.description ?? '',
      parentSpace: input.parentSpace,
      inheritEntities: input.inheritEntities ?? false,
      labels: [...(input.labels ?? [])],
    };
    this.spaces.set(space.id, space);
    return space;
  }

  updateSpace(id: string, input: SpaceSettings): SpaceRecord {
    const space = this.spaces.get(id);
    if (!space) throw notFound('space', id);
    if (id === ROOT_SPACE_ID)
      throw new SpaceliftStoreError('INVALID_INPUT', 'the root space cannot be changed');
    this.requireParentSpace(input.parentSpace);
    if (this.isSpaceWithin(input.parentSpace, id)) {
      throw new SpaceliftStoreError(
        'INVALID_INPUT',
        `space "${id}" cannot be moved into itself or its children`,
      );
    }
    Object.assign(space, {
      name: input.name,
      description: input.description ?? '',
      parentSpace: input.parentSpace,
      inheritEntities: input.inheritEntities ?? false,
      labels: [...(input.labels ?? [])],
    });
    return space;
  }

  deleteSpace(id: string): SpaceRecord {
    const space = this.spaces.get(id);
    if (!space) throw notFound('space', id);
    if (id === ROOT_SPACE_ID)
      throw new SpaceliftStoreError('INVALID_INPUT', 'the root space cannot be deleted');
    if ([...this.spaces.values()].some((s) => s.parentSpace === id)) {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `space "${id}" has child spaces; delete or move them first`,
      );
    }
    if ([...this.stacks.values()].some((s) => s.space === id)) {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `space "${id}" still contains stacks; delete or move them first`,
      );
    }
    this.spaces.delete(id);
    return space;
  }

  // --- stacks ---

  listStacks(): StackRecord[] {
    return [...this.stacks.values()];
  }

  getStack(id: string): StackRecord | null {
    return this.stacks.get(id) ?? null;
  }

  createStack(input: StackSettings): StackRecord {
    const id = slugify(input.name);
    if (this.stacks.has(id)) {
      throw new SpaceliftStoreError(
        'CONFLICT',
        `a stack with the ID "${id}" already exists; choose another name`,
      );
    }
    const space = input.space ?? ROOT_SPACE_ID;
    this.requireSpace(space);
    const stack: StackRecord = {
      id,
      ...this.stackSettings(input, space),
      lockedAt: null,
      lockedBy: null,
      lockNote: null,
      createdAt: this.nowSeconds(),
      outcome: 'FINISHED',
    };
    this.stacks.set(id, stack);
    this.runs.set(id, []);
    return stack;
  }

  updateStack(id: string, input: StackSettings): StackRecord {
    const stack = this.requireStack(id);
    const space = input.space ?? stack.space;
    this.requireSpace(space);
    Object.assign(stack, this.stackSettings(input, space));
    return stack;
  }

  /** Adds and removes labels, keeping their order and every other setting. */
  changeStackLabels(id: string, add: readonly string[], remove: readonly string[]): StackRecord {
    const stack = this.requireStack(id);
    const kept = stack.labels.filter((l) => !remove.includes(l));
    stack.labels = [...kept, ...add.filter((l, i) => !kept.includes(l) && add.indexOf(l) === i)];
    return stack;
  }

  deleteStack(id: string): StackRecord {
    const stack = this.requireStack(id);
    this.stacks.delete(id);
    this.runs.delete(id);
    for (const [depId, dep] of this.dependencies) {
      if (dep.stackId === id || dep.dependsOnStackId === id) this.dependencies.delete(depId);
    }
    return stack;
  }

  lockStack(id: string, by: string, note: string | null): StackRecord {
    const stack = this.requireStack(id);
    if (stack.lockedBy && stack.lockedBy !== by) {
      throw new SpaceliftStoreError('INVALID_STATE', `stack "${id}" is already locked by ${stack.lockedBy}`);
    }
    Object.assign(stack, { lockedAt: this.nowSeconds(), lockedBy: by, lockNote: note });
    return stack;
  }

  unlockStack(id: string): StackRecord {
    const stack = this.requireStack(id);
    Object.assign(stack, { lockedAt: null, lockedBy: null, lockNote: null });
    return stack;
  }

  /** Mirrors the most recent tracked run that has started; NONE when there is none. */
  stackState(id: string): string {
    const runs = this.runs.get(id) ?? [];
    for (let i = runs.length - 1; i >= 0; i--) {
      const run = runs[i]!;
      if (run.type === 'TRACKED' && STACK_STATES.has(run.state)) return run.state;
    }
    return 'NONE';
  }

  /** When `stackState` last changed (unix seconds): the newest state change of a tracked run; null with none. */
  stackStateSetAt(id: string): number | null {
    let latest: number | null = null;
    for (const run of this.runs.get(id) ?? []) {
      if (run.type !== 'TRACKED') continue;
      for (const t of run.history) latest = Math.max(latest ?? t.timestamp, t.timestamp);
    }
    return latest;
  }

  // --- native stack dependencies ---

  listDependencies(): DependencyRecord[] {
    return [...this.dependencies.values()];
  }

  createDependency(stackId: string, dependsOnStackId: string, triggerAlways = false): DependencyRecord {
    this.requireStack(stackId);
    this.requireStack(dependsOnStackId);
    if (stackId === dependsOnStackId) {
      throw new SpaceliftStoreError('INVALID_INPUT', 'a stack cannot depend on itself');
    }
    const existing = [...this.dependencies.values()].find(
      (d) => d.stackId === stackId && d.dependsOnStackId === dependsOnStackId,
    );
    if (existing) return existing;
    const dep: DependencyRecord = { id: ulid(this.now()), stackId, dependsOnStackId, triggerAlways };
    this.dependencies.set(dep.id, dep);
    return dep;
  }

  deleteDependency(id: string): DependencyRecord {
    const dep = this.dependencies.get(id);
    if (!dep) throw notFound('stack dependency', id);
    this.dependencies.delete(id);
    return dep;
  }

  // --- contexts ---

  listContexts(): ContextRecord[] {
    return [...this.contexts.values()];
  }

  getContext(id: string): ContextRecord | null {
    return this.contexts.get(id) ?? null;
  }

  createContext(input: ContextSettings, id?: string): ContextRecord {
    this.requireSpace(input.space);
    this.requireUniqueContextName(input.name, input.space, null);
    let contextId = id ?? slugify(input.name);
    if (this.contexts.has(contextId)) {
      if (id) throw new SpaceliftStoreError('CONFLICT', `context "${id}" already exists`);
      contextId = `${contextId}-${ulid(this.now()).toLowerCase()}`;
    }
    const at = this.nowSeconds();
    const context: ContextRecord = {
      id: contextId,
      name: input.name,
      description: input.description ?? null,
      labels: [...(input.labels ?? [])],
      space: input.space,
      config: this.configRecords(input.config ?? [], at),
      createdAt: at,
      updatedAt: at,
    };
    this.contexts.set(contextId, context);
    return context;
  }

  /** With `replaceConfig` the config becomes `input.config`; otherwise the config is left alone. */
  updateContext(id: string, input: ContextSettings, replaceConfig: boolean): ContextRecord {
    const context = this.contexts.get(id);
    if (!context) throw notFound('context', id);
    this.requireSpace(input.space);
    this.requireUniqueContextName(input.name, input.space, id);
    const at = this.nowSeconds();
    Object.assign(context, {
      name: input.name,
      space: input.space,
      description: input.description ?? null,
      labels: [...(input.labels ?? [])],
      updatedAt: at,
    });
    if (replaceConfig) context.config = this.configRecords(input.config ?? [], at);
    return context;
  }

  deleteContext(id: string): ContextRecord | null {
    const context = this.contexts.get(id);
    if (!context) return null;
    this.contexts.delete(id);
    return context;
  }

  // --- blueprints ---

  listBlueprints(): BlueprintRecord[] {
    return [...this.blueprints.values()];
  }

  getBlueprint(id: string): BlueprintRecord | null {
    return this.blueprints.get(id) ?? null;
  }

  /** Creates the blueprint's stack with `${{ inputs.<id> }}` replaced by the given values or defaults. */
  createStackFromBlueprint(
    id: string,
    inputs: ReadonlyArray<{ id: string; value: string }>,
  ): { stackIds: string[]; runIds: string[] } {
    const blueprint = this.blueprints.get(id);
    if (!blueprint) throw notFound('blueprint', id);
    if (blueprint.state !== 'PUBLISHED') {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `blueprint "${id}" is a draft; publish it before creating stacks`,
      );
    }
    const values = new Map<string, string>();
    for (const input of blueprint.inputs) if (input.default !== null) values.set(input.id, input.default);
    for (const given of inputs) {
      if (!blueprint.inputs.some((i) => i.id === given.id)) {
        throw new SpaceliftStoreError('INVALID_INPUT', `blueprint "${id}" has no input "${given.id}"`);
      }
      values.set(given.id, given.value);
    }
    const missing = blueprint.inputs.filter((i) => !values.has(i.id)).map((i) => i.id);
    if (missing.length > 0) {
      throw new SpaceliftStoreError('INVALID_INPUT', `missing blueprint inputs: ${missing.join(', ')}`);
    }
    const fill = (s: string): string =>
      s.replace(/\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}/g, (_, name: string) => values.get(name) ?? '');
    const t = blueprint.stack;
    const stack = this.createStack({
      name: fill(t.name),
      space: fill(t.space),
      description: t.description === null ? null : fill(t.description),
      repository: fill(t.repository),
      branch: fill(t.branch),
      projectRoot: t.projectRoot === null ? null : fill(t.projectRoot),
      administrative: t.administrative,
      autodeploy: t.autodeploy,
      labels: t.labels.map(fill),
    });
    return { stackIds: [stack.id], runIds: [] };
  }

  // --- runs ---

  /** The stack's runs, oldest first; `null` for an unknown stack. */
  stackRuns(stackId: string): RunRecord[] | null {
    return this.runs.get(stackId) ?? null;
  }

  getRun(stackId: string, runId: string): RunRecord | null {
    return this.runs.get(stackId)?.find((r) => r.id === runId) ?? null;
  }

  findRun(runId: string): RunRecord | null {
    for (const runs of this.runs.values()) {
      const run = runs.find((r) => r.id === runId);
      if (run) return run;
    }
    return null;
  }

  /** The run that holds the stack: its oldest one that has not ended. Later runs wait behind it. */
  activeRun(stackId: string): RunRecord | null {
    return this.runs.get(stackId)?.find((r) => !isTerminalRunState(r.state)) ?? null;
  }

  /** Creates a QUEUED run; it waits until every earlier run of the stack has ended. */
  triggerRun(
    stackId: string,
    options: { type?: RunType; commitSha?: string | null; triggeredBy: string },
  ): RunRecord {
    const stack = this.requireStack(stackId);
    const now = this.now();
    const at = Math.floor(now / 1000);
    const hash =
      options.commitSha ?? createHash('sha1').update(`${stack.repository}@${stack.branch}`).digest('hex');
    const commit: CommitRecord = {
      hash,
      authorLogin: 'simulator',
      authorName: 'Spacelift Simulator',
      message: options.commitSha ? `Commit ${options.commitSha.slice(0, 7)}` : `Head of ${stack.branch}`,
      timestamp: stack.createdAt,
      url: `https://example.com/${stack.repository}/commit/${hash}`,
    };
    const run: RunRecord = {
      id: ulid(now),
      stackId,
      state: 'QUEUED',
      type: options.type ?? 'TRACKED',
      branch: stack.branch,
      createdAt: at,
      updatedAt: at,
      triggeredBy: options.triggeredBy,
      title: commit.message,
      commit,
      history: [],
    };
    this.runs.get(stackId)!.push(run);
    this.record(run, 'QUEUED', null, options.triggeredBy);
    return run;
  }

  /**
   * Moves a run to `state` (any state; the run must not have ended and must not wait behind
   * an earlier run of its stack, unless it is being canceled).
   */
  transitionRun(stackId: string, runId: string, state: RunState, note: string | null = null): RunRecord {
    const run = this.getRun(stackId, runId);
    if (!run) throw notFound('run', `${stackId}/${runId}`);
    if (isTerminalRunState(run.state)) {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `run "${runId}" has already ended in state ${run.state}`,
      );
    }
    const active = this.activeRun(stackId);
    if (active && active.id !== runId && state !== 'CANCELED') {
      throw new SpaceliftStoreError('INVALID_STATE', `run "${runId}" is queued behind run "${active.id}"`);
    }
    this.record(run, state, note, null);
    return run;
  }

  /** Moves a run one step along its lifecycle (see `nextRunState`); `null` when it cannot move on its own. */
  stepRun(stackId: string, runId: string): RunRecord | null {
    const run = this.getRun(stackId, runId);
    if (!run) throw notFound('run', `${stackId}/${runId}`);
    const next = nextRunState(run.type, this.requireStack(stackId).outcome, run.state);
    return next ? this.transitionRun(stackId, runId, next) : null;
  }

  cancelRun(stackId: string, runId: string, note: string | null): RunRecord {
    const run = this.requireRun(stackId, runId);
    if (run.state !== 'QUEUED') {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `run "${runId}" is ${run.state}; only queued runs can be canceled`,
      );
    }
    return this.transitionRun(stackId, runId, 'CANCELED', note);
  }

  stopRun(stackId: string, runId: string, note: string | null): RunRecord {
    const run = this.requireRun(stackId, runId);
    if (run.state === 'QUEUED' || isTerminalRunState(run.state)) {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `run "${runId}" is ${run.state}; only runs in progress can be stopped (cancel queued ones)`,
      );
    }
    return this.transitionRun(stackId, runId, 'STOPPED', note);
  }

  /** Confirms or discards the given run, or the one blocking the stack when `runId` is null. */
  decideRun(stackId: string, runId: string | null, decision: 'CONFIRMED' | 'DISCARDED', note: string | null) {
    this.requireStack(stackId);
    const run = runId ? this.requireRun(stackId, runId) : this.activeRun(stackId);
    if (!run || run.state !== 'UNCONFIRMED') {
      const what = run ? `run "${run.id}" is ${run.state}` : `stack "${stackId}" has no run`;
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `${what}; only unconfirmed runs can be confirmed or discarded`,
      );
    }
    return this.transitionRun(stackId, run.id, decision, note);
  }

  retryRun(stackId: string, runId: string, triggeredBy: string): RunRecord {
    const run = this.requireRun(stackId, runId);
    if (!isTerminalRunState(run.state)) {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `run "${runId}" is ${run.state}; only ended runs can be retried`,
      );
    }
    return this.triggerRun(stackId, { type: run.type, commitSha: run.commit.hash, triggeredBy });
  }

  // --- events ---

  /** Calls `listener` after every run state change (QUEUED included); returns an unsubscribe function. */
  onRunStateChange(listener: RunStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // --- internals ---

  private record(run: RunRecord, state: RunState, note: string | null, username: string | null): void {
    const at = this.nowSeconds();
    const transition: RunTransitionRecord = {
      state,
      stateVersion: run.history.length + 1,
      timestamp: at,
      terminal: isTerminalRunState(state),
      note,
      username,
    };
    run.state = state;
    run.updatedAt = at;
    run.history.push(transition);
    const stack = this.requireStack(run.stackId);
    for (const listener of this.listeners) listener({ run, stack, transition });
  }

  private stackSettings(input: StackSettings, space: string) {
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

  private configRecords(config: NonNullable<ContextSettings['config']>, at: number): ConfigRecord[] {
    return config.map((e) => ({
      id: e.id,
      checksum: createHash('sha256').update(e.value).digest('hex'),
      createdAt: at,
      description: e.description ?? null,
      runtime: false,
      type: e.type ?? 'ENVIRONMENT_VARIABLE',
      value: e.value,
      writeOnly: e.writeOnly ?? false,
      fileMode: e.fileMode ?? null,
    }));
  }

  private requireUniqueContextName(name: string, space: string, except: string | null): void {
    const clash = [...this.contexts.values()].find(
      (c) => c.name === name && c.space === space && c.id !== except,
    );
    if (clash) {
      throw new SpaceliftStoreError(
        'CONFLICT',
        `context with name "${name}" already exists in space "${space}"`,
      );
    }
  }

  private isSpaceWithin(spaceId: string, ancestorId: string): boolean {
    for (
      let s: SpaceRecord | undefined = this.spaces.get(spaceId);
      s;
      s = this.spaces.get(s.parentSpace ?? '')
    ) {
      if (s.id === ancestorId) return true;
    }
    return false;
  }

  private requireSpace(id: string): SpaceRecord {
    const space = this.spaces.get(id);
    if (!space) throw notFound('space', id);
    return space;
  }

  private requireParentSpace(id: string): void {
    if (!this.spaces.has(id)) throw notFound('parent space', id);
  }

  private requireStack(id: string): StackRecord {
    const stack = this.stacks.get(id);
    if (!stack) throw notFound('stack', id);
    return stack;
  }

  private requireRun(stackId: string, runId: string): RunRecord {
    this.requireStack(stackId);
    const run = this.getRun(stackId, runId);
    if (!run) throw notFound('run', runId);
    return run;
  }
}
