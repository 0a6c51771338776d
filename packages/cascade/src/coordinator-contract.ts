/**
 * The estate coordinator's contract: the one place that names its signals and queries, used by
 * the workflow (handlers) and by every client (receiver, CLI, dashboard, service). The names are
 * stored in histories and spooled deliveries: never rename them. Workflow code imports this file.
 */
import { defineQuery, defineSignal, defineUpdate, type SignalDefinition } from '@temporalio/workflow';
import type {
  ApprovalDecision,
  ApprovalRequest,
  CascadeOptions,
  CascadeSummary,
  CascadeView,
  ControlsView,
  CoordinatorInput,
  EstateView,
  FreezeRequest,
  FreezeView,
  ResumeAnswer,
  ResumeRequest,
  RunObservation,
  StackView,
  UnfreezeAnswer,
} from './cascade-contract.js';
import { PARENT_WORKFLOW } from './constants.js';

/** Run state changes, from the webhook receiver (several when deliveries came together) or the CLI. */
export const runStateSignal = defineSignal<RunObservation[]>('runStateChanged');
/** Cancels a cascade (by its id or the id of a run in it). */
export const cancelCascadeSignal = defineSignal<[string]>('cancelCascade');
/**
 * Run a reconciliation pass now: sent after one of the service's own parts failed and came back
 * (the embedded server restarted, the spool replayed, the service restarted), when changes may
 * have been missed, so they are found in seconds instead of at the next periodic pass.
 */
export const reconcileNowSignal = defineSignal<[string]>('reconcileNow');
/** New options (a worker started with a new configuration). */
export const configureSignal = defineSignal<[CascadeOptions]>('configure');
/** Every stack's state, the cycles and unknown dependencies the coordinator holds. */
export const estateQuery = defineQuery<EstateView>('estate');
/** One cascade by its id or the id of a run in it; null when unknown. */
export const cascadeStatusQuery = defineQuery<CascadeView | null, [string]>('cascadeStatus');
/** Recent cascades, running first. */
export const cascadesQuery = defineQuery<CascadeSummary[], [number]>('cascades');
/** One stack's state; null when the coordinator does not know the stack. */
export const stackStatusQuery = defineQuery<StackView | null, [string]>('stackStatus');

/**
 * Stacks of the dependency graph that no webhook made by `connect` reaches (the last pass's
 * finding; empty where `connect` was never used): their runs reach the cascade only by polling.
 */
export const unconnectedStacksQuery = defineQuery<string[]>('unconnectedStacks');

/** The Spacelift account the coordinator serves; null for one started before accounts. */
export const accountQuery = defineQuery<string | null>('account');

/**
 * Ends this coordinator and returns its carried state (deflated), for the coordinator named in
 * the argument to continue from: the upgrade from the pre-account default id. It first waits for
 * what is in flight (triggers, polls, a pass), as continue-as-new does.
 */
export const handOverUpdate = defineUpdate<Uint8Array, [string]>('handOver');

/**
 * Operator actions: Updates, validated by the coordinator, so the caller gets the answer or the
 * reason it was refused. Freezes the estate: no trigger is decided until it is lifted (by
 * `unfreezeUpdate`, or at `until`); runs in flight go on, needs keep accumulating.
 */
export const freezeUpdate = defineUpdate<FreezeView, [FreezeRequest]>('freeze');
/** Lifts the freeze (the argument: who does); answers what it lifted and the stacks that run now. */
export const unfreezeUpdate = defineUpdate<UnfreezeAnswer, [string]>('unfreeze');
/**
 * A person approves a stack labelled `cascade:approval` in one cascade (it may then run; an
 * approval holds for that cascade), or rejects it (it and what is below it end blocked).
 */
export const approveUpdate = defineUpdate<ApprovalDecision, [ApprovalRequest]>('approve');
export const rejectUpdate = defineUpdate<ApprovalDecision, [ApprovalRequest]>('reject');
/** Resumes a cascade its failure budget (CASCADE_MAX_FAILURES) paused; refused when it is not paused. */
export const resumeUpdate = defineUpdate<ResumeAnswer, [ResumeRequest]>('resume');
/** The operator controls in force (the freeze, pending approvals, pauses), as every view says them. */
export const controlsQuery = defineQuery<ControlsView>('controls');

/** Signals whose handler takes any number of arguments, so that deliveries may share one call. */
export const MERGEABLE_SIGNALS: ReadonlySet<string> = new Set([runStateSignal.name]);

/** Where one estate's coordinator is, and the options it starts with. */
export interface CoordinatorRef {
  /** The coordinator's workflow id (CASCADE_ESTATE_ID). */
  estateId: string;
  taskQueue: string;
  options: CascadeOptions;
  /** The Spacelift account this client serves: a coordinator it starts records it. */
  account?: string | null;
}

/**
 * A signal to the coordinator that starts it when it is not running: plain data, so it can wait
 * in the receiver's spool file and be sent by any client.
 */
export interface SignalWithStartRequest {
  /** Workflow type by name, so clients do not import workflow code. */
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  /** Arguments of the workflow when this call starts it. */
  args: unknown[];
  signalName: string;
  signalArgs: unknown[];
}

/** The one builder of a coordinator signal: the receiver and every client send what it returns. */
export function coordinatorSignal<Args extends unknown[]>(
  ref: CoordinatorRef,
  signal: SignalDefinition<Args>,
  ...args: Args
): SignalWithStartRequest {
  const input: CoordinatorInput = ref.account
    ? { options: ref.options, account: ref.account }
    : { options: ref.options };
  return {
    workflowType: PARENT_WORKFLOW,
    workflowId: ref.estateId,
    taskQueue: ref.taskQueue,
    args: [input],
    signalName: signal.name,
    signalArgs: args,
  };
}
