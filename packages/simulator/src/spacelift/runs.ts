import { createHash } from 'node:crypto';
import { isTerminalRunState, type RunState, type RunType } from 'spacelift-client';
import { seededRandom } from '../seeded-random.js';
import { ulid } from './ids.js';
import { nextRunState, takesStackLock } from './run-lifecycle.js';
import { planRun, stackSeed, zeroDelta, type RunDeltaRecord, type RunPlan } from './stack-behaviour.js';
import type { StackRecord, Stacks } from './stacks.js';
import { notFound, SpaceliftStoreError } from './store-error.js';

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
  /** Milliseconds, for deliveries' `timestamp_millis`. */
  timestampMillis: number;
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
  /** `api::<key id>`, a user name, an upstream stack id; `null` for git pushes and drift detection. */
  triggeredBy: string | null;
  /** A drift-detection reconciliation run (a TRACKED run). */
  driftDetection: boolean;
  title: string;
  commit: CommitRecord;
  /** Oldest first (the API lists it newest first). */
  history: RunTransitionRecord[];
  /**
   * Known once planning has ended (null while queued, preparing or planning, and for a run
   * canceled before); zero when the run failed or stopped before that. Tasks change nothing.
   */
  delta: RunDeltaRecord | null;
}

/** A run's state change, as the store reports it to listeners (the simulator's lifecycle and webhooks). */
export interface RunStateChange {
  run: RunRecord;
  stack: StackRecord;
  transition: RunTransitionRecord;
}
export type RunStateListener = (change: RunStateChange) => void;

/** Where a run comes from and what it runs. */
export interface RunRequest {
  type?: RunType;
  /** Recorded as `triggeredBy`; `null` for a git push or drift detection. */
  triggeredBy: string | null;
  commitSha?: string | null;
  /** A commit shared by several runs (one push to several stacks). */
  commit?: CommitRecord;
  driftDetection?: boolean;
}

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

/** States before a plan exists: a run in them has no delta yet. */
const BEFORE_PLAN: ReadonlySet<RunState> = new Set<RunState>([
  'QUEUED',
  'READY',
  'PREPARING',
  'INITIALIZING',
  'PLANNING',
  'CANCELED',
]);

/** Run types whose FINISHED run has applied its plan to the stack (resources, outputs). */
const APPLIES: ReadonlySet<RunType> = new Set<RunType>(['TRACKED', 'DESTROY']);

/**
 * Runs of every stack and their state changes. Tracked runs, tasks and destroy runs hold
 * the stack one at a time, oldest first (later ones wait QUEUED); proposed runs never wait.
 *
 * A run's plan (how it ends, its delta, an output it changes) is decided from its stack's
 * behaviour when it starts planning, with the stack's own seeded random stream; its delta is
 * published once planning ends, and a FINISHED tracked run applies it to the stack before
 * anyone hears of the FINISHED state, so an outputs read after it sees the new values.
 */
export class Runs {
  /** Per stack, in creation order. */
  private readonly byStack = new Map<string, RunRecord[]>();
  private readonly listeners = new Set<RunStateListener>();
  /** Plans of runs that have started planning and not ended, by run id. */
  private readonly plans = new Map<string, RunPlan>();
  /** Per stack: its random stream, so one stack's runs draw the same whatever others do. */
  private readonly randoms = new Map<string, () => number>();

  constructor(
    private readonly stacks: Stacks,
    private readonly now: () => number,
    /** Seeds every stack's random stream (with the stack id). */
    private readonly randomSeed = 1,
  ) {}

  /** The stack's runs, oldest first; `null` for an unknown stack. */
  ofStack(stackId: string): RunRecord[] | null {
    if (!this.stacks.get(stackId)) return null;
    return this.byStack.get(stackId) ?? [];
  }

  get(stackId: string, runId: string): RunRecord | null {
    return this.byStack.get(stackId)?.find((r) => r.id === runId) ?? null;
  }

  find(runId: string): RunRecord | null {
    for (const runs of this.byStack.values()) {
      const run = runs.find((r) => r.id === runId);
      if (run) return run;
    }
    return null;
  }

  /** Every run that has not ended, in no particular order. */
  unfinished(): RunRecord[] {
    return [...this.byStack.values()].flatMap((runs) => runs.filter((r) => !isTerminalRunState(r.state)));
  }

  /** The run holding the stack: its oldest unfinished tracked run, task or destroy run. */
  holder(stackId: string): RunRecord | null {
    return (
      this.byStack.get(stackId)?.find((r) => takesStackLock(r.type) && !isTerminalRunState(r.state)) ?? null
    );
  }

  /** Whether the run waits behind another one holding its stack. */
  waitsForStack(run: RunRecord): boolean {
    if (!takesStackLock(run.type)) return false;
    return this.holder(run.stackId)?.id !== run.id;
  }

  /** Mirrors the most recent tracked run that has started; NONE when there is none. */
  stackState(stackId: string): string {
    const runs = this.byStack.get(stackId) ?? [];
    for (let i = runs.length - 1; i >= 0; i--) {
      const run = runs[i]!;
      if (run.type === 'TRACKED' && STACK_STATES.has(run.state)) return run.state;
    }
    return 'NONE';
  }

  /** When `stackState` last changed (unix seconds): the newest state change of a tracked run; null with none. */
  stackStateSetAt(stackId: string): number | null {
    let latest: number | null = null;
    for (const run of this.byStack.get(stackId) ?? []) {
      if (run.type !== 'TRACKED') continue;
      for (const t of run.history) latest = Math.max(latest ?? t.timestamp, t.timestamp);
    }
    return latest;
  }

  /**
   * Creates a QUEUED run. A disabled stack refuses every run; a locked one refuses runs
   * triggered by anyone but the lock owner (git pushes and drift detection still queue).
   */
  trigger(stackId: string, request: RunRequest): RunRecord {
    const stack = this.stacks.require(stackId);
    const refusal = this.stacks.refuseRun(stack, request.triggeredBy);
    if (refusal) throw refusal;
    const now = this.now();
    const commit = request.commit ?? this.commitFor(stack, request.commitSha ?? null);
    const at = Math.floor(now / 1000);
    const run: RunRecord = {
      id: ulid(now),
      stackId,
      state: 'QUEUED',
      type: request.type ?? 'TRACKED',
      branch: stack.branch,
      createdAt: at,
      updatedAt: at,
      triggeredBy: request.triggeredBy,
      driftDetection: request.driftDetection ?? false,
      title: request.driftDetection ? 'Drift detection' : commit.message,
      commit,
      history: [],
      delta: null,
    };
    const runs = this.byStack.get(stackId) ?? [];
    runs.push(run);
    this.byStack.set(stackId, runs);
    this.record(run, 'QUEUED', null, request.triggeredBy);
    return run;
  }

  /** The commit a run of `stack` gets: the given sha, or the head of its branch. */
  commitFor(stack: StackRecord, sha: string | null, message?: string): CommitRecord {
    const hash = sha ?? createHash('sha1').update(`${stack.repository}@${stack.branch}`).digest('hex');
    return {
      hash,
      authorLogin: 'simulator',
      authorName: 'Spacelift Simulator',
      message: message ?? (sha ? `Commit ${sha.slice(0, 7)}` : `Head of ${stack.branch}`),
      timestamp: Math.floor(this.now() / 1000),
      url: `https://example.com/${stack.repository}/commit/${hash}`,
    };
  }

  /**
   * Moves a run to `state` (any state; the run must not have ended and must not wait behind
   * another run of its stack, unless it is being canceled or skipped).
   */
  transition(stackId: string, runId: string, state: RunState, note: string | null = null): RunRecord {
    const run = this.require(stackId, runId);
    if (isTerminalRunState(run.state)) {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `run "${runId}" has already ended in state ${run.state}`,
      );
    }
    if (state !== 'CANCELED' && state !== 'SKIPPED' && this.waitsForStack(run)) {
      const holder = this.holder(stackId)!;
      throw new SpaceliftStoreError('INVALID_STATE', `run "${runId}" is queued behind run "${holder.id}"`);
    }
    this.record(run, state, note, null);
    return run;
  }

  /** The state the run moves to next on its own; `null` when it has ended or waits for someone. */
  nextState(run: RunRecord): RunState | null {
    const stack = this.stacks.require(run.stackId);
    const outcome = this.plans.get(run.id)?.outcome ?? stack.outcome;
    return nextRunState(run.type, outcome, stack.autodeploy, run.state);
  }

  /** Moves a run one step along its lifecycle (see `nextRunState`); `null` when it cannot move on its own. */
  step(stackId: string, runId: string): RunRecord | null {
    const next = this.nextState(this.require(stackId, runId));
    return next ? this.transition(stackId, runId, next) : null;
  }

  cancel(stackId: string, runId: string, note: string | null): RunRecord {
    const run = this.require(stackId, runId);
    if (run.state !== 'QUEUED' && run.state !== 'READY') {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `run "${runId}" is ${run.state}; only queued runs can be canceled`,
      );
    }
    return this.transition(stackId, runId, 'CANCELED', note);
  }

  stop(stackId: string, runId: string, note: string | null): RunRecord {
    const run = this.require(stackId, runId);
    if (run.state === 'QUEUED' || run.state === 'READY' || isTerminalRunState(run.state)) {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `run "${runId}" is ${run.state}; only runs in progress can be stopped (cancel queued ones)`,
      );
    }
    return this.transition(stackId, runId, 'STOPPED', note);
  }

  /** Confirms or discards the given run, or the one holding the stack when `runId` is null. */
  decide(stackId: string, runId: string | null, decision: 'CONFIRMED' | 'DISCARDED', note: string | null) {
    this.stacks.require(stackId);
    const run = runId ? this.require(stackId, runId) : this.holder(stackId);
    if (!run || run.state !== 'UNCONFIRMED') {
      const what = run ? `run "${run.id}" is ${run.state}` : `stack "${stackId}" has no run`;
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `${what}; only unconfirmed runs can be confirmed or discarded`,
      );
    }
    return this.transition(stackId, run.id, decision, note);
  }

  retry(stackId: string, runId: string, triggeredBy: string): RunRecord {
    const run = this.require(stackId, runId);
    if (!isTerminalRunState(run.state)) {
      throw new SpaceliftStoreError(
        'INVALID_STATE',
        `run "${runId}" is ${run.state}; only ended runs can be retried`,
      );
    }
    return this.trigger(stackId, { type: run.type, commit: run.commit, triggeredBy });
  }

  removeStack(stackId: string): void {
    for (const run of this.byStack.get(stackId) ?? []) this.plans.delete(run.id);
    this.byStack.delete(stackId);
    this.randoms.delete(stackId);
  }

  /** Calls `listener` after every run state change (QUEUED included); returns an unsubscribe function. */
  onChange(listener: RunStateListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private require(stackId: string, runId: string): RunRecord {
    this.stacks.require(stackId);
    const run = this.get(stackId, runId);
    if (!run) throw notFound('run', runId);
    return run;
  }

  private record(run: RunRecord, state: RunState, note: string | null, username: string | null): void {
    const now = this.now();
    const at = Math.floor(now / 1000);
    const transition: RunTransitionRecord = {
      state,
      stateVersion: run.history.length + 1,
      timestamp: at,
      timestampMillis: now,
      terminal: isTerminalRunState(state),
      note,
      username,
    };
    const stack = this.stacks.require(run.stackId);
    const previous = run.state;
    run.state = state;
    run.updatedAt = at;
    run.history.push(transition);
    this.followPlan(run, stack, previous);
    for (const listener of this.listeners) listener({ run, stack, transition });
  }

  /** Decides the run's plan when it starts planning, publishes its delta after, applies it when it finishes. */
  private followPlan(run: RunRecord, stack: StackRecord, previous: RunState): void {
    // A test may move a run past PLANNING directly: it gets a plan all the same. Tasks plan nothing.
    const planned = run.state === 'PLANNING' || !BEFORE_PLAN.has(run.state);
    if (run.type !== 'TASK' && planned && !this.plans.has(run.id)) {
      this.plans.set(run.id, planRun(stack, stack, this.randomOf(stack.id)));
    }
    const plan = this.plans.get(run.id);
    if (run.delta === null && !BEFORE_PLAN.has(run.state)) {
      // A run that failed or was stopped while planning has no plan to show.
      const endedPlanning =
        BEFORE_PLAN.has(previous) && isTerminalRunState(run.state) && run.state !== 'FINISHED';
      run.delta = plan && !endedPlanning ? { ...plan.delta } : zeroDelta(stack.resources);
    }
    if (!isTerminalRunState(run.state)) return;
    this.plans.delete(run.id);
    if (run.state !== 'FINISHED' || !plan || !APPLIES.has(run.type)) return;
    stack.resources = plan.delta.resources;
    const change = plan.outputChange;
    if (change)
      stack.outputs = stack.outputs.map((o) => (o.id === change.id ? { ...o, value: change.value } : o));
  }

  private randomOf(stackId: string): () => number {
    let random = this.randoms.get(stackId);
    if (!random) {
      random = seededRandom(stackSeed(stackId, this.randomSeed));
      this.randoms.set(stackId, random);
    }
    return random;
  }
}
