/**
 * Shapes of the cascade activities. Workflows import this module (types only), so it holds
 * no runtime code.
 */
import type { ChangeWindows, RunObservation, WindowSchedule } from '../cascade-contract.js';
import type { OutputsRead } from '../estate/cutoff-rule.js';
import type { GraphNode } from '../graph/dependency-graph.js';

export interface TriggerStackRunInput {
  stackId: string;
  runType: 'TRACKED' | 'PROPOSED';
  /** The cascade the run serves, for logs. */
  cascadeId: string;
  /**
   * When the workflow decided to trigger (workflow `Date.now()`, ms; deterministic). A retry
   * reuses a run of this identity created at or after it instead of triggering again.
   */
  intentAt: number;
  /** The coordinator's account: a worker for another account refuses (see `account.ts`). */
  account?: string | null;
}

export interface TriggeredRun {
  runId: string;
  state: string;
  /** Unix seconds the run was created (Spacelift's clock). */
  createdAt: number;
  /** true when a retry found the run an earlier attempt had triggered. */
  reused: boolean;
}

/** A run to poll because no webhook told us about it for a while. */
export interface RunRef {
  stackId: string;
  runId: string;
}

export interface ReadRunsResult {
  observations: RunObservation[];
  /** Runs Spacelift no longer knows (deleted, or the stack is gone). */
  vanished: RunRef[];
}

export interface ReconcileInput {
  labelPrefix: string;
  /**
   * Highest `stateSetAt` (Spacelift seconds) of the previous pass: stacks whose state changed
   * at or after it get their runs read. null on the first pass, which only reads the graph.
   */
  cursor: number | null;
  /** Digest of the graph the previous pass returned: the graph is sent only when it changed. */
  graphDigest: string | null;
  /** The coordinator's account: a worker for another account refuses. */
  account?: string | null;
}

export interface ReconcileResult {
  /** Every stack with its declared upstreams; null when the digest did not change. */
  nodes: GraphNode[] | null;
  graphDigest: string;
  cursor: number | null;
  /** Runs of stacks whose state changed since the cursor, oldest first. */
  observations: RunObservation[];
  /**
   * Stacks of the dependency graph with no enabled webhook made by `connect` (after fixing them
   * when the worker manages webhooks); undefined when the estate has none of its webhooks at all
   * (webhooks are not managed there).
   */
  unconnected?: string[];
  /** Webhooks this pass created or fixed (the worker manages them). */
  webhooksFixed?: number;
  /** Stacks whose runs were read (the API calls beyond the search pages). */
  stacksRead: number;
  totalStacks: number;
}

/** The activities a cascade worker registers (see `createActivities`). */
export interface CascadeActivities {
  triggerStackRun(input: TriggerStackRunInput): Promise<TriggeredRun>;
  /** `account`: the coordinator's; a worker for another account refuses. */
  readRuns(runs: RunRef[], account?: string | null): Promise<ReadRunsResult>;
  reconcileEstate(input: ReconcileInput): Promise<ReconcileResult>;
  /** The change windows' open intervals from `from` for `days` days, in UTC (time zones are read here, not in the workflow). */
  changeWindowEdges(input: { windows: ChangeWindows; from: number; days: number }): Promise<WindowSchedule>;
  /**
   * One read of a stack's outputs, as early cutoff compares them (a digest, and the sensitive
   * ones whose value is hidden); null when the stack is gone. `account`: the coordinator's.
   */
  readStackOutputs(stackId: string, account?: string | null): Promise<OutputsRead | null>;
}
