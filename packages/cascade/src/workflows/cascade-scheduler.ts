/**
 * The cascade's bookkeeping as a pure state machine: which stacks may be triggered now, what
 * each stack's status is, and what a failure skips. The workflow drives it; tests drive it
 * without Temporal. Linear in the closure size overall.
 */
import type { StackStatus } from '../cascade-contract.js';
import type { GraphNode } from '../graph/dependency-graph.js';

type FinalStatus = Extract<StackStatus, { state: 'finished' | 'failed' | 'skipped' }>;

export class CascadeScheduler {
  /** Stacks not yet settled (or triggered) -> upstreams in the closure not yet FINISHED. */
  private readonly waitingOn = new Map<string, Set<string>>();
  private readonly downstreams = new Map<string, string[]>();
  private readonly statuses = new Map<string, StackStatus>();
  private readonly stackOfRun = new Map<string, string>();
  private readonly runVersion = new Map<string, number>();
  /** Stacks whose upstreams all FINISHED, oldest first; `readyHead` keeps taking O(1). */
  private ready: string[] = [];
  private readyHead = 0;
  private unsettled = 0;

  /**
   * @param nodes the closure, root included, `dependsOn` limited to the closure
   * @param order every stack of the closure but the root, in a topological order (the
   *   order statuses are listed and ready stacks are triggered in)
   */
  constructor(
    nodes: readonly GraphNode[],
    private readonly rootId: string,
    order: readonly string[],
    private readonly runUrl: (stackId: string, runId: string) => string,
  ) {
    const upstreamsOf = new Map(nodes.map((n) => [n.id, n.dependsOn]));
    for (const id of order) {
      const ups = upstreamsOf.get(id) ?? [];
      this.waitingOn.set(id, new Set(ups));
      for (const up of ups) {
        const list = this.downstreams.get(up);
        if (list) list.push(id);
        else this.downstreams.set(up, [id]);
      }
      this.statuses.set(id, { state: 'pending', waitingFor: [] });
      this.unsettled++;
    }
  }

  /** The root run FINISHED: its direct dependents may go. */
  rootFinished(): void {
    this.upstreamFinished(this.rootId);
  }

  /** The root run ended otherwise: nothing runs. */
  rootEnded(runId: string, state: string): void {
    this.skipDownstream(this.rootId, `upstream ${this.rootId} failed: run ${runId} ended ${state}`);
  }

  hasReady(): boolean {
    return this.readyHead < this.ready.length;
  }

  /** Takes the next stack whose upstreams all FINISHED; it stays pending until {@link triggered}. */
  takeReady(): string | undefined {
    return this.hasReady() ? this.ready[this.readyHead++] : undefined;
  }

  triggered(stackId: string, runId: string, runState: string): void {
    this.stackOfRun.set(runId, stackId);
    this.statuses.set(stackId, { state: 'triggered', runId, runUrl: this.runUrl(stackId, runId), runState });
  }

  /** A state change of a triggered run, from a signal; stale versions are ignored. */
  runStateChanged(runId: string, runState: string, stateVersion: number | null): void {
    const stackId = this.stackOfRun.get(runId);
    const status = stackId === undefined ? undefined : this.statuses.get(stackId);
    if (status?.state !== 'triggered') return;
    const known = this.runVersion.get(runId);
    if (stateVersion !== null) {
      if (known !== undefined && stateVersion < known) return;
      this.runVersion.set(runId, stateVersion);
    }
    this.statuses.set(stackId!, { ...status, runState });
  }

  /** The stack's run reached a terminal state. */
  runEnded(stackId: string, runId: string, runState: string): void {
    const runUrl = this.runUrl(stackId, runId);
    if (runState === 'FINISHED') {
      this.settle(stackId, { state: 'finished', runId, runUrl });
      this.upstreamFinished(stackId);
    } else {
      this.settle(stackId, { state: 'failed', runId, runUrl, runState });
      this.skipDownstream(stackId, `upstream ${stackId} failed: run ${runId} ended ${runState}`);
    }
  }

  /** The run's end could not be learnt (e.g. the run vanished): counts as a failure. */
  followFailed(stackId: string, runId: string, why: string): void {
    this.settle(stackId, {
      state: 'failed',
      runId,
      runUrl: this.runUrl(stackId, runId),
      runState: 'UNKNOWN',
    });
    this.skipDownstream(stackId, `upstream ${stackId} failed: ${why}`);
  }

  /** No run could be triggered for the stack: it and its dependents are skipped. */
  notTriggered(stackId: string, why: string): void {
    this.settle(stackId, { state: 'skipped', reason: why });
    this.skipDownstream(stackId, `upstream ${stackId} was not triggered: ${why}`);
  }

  /** Skips every stack not yet triggered (cancellation). */
  skipUntriggered(reason: string): void {
    this.ready = [];
    this.readyHead = 0;
    for (const [id, status] of this.statuses) {
      if (status.state === 'pending') this.settle(id, { state: 'skipped', reason });
    }
  }

  /** Every stack finished, failed or was skipped. */
  isSettled(): boolean {
    return this.unsettled === 0;
  }

  /** Each stack's status, in topological order. */
  status(): Record<string, StackStatus> {
    const out: Record<string, StackStatus> = {};
    for (const [id, status] of this.statuses) {
      out[id] =
        status.state === 'pending' ? { state: 'pending', waitingFor: [...this.waitingOn.get(id)!] } : status;
    }
    return out;
  }

  private settle(stackId: string, status: FinalStatus): void {
    const before = this.statuses.get(stackId);
    if (
      before === undefined ||
      before.state === 'finished' ||
      before.state === 'failed' ||
      before.state === 'skipped'
    ) {
      return;
    }
    this.statuses.set(stackId, status);
    this.unsettled--;
  }

  private upstreamFinished(stackId: string): void {
    for (const down of this.downstreams.get(stackId) ?? []) {
      const waiting = this.waitingOn.get(down)!;
      waiting.delete(stackId);
      if (waiting.size === 0 && this.statuses.get(down)?.state === 'pending') this.ready.push(down);
    }
  }

  /** Skips everything downstream of `stackId` still pending; the first reason recorded wins. */
  private skipDownstream(stackId: string, reason: string): void {
    const queue = [...(this.downstreams.get(stackId) ?? [])];
    for (let i = 0; i < queue.length; i++) {
      const id = queue[i]!;
      if (this.statuses.get(id)?.state !== 'pending') continue;
      this.settle(id, { state: 'skipped', reason });
      queue.push(...(this.downstreams.get(id) ?? []));
    }
  }
}
