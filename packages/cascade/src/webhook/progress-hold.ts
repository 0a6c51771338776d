/** How long the later progress of one of our own runs may wait for the run's next delivery. */
const PROGRESS_HOLD_MS = 1_000;

interface Held {
  version: number;
  /** performance.now() when it goes out at the latest. */
  deadline: number;
  send: () => Promise<unknown>;
  settle: (outcome: Promise<unknown> | 'superseded') => void;
  timer: NodeJS.Timeout;
}

/**
 * Holds the later progress of the cascade's own runs (PREPARING, CONFIRMED) for a moment: when
 * the run's next delivery comes first (a short run's end, a newer state), the held one is
 * superseded and never signalled; otherwise it goes out after `holdMs`. That progress is status
 * news only (the coordinator knows the run from its trigger and its exact creation from QUEUED,
 * which is not held), and each signal is a history event and a workflow task of the one
 * coordinator every run's end waits for. A newer state replaces a held one and keeps its
 * deadline, so the status is never more than `holdMs` behind.
 */
export class ProgressHold {
  private readonly held = new Map<string, Held>();

  constructor(private readonly holdMs = PROGRESS_HOLD_MS) {}

  /**
   * Holds `send` for the run's delivery of `version`. Resolves with what sending returned, or
   * 'superseded' when a newer delivery of the run came first (this one is then never sent).
   */
  hold(runId: string, version: number, send: () => Promise<unknown>): Promise<unknown> {
    const earlier = this.held.get(runId);
    if (earlier && earlier.version >= version) return Promise.resolve('superseded');
    if (earlier) {
      clearTimeout(earlier.timer);
      earlier.settle('superseded');
    }
    const deadline = earlier?.deadline ?? performance.now() + this.holdMs;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.release(runId), Math.max(0, deadline - performance.now()));
      this.held.set(runId, { version, deadline, send, settle: resolve, timer });
    });
  }

  /** A delivery of `version` of the run is on its way: an older held one is not sent. */
  supersede(runId: string, version: number): void {
    const held = this.held.get(runId);
    if (!held || held.version >= version) return;
    clearTimeout(held.timer);
    this.held.delete(runId);
    held.settle('superseded');
  }

  /** Sends everything held, now (the receiver is closing). */
  flush(): void {
    for (const runId of [...this.held.keys()]) this.release(runId);
  }

  private release(runId: string): void {
    const held = this.held.get(runId);
    if (!held) return;
    clearTimeout(held.timer);
    this.held.delete(runId);
    held.settle(held.send());
  }
}
