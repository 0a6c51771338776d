import { isTerminalRunState, type RunState } from 'spacelift-client';
import { WORKER_STATES } from './spacelift/run-lifecycle.js';
import type { RunRecord } from './spacelift/runs.js';
import type { SpaceliftStore } from './spacelift/spacelift-store.js';
import { SpaceliftStoreError } from './spacelift/store-error.js';

/** A worker picks up a READY run (to plan it) or a confirmed one (to apply it). */
const needsWorker = (from: RunState, to: RunState): boolean =>
  !WORKER_STATES.has(from) && WORKER_STATES.has(to);

/**
 * Moves runs along their lifecycle on timers, one step every `stateDurationMs`. A run that
 * waits behind another one holding its stack stays QUEUED; with a worker pool (`workers` > 0)
 * a run stays READY (or CONFIRMED) until a worker is free. Any state change, whoever made it
 * (a timer, a mutation like runConfirm, a test), re-plans that run.
 */
export class RunDriver {
  /** Per run id: the state version its timer was set for. */
  private readonly timers = new Map<string, { stateVersion: number; timer: NodeJS.Timeout }>();
  /** Runs on a worker now. */
  private readonly onWorker = new Set<string>();
  /** Runs waiting for a free worker, oldest first. */
  private readonly waiting: Array<{ stackId: string; runId: string }> = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: SpaceliftStore,
    private readonly stateDurationMs: number,
    /** 0: no limit. */
    private readonly workers: number,
  ) {
    this.unsubscribe = store.onRunStateChange(({ run }) => this.onChange(run));
  }

  /** Runs on a worker now. */
  get busyWorkers(): number {
    return this.onWorker.size;
  }

  /** Stops every timer; runs stay where they are. */
  stop(): void {
    this.unsubscribe();
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private onChange(run: RunRecord): void {
    const held = this.onWorker.has(run.id);
    // An autodeployed run passes through CONFIRMED on its worker; a run that waited for a human does not hold one.
    const keeps = WORKER_STATES.has(run.state) || (held && run.state === 'CONFIRMED');
    if (keeps) this.onWorker.add(run.id);
    else this.onWorker.delete(run.id);
    const freed = held && !keeps;
    this.plan(run);
    if (isTerminalRunState(run.state)) {
      // The next run of the stack may now hold it.
      const next = this.store.runs.holder(run.stackId);
      if (next) this.plan(next);
    }
    if (freed) this.assignFreeWorkers();
  }

  private plan(run: RunRecord): void {
    const stateVersion = run.history.length;
    const planned = this.timers.get(run.id);
    if (planned?.stateVersion === stateVersion) return;
    if (planned) clearTimeout(planned.timer);
    this.timers.delete(run.id);
    // Ended, waiting for a confirm or discard, or queued behind the run holding the stack.
    if (this.store.runs.nextState(run) === null || this.store.runs.waitsForStack(run)) return;
    const timer = setTimeout(() => {
      this.timers.delete(run.id);
      this.advance(run.stackId, run.id);
    }, this.stateDurationMs);
    this.timers.set(run.id, { stateVersion, timer });
  }

  private advance(stackId: string, runId: string): void {
    const run = this.store.runs.get(stackId, runId);
    const next = run && this.store.runs.nextState(run);
    if (!run || !next) return;
    if (needsWorker(run.state, next) && !this.onWorker.has(run.id) && !this.workerFree()) {
      this.waiting.push({ stackId, runId });
      return;
    }
    try {
      this.store.runs.step(stackId, runId);
    } catch (error) {
      // The stack or run went away (deleted) or was moved on meanwhile: nothing to do.
      if (!(error instanceof SpaceliftStoreError)) throw error;
    }
  }

  private workerFree(): boolean {
    return this.workers === 0 || this.onWorker.size < this.workers;
  }

  private assignFreeWorkers(): void {
    while (this.waiting.length > 0 && this.workerFree()) {
      const { stackId, runId } = this.waiting.shift()!;
      this.advance(stackId, runId);
    }
  }
}
