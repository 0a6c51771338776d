import { condition, proxyActivities } from '@temporalio/workflow';
import type { CascadeActivities } from '../activities/types.js';
import type { ObservedRunState } from './definitions.js';
import { isTerminal } from './run-states.js';

const { getRunState } = proxyActivities<CascadeActivities>({
  startToCloseTimeout: '1 minute',
  // Heartbeats every 2 s: a dead worker's poll is retried after 10 s.
  heartbeatTimeout: '10 seconds',
  // Polling is the fallback for lost webhooks: keep trying through a Spacelift outage.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * What a workflow knows about one run, fed by signals (fast path) and polls (fallback).
 * Out-of-order deliveries are ignored by `stateVersion`; a terminal state is final.
 */
export class RunWatcher {
  constructor(
    readonly stackId: string,
    readonly runId: string,
    private latest: ObservedRunState | null = null,
  ) {}

  get last(): ObservedRunState | null {
    return this.latest;
  }

  get terminalState(): string | null {
    return this.latest !== null && isTerminal(this.latest.state) ? this.latest.state : null;
  }

  observe(seen: ObservedRunState): void {
    if (this.terminalState !== null) return;
    const known = this.latest?.stateVersion ?? null;
    if (known !== null && seen.stateVersion !== null && seen.stateVersion < known) return;
    this.latest = { state: seen.state, stateVersion: seen.stateVersion ?? known };
  }

  /**
   * Waits until the run is terminal: looks once at once (a fast run may have ended before
   * anyone listened), then waits for a signal up to `pollIntervalMs` before polling again.
   * `shouldStop` lets the caller leave early (continue-as-new); returns null then.
   */
  async untilTerminal(
    pollIntervalMs: number,
    shouldStop: () => boolean = () => false,
  ): Promise<string | null> {
    for (;;) {
      if (this.terminalState !== null) return this.terminalState;
      this.observe(await getRunState(this.stackId, this.runId));
      if (this.terminalState !== null) return this.terminalState;
      if (shouldStop()) return null;
      await condition(() => this.terminalState !== null, pollIntervalMs);
    }
  }
}
