import { nextRunState, SpaceliftStoreError, type SpaceliftStore } from 'spacelift-client/testing';

/**
 * Moves runs along their lifecycle on timers: each stack's active run (its oldest unfinished
 * one; later runs queue behind it) takes one step every `stateDurationMs`. Any state change,
 * whoever made it (a timer, a mutation like runConfirm, a test), re-plans that stack.
 */
export class RunDriver {
  private readonly timers = new Map<string, { runId: string; stateVersion: number; timer: NodeJS.Timeout }>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: SpaceliftStore,
    private readonly stateDurationMs: number,
  ) {
    this.unsubscribe = store.onRunStateChange(({ run }) => this.plan(run.stackId));
  }

  /** Stops every timer; runs stay where they are. */
  stop(): void {
    this.unsubscribe();
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private plan(stackId: string): void {
    const run = this.store.activeRun(stackId);
    const planned = this.timers.get(stackId);
    const stateVersion = run?.history.length ?? 0;
    if (planned && run && planned.runId === run.id && planned.stateVersion === stateVersion) return;
    if (planned) clearTimeout(planned.timer);
    this.timers.delete(stackId);
    const stack = this.store.getStack(stackId);
    // Ended, or waiting for a confirm or discard: nothing to do until someone acts.
    if (!run || !stack || nextRunState(run.type, stack.outcome, run.state) === null) return;
    const timer = setTimeout(() => {
      this.timers.delete(stackId);
      try {
        this.store.stepRun(stackId, run.id);
      } catch (error) {
        // The stack or run went away (deleted) or was moved on meanwhile: nothing to do.
        if (!(error instanceof SpaceliftStoreError)) throw error;
      }
    }, this.stateDurationMs);
    this.timers.set(stackId, { runId: run.id, stateVersion, timer });
  }
}
