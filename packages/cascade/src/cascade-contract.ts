/**
 * The shapes that cross process boundaries between the webhook receiver, Temporal workflows
 * and the CLI. Plain data only (workflow code imports this file, so no Node built-ins here).
 */

/** A run state change as the webhook receiver normalises it (both payload shapes). */
export interface RunEvent {
  runId: string;
  stackId: string;
  state: string;
  /** Grows with each state change of one run; null when the payload has none (notification policy). */
  stateVersion: number | null;
  runType: string;
  branch: string | null;
  commitSha: string | null;
  /** Unix seconds. */
  timestamp: number;
  spaceId: string | null;
  stackName: string | null;
  stackLabels: string[];
  account: string | null;
  triggeredBy: string | null;
}

/** Payload of the RUN_STATE_SIGNAL. */
export interface RunStateSignal {
  runId: string;
  stackId: string;
  state: string;
  stateVersion: number | null;
  timestamp: number;
}

export interface CascadeOptions {
  /** Label prefix declaring a dependency; default `dependsOn:`. */
  labelPrefix: string;
  /** How many stacks may run at once in one cascade. */
  maxParallel: number;
  /** Run type dependents get; default TRACKED. */
  runType: 'TRACKED' | 'PROPOSED';
  /** Fallback polling of a triggered run's state when no webhook arrives. */
  pollIntervalMs: number;
  /** Base URL for run links, e.g. https://acme.app.spacelift.io */
  runUrlBase: string;
}

/** Input of stackDependencyChainWorkflow. */
export interface CascadeInput {
  rootStackId: string;
  rootRunId: string;
  /**
   * true when the root run is already known FINISHED (a webhook started the cascade);
   * false when the cascade was started right after triggering the root (CLI `trigger`) and
   * must first follow the root run to its end.
   */
  rootFinished: boolean;
  options: CascadeOptions;
}

export type StackStatus =
  | { state: 'pending'; waitingFor: string[] }
  | { state: 'triggered'; runId: string; runUrl: string; runState: string }
  | { state: 'finished'; runId: string; runUrl: string }
  | { state: 'failed'; runId: string; runUrl: string; runState: string }
  | { state: 'skipped'; reason: string };

/** Answer of the CASCADE_STATUS_QUERY. */
export interface CascadeStatus {
  rootStackId: string;
  rootRunId: string;
  phase: 'loading' | 'waiting-for-root' | 'running' | 'completed' | 'failed' | 'canceled';
  /** Why the cascade failed or was canceled, e.g. the cycle. */
  error: string | null;
  /** Every stack of the closure (the root excluded), in a topological order. */
  stacks: Record<string, StackStatus>;
  /** Labels pointing at stacks that do not exist. */
  unknownDependencies: Array<{ stackId: string; dependsOn: string }>;
}

/** Result of stackDependencyChainWorkflow. */
export type CascadeResult = CascadeStatus;
