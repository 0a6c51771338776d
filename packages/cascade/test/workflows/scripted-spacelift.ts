import type { RunState, SpaceliftApi } from 'spacelift-client';
import { MockSpacelift, type RunOutcome, type RunRecord } from 'spacelift-simulator/testing';

export interface StackSpec {
  id: string;
  dependsOn?: string[];
  /** How this stack's runs end; default FINISHED. */
  outcome?: RunOutcome;
  /** More labels (e.g. `cascade:approval`). */
  labels?: string[];
}

export interface RunEventRecord {
  kind: 'triggered' | 'ended';
  stackId: string;
  runId: string;
  state: RunState;
}

/**
 * `MockSpacelift` seeded with a stack graph, recording every run the stacks actually got and
 * every run end, in order, plus each API method's call count. With `autoFinish`, every new run
 * goes through its whole lifecycle on the next tick, as a zero-length run would.
 */
export class ScriptedSpacelift {
  readonly mock: MockSpacelift;
  readonly events: RunEventRecord[] = [];
  readonly calls: Record<string, number> = {};
  readonly api: SpaceliftApi;
  running = 0;
  maxRunning = 0;

  constructor(stacks: StackSpec[], options: { autoFinish?: boolean; identity?: string } = {}) {
    const autoFinish = options.autoFinish ?? true;
    this.mock = new MockSpacelift({
      identity: options.identity,
      seed: {
        stacks: stacks.map((s) => ({
          id: s.id,
          labels: [...(s.dependsOn ?? []).map((d) => `dependsOn:${d}`), ...(s.labels ?? [])],
          outcome: s.outcome ?? 'FINISHED',
        })),
      },
    });
    this.mock.onRunStateChange(({ run, transition }) => {
      if (transition.stateVersion === 1) {
        this.events.push({ kind: 'triggered', stackId: run.stackId, runId: run.id, state: transition.state });
        this.maxRunning = Math.max(this.maxRunning, ++this.running);
        if (autoFinish) setImmediate(() => this.mock.finishRun(run.stackId, run.id));
      } else if (transition.terminal) {
        this.running--;
        this.events.push({ kind: 'ended', stackId: run.stackId, runId: run.id, state: transition.state });
      }
    });
    const counted = (name: string, fn: (...args: unknown[]) => unknown) => {
      return (...args: unknown[]) => {
        this.calls[name] = (this.calls[name] ?? 0) + 1;
        return fn.apply(this.mock, args);
      };
    };
    this.api = new Proxy(this.mock, {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' && typeof prop === 'string'
          ? counted(prop, value as (...args: unknown[]) => unknown)
          : value;
      },
    });
  }

  /** Stacks in the order their runs were triggered (one entry per run). */
  triggeredStacks(): string[] {
    return this.events.filter((e) => e.kind === 'triggered').map((e) => e.stackId);
  }

  /** Position of the first such event in {@link events}; -1 when it did not happen. */
  indexOf(kind: RunEventRecord['kind'], stackId: string): number {
    return this.events.findIndex((e) => e.kind === kind && e.stackId === stackId);
  }

  /** The stack's runs, newest first. */
  runsOf(stackId: string): RunRecord[] {
    return this.mock.store.stackRuns(stackId) ?? [];
  }

  totalCalls(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0);
  }
}
