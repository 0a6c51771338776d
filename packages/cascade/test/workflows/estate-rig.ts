import { randomUUID } from 'node:crypto';
import { isTerminalRunState, type RunState } from 'spacelift-client';
import type { RunRecord } from 'spacelift-simulator/testing';
import type { CascadeOptions, CascadeView, RunObservation, StackView } from '../../src/cascade-contract.js';
import { deltaOf } from '../../src/activities/run-observation.js';
import { Coordinator } from '../../src/temporal/coordinator.js';
import type { CascadeHarness } from './cascade-harness.js';
import { ScriptedSpacelift, type StackSpec } from './scripted-spacelift.js';
import { testOptions } from './test-options.js';

export const IDENTITY = 'api::cascade';

/**
 * One estate on the real Temporal dev server: MockSpacelift seeded with `stacks`, a worker,
 * and the coordinator fed with every run state change as the webhook receiver would feed it
 * (unless the test drops a run's deliveries). The coordinator's own runs finish on their own,
 * one tick after they are created (zero-length runs); runs of other sources (pushes, the UI)
 * end when the test says.
 */
export class EstateRig {
  readonly spacelift: ScriptedSpacelift;
  readonly coordinator: Coordinator;
  /** Runs whose deliveries are lost. */
  readonly dropped = new Set<string>();
  /** Stacks whose runs the coordinator triggered, in order. */
  readonly ownTriggers: string[] = [];
  /** Stacks whose own runs stay open until the test finishes them. */
  readonly holdOwn = new Set<string>();
  private readonly pending: Promise<unknown>[] = [];
  /** Runs while the coordinator still runs, after the test body (the history recorder reads it). */
  beforeTerminate?: () => Promise<void>;

  constructor(
    private readonly harness: CascadeHarness,
    stacks: StackSpec[],
    readonly options: CascadeOptions = testOptions(),
  ) {
    this.spacelift = new ScriptedSpacelift(stacks, { autoFinish: false, identity: IDENTITY });
    this.coordinator = new Coordinator(harness.client, {
      estateId: `estate-${randomUUID()}`,
      taskQueue: harness.taskQueue,
      options,
    });
    this.spacelift.mock.onRunStateChange(({ run, transition }) => {
      const own = run.triggeredBy === IDENTITY;
      if (own && transition.stateVersion === 1) {
        this.ownTriggers.push(run.stackId);
        if (!this.holdOwn.has(run.stackId))
          setImmediate(() => this.spacelift.mock.finishRun(run.stackId, run.id));
      }
      if (this.dropped.has(run.id)) return;
      this.pending.push(
        this.coordinator.observe(this.observation(run, transition.state, transition.stateVersion)),
      );
    });
  }

  observation(run: RunRecord, state: RunState, stateVersion: number): RunObservation {
    return {
      stackId: run.stackId,
      runId: run.id,
      state,
      stateVersion,
      runType: run.type,
      triggeredBy: run.triggeredBy,
      createdAt: run.createdAt,
      at: Date.now(),
      driftDetection: false,
      stackLabels: this.spacelift.mock.store.getStack(run.stackId)?.labels ?? null,
      // An ended run's delta, as its webhook carries it.
      ...(isTerminalRunState(state) && { delta: deltaOf(run) }),
    };
  }

  /** Runs a worker while `fn` runs; the coordinator is started and has read the graph first. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    return this.harness.withWorker(
      this.spacelift.api,
      async () => {
        await this.coordinator.configure();
        try {
          await eventually(async () => (await this.coordinator.stack(this.anyStack())) ?? undefined);
          const result = await fn();
          await Promise.all(this.pending);
          return result;
        } finally {
          await this.beforeTerminate?.();
          // The next test's worker on this task queue must not run this estate's coordinator.
          await this.harness.client.workflow.getHandle(this.coordinator.ref.estateId).terminate('test over');
        }
      },
      IDENTITY,
    );
  }

  private anyStack(): string {
    return this.spacelift.mock.store.listStacks()[0]!.id;
  }

  /** Waits until every delivery so far reached the coordinator (webhooks of one moment arrive in any order). */
  async flush(): Promise<void> {
    await Promise.all(this.pending);
  }

  /** A run from another source (a push, the UI), created now. */
  push(stackId: string, triggeredBy: string | null = 'alice@example.com'): RunRecord {
    return this.spacelift.mock.store.triggerRun(stackId, { type: 'TRACKED', triggeredBy });
  }

  finish(run: RunRecord): void {
    this.spacelift.mock.finishRun(run.stackId, run.id);
  }

  fail(run: RunRecord): void {
    this.spacelift.mock.advanceRun(run.stackId, run.id, 'FAILED');
  }

  stack(id: string): Promise<StackView | null> {
    return this.coordinator.stack(id);
  }

  /** Waits until the coordinator shows `id` in `state`. */
  async until(id: string, state: StackView['state']): Promise<StackView> {
    return eventually(async () => {
      const view = await this.stack(id);
      return view?.state === state ? view : undefined;
    });
  }

  /** Waits until the cascade of run `runId` is no longer running. */
  async settled(runId: string): Promise<CascadeView> {
    return eventually(async () => {
      const view = await this.coordinator.cascade(runId);
      return view && view.phase !== 'running' ? view : undefined;
    });
  }

  /** Runs each stack got, oldest first, with who triggered them. */
  runsOf(stackId: string): RunRecord[] {
    return [...this.spacelift.runsOf(stackId)].reverse();
  }

  count(stackId: string): number {
    return this.ownTriggers.filter((s) => s === stackId).length;
  }

  /** The position of the first event of this kind for the stack in the recorded order. */
  indexOf(kind: 'triggered' | 'ended', stackId: string, nth = 0): number {
    let seen = -1;
    return this.spacelift.events.findIndex((e) => e.kind === kind && e.stackId === stackId && ++seen === nth);
  }
}

/** Polls `check` every 20 ms until it returns a value (the test's timeout bounds it). */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (;;) {
    const value = await Promise.resolve()
      .then(check)
      .catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits past the next whole second: run times are whole seconds. */
export const nextSecond = () => new Promise((r) => setTimeout(r, 1100 - (Date.now() % 1000)));
