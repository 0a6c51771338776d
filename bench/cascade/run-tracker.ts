import { ROOT_STACK } from './graph-shapes.js';
import type { RunChange } from './threaded-simulator.js';

/** A dependent run ended otherwise than FINISHED: the bench's numbers would mean nothing. */
export class BenchRunFailedError extends Error {
  override readonly name = 'BenchRunFailedError';
}

/** No progress for too long: something is stuck (a lost task, a dead worker). */
export class BenchStalledError extends Error {
  override readonly name = 'BenchStalledError';
}

/**
 * Watches the simulator's runs (the ground truth, not what the cascade reports) for the
 * root run's FINISHED and every dependent run's end. Times are the simulator's own record of
 * the transition, i.e. when "Spacelift" finished the run.
 */
export class RunTracker {
  /** Wall clock (ms) of the root run's FINISHED. */
  rootFinished: number | null = null;
  rootRunId: string | null = null;
  lastFinished = 0;
  /** runId -> stackId and wall-clock end of every dependent run. */
  readonly runs = new Map<string, { stackId: string; finishedWall: number }>();
  /** Resolves with the root run's id when it FINISHED. */
  readonly rootDone: Promise<string>;
  private readonly done: Promise<void>;
  private readonly unsubscribe: () => void;
  private lastProgress = performance.now();

  constructor(
    source: { onRunStateChange(listener: (change: RunChange) => void): () => void },
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
    this.unsubscribe = source.onRunStateChange(({ run, transition }) => {
      this.lastProgress = performance.now();
      if (!transition.terminal) return;
      if (run.stackId === ROOT_STACK) {
        if (transition.state !== 'FINISHED') reject(new BenchRunFailedError(`root run ${transition.state}`));
        this.rootFinished = transition.timestampMillis;
        this.rootRunId = run.id;
        rootResolve(run.id);
        return;
      }
      if (transition.state !== 'FINISHED') {
        reject(new BenchRunFailedError(`run ${run.id} of ${run.stackId} ended ${transition.state}`));
        return;
      }
      this.runs.set(run.id, { stackId: run.stackId, finishedWall: transition.timestampMillis });
      this.lastFinished = Math.max(this.lastFinished, transition.timestampMillis);
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
    return this.lastFinished - this.rootFinished;
  }
}
