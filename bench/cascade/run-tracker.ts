import type { SpaceliftStore } from 'spacelift-simulator/testing';
import { ROOT_STACK } from './graph-shapes.js';

/** A dependent run ended otherwise than FINISHED: the bench's numbers would mean nothing. */
export class BenchRunFailedError extends Error {
  override readonly name = 'BenchRunFailedError';
}

/** No progress for too long: something is stuck (a lost task, a dead worker). */
export class BenchStalledError extends Error {
  override readonly name = 'BenchStalledError';
}

/**
 * Watches the simulator's store (the ground truth, not what the cascade reports) for the
 * root run's FINISHED and every dependent run's end. Times are taken when the store records
 * the transition, i.e. when "Spacelift" finished the run.
 */
export class RunTracker {
  /** performance.now() and wall clock (for Temporal event times) of the root run's FINISHED. */
  rootFinished: { perf: number; wall: number } | null = null;
  rootRunId: string | null = null;
  lastFinishedPerf = 0;
  /** runId -> stackId and wall-clock end of every dependent run. */
  readonly runs = new Map<string, { stackId: string; finishedWall: number }>();
  /** Resolves with the root run's id when it FINISHED. */
  readonly rootDone: Promise<string>;
  private readonly done: Promise<void>;
  private readonly unsubscribe: () => void;
  private lastProgress = performance.now();

  constructor(
    store: SpaceliftStore,
    private readonly dependents: number,
    stallMs = 120_000,
  ) {
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    let rootResolve!: (runId: string) => void;
    this.rootDone = new Promise<string>((res) => (rootResolve = res));
    this.unsubscribe = store.onRunStateChange(({ run, transition }) => {
      this.lastProgress = performance.now();
      if (!transition.terminal) return;
      if (run.stackId === ROOT_STACK) {
        if (transition.state !== 'FINISHED') reject(new BenchRunFailedError(`root run ${transition.state}`));
        this.rootFinished = { perf: performance.now(), wall: Date.now() };
        this.rootRunId = run.id;
        rootResolve(run.id);
        return;
      }
      if (transition.state !== 'FINISHED') {
        reject(new BenchRunFailedError(`run ${run.id} of ${run.stackId} ended ${transition.state}`));
        return;
      }
      this.runs.set(run.id, { stackId: run.stackId, finishedWall: Date.now() });
      this.lastFinishedPerf = performance.now();
      if (this.runs.size === this.dependents) resolve();
    });
    const watchdog = setInterval(() => {
      if (performance.now() - this.lastProgress > stallMs) {
        reject(new BenchStalledError(`no run changed state for ${stallMs} ms (${this.runs.size} ended)`));
      }
    }, 1_000);
    this.done = done.finally(() => {
      clearInterval(watchdog);
      this.unsubscribe();
    });
  }

  /** Resolves once every dependent run FINISHED. */
  async allFinished(): Promise<void> {
    await this.done;
  }

  /** Root run FINISHED to the last dependent run FINISHED. */
  get cascadeMs(): number {
    if (!this.rootFinished) throw new BenchStalledError('the root run never finished');
    return this.lastFinishedPerf - this.rootFinished.perf;
  }
}
