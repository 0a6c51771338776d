/**
 * Shapes of the cascade activities. Workflows import this module (types only), so it holds
 * no runtime code.
 */
import type { GraphNode, UnknownDependency } from '../graph/dependency-graph.js';

export interface LoadStackGraphInput {
  rootStackId: string;
  labelPrefix: string;
}

/**
 * The root's downstream closure, read from the whole account once. Only the closure crosses
 * into workflow history, which keeps it small when the account has thousands of stacks.
 */
export interface StackGraphSnapshot {
  /** The root first, then every stack downstream of it; `dependsOn` limited to the closure. */
  nodes: GraphNode[];
  /** Labels of stacks in the closure pointing at stacks that do not exist. */
  unknownDependencies: UnknownDependency[];
  /** How many stacks the account has (for logs and status). */
  totalStacks: number;
}

export interface TriggerStackRunInput {
  stackId: string;
  runType: 'TRACKED' | 'PROPOSED';
  /** The cascade's workflow id, for logs. */
  cascadeId: string;
  /**
   * When the workflow decided to trigger (workflow `Date.now()`, ms; deterministic). A retry
   * reuses a run of this identity created at or after it instead of triggering again.
   */
  intentAt: number;
}

export interface TriggeredRun {
  runId: string;
  state: string;
  /** true when a retry found the run an earlier attempt had triggered. */
  reused: boolean;
}

export interface RunStateResult {
  state: string;
  /** Highest state version in the run's history; null when the API gives none. */
  stateVersion: number | null;
}

/** The activities a cascade worker registers (see `createActivities`). */
export interface CascadeActivities {
  loadStackGraph(input: LoadStackGraphInput): Promise<StackGraphSnapshot>;
  triggerStackRun(input: TriggerStackRunInput): Promise<TriggeredRun>;
  getRunState(stackId: string, runId: string): Promise<RunStateResult>;
}
