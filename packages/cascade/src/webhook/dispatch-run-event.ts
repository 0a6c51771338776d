import type { CascadeOptions, RunEvent, RunObservation } from '../cascade-contract.js';
import { coordinatorSignal, runStateSignal } from '../coordinator-contract.js';
import { isTerminal } from '../estate/run-states.js';
import { isOwnIdentity } from '../own-identity.js';
import type { CascadePort } from './cascade-port.js';
import type { ProgressHold } from './progress-hold.js';

/** What the receiver did with a delivery; the webhook answer's `action`. */
export type WebhookAction = 'signalled' | 'spooled' | 'forwarded' | 'ignored';

export interface DispatchResult {
  action: WebhookAction;
  workflowId?: string;
  /** One sentence for the log line. */
  reason: string;
  /** A `forwarded` delivery's signal, still on its way (or held: 'superseded' when never sent). */
  background?: Promise<unknown>;
}

export interface DispatchOptions {
  /** The coordinator's workflow id (one per estate). */
  estateId: string;
  taskQueue: string;
  cascadeOptions: CascadeOptions;
  /** The receiver's Spacelift account, recorded by a coordinator its delivery starts. */
  account?: string;
  /** `triggeredBy` of the cascade's own runs (the worker's API key), when the receiver knows it. */
  ownIdentity?: string;
  /** Where the later progress of our own runs waits for the run's next delivery; sent at once without. */
  progressHold?: ProgressHold;
}

/**
 * When a forwarded delivery is answered: after its signal is in ('wait'), at once with the
 * signal sent behind the answer ('at-once'), or at once with the signal held for a moment in
 * case the run's next delivery supersedes it ('hold').
 */
export type DeliveryMode = 'wait' | 'at-once' | 'hold';

/**
 * States the coordinator acts on or shows: a run appearing (queued), starting (running),
 * awaiting confirmation, confirmed (running again), and every end. READY and APPLYING show
 * nothing new (still queued, still running), so they are left out with the states in between:
 * each signal is a write to the coordinator's history and a workflow task, and a run has
 * about ten states.
 */
const SIGNIFICANT_STATES = new Set(['QUEUED', 'PREPARING', 'UNCONFIRMED', 'CONFIRMED']);
/** Progress of our own runs that goes out at once: the run's creation, and awaiting confirmation. */
const UNHELD_STATES = new Set(['QUEUED', 'UNCONFIRMED']);

/**
 * The pure decision: forward to the coordinator, or why not; and when to answer. The progress of
 * a run the coordinator triggered itself is news for the status, not a change (the coordinator
 * knows the run from its trigger and polls it when quiet), and Spacelift sends a run's
 * deliveries one after another, so each signal waited for here would delay the run's FINISHED
 * delivery, the one the next stack waits for. Its QUEUED goes out at once (with milliseconds,
 * the run's exact creation, which decides which changes the run includes) and so does
 * UNCONFIRMED (a stack awaiting confirmation, with its timeout); the states between may wait
 * for the run's next delivery to supersede them.
 */
export function classifyRunEvent(
  event: RunEvent,
  options: CascadeOptions,
  ownIdentity?: string,
): { forward: boolean; mode: DeliveryMode; reason: string } {
  // Proposed runs change nothing, but a coordinator triggering proposed runs follows its own.
  if (event.runType !== 'TRACKED' && event.runType !== options.runType) {
    return { forward: false, mode: 'wait', reason: `a ${event.runType} run changes nothing` };
  }
  if (!isTerminal(event.state) && !SIGNIFICANT_STATES.has(event.state)) {
    return {
      forward: false,
      mode: 'wait',
      reason: `state ${event.state} changes nothing the coordinator tracks`,
    };
  }
  if (
    !isTerminal(event.state) &&
    ownIdentity !== undefined &&
    isOwnIdentity(event.triggeredBy, ownIdentity)
  ) {
    return {
      forward: true,
      mode: UNHELD_STATES.has(event.state) ? 'at-once' : 'hold',
      reason: `progress (${event.state}) of a run the cascade triggered`,
    };
  }
  return { forward: true, mode: 'wait', reason: `${event.runType} run ${event.state}` };
}

export function toObservation(event: RunEvent): RunObservation {
  return {
    stackId: event.stackId,
    runId: event.runId,
    state: event.state,
    stateVersion: event.stateVersion,
    runType: event.runType,
    triggeredBy: event.triggeredBy,
    createdAt: event.runCreatedAt,
    // A run's first state (QUEUED) is its creation: with milliseconds, a precise creation time.
    createdAtMs:
      event.state === 'QUEUED' && event.stateVersion === 1 && event.timestampMillis !== null
        ? event.timestampMillis
        : null,
    // Whole seconds round up: the change is never taken for earlier than it was.
    at: event.timestampMillis ?? event.timestamp * 1000 + 999,
    driftDetection: event.driftDetection,
    stackLabels: event.stackLabels,
    // Only an ended run's delta means something (before its plan a run shows zeros).
    ...(isTerminal(event.state) && { delta: event.delta }),
  };
}

/**
 * Hands a run event to the estate coordinator (starting it when it is not running). Duplicates
 * and shuffled deliveries are safe: the coordinator ignores what it already knows.
 */
export async function dispatchRunEvent(
  event: RunEvent,
  port: CascadePort,
  options: DispatchOptions,
): Promise<DispatchResult> {
  const decision = classifyRunEvent(event, options.cascadeOptions, options.ownIdentity);
  if (!decision.forward) return { action: 'ignored', reason: decision.reason };
  const ref = {
    estateId: options.estateId,
    taskQueue: options.taskQueue,
    options: options.cascadeOptions,
    account: options.account,
  };
  const send = () => port.signalWithStart(coordinatorSignal(ref, runStateSignal, toObservation(event)));
  const hold = options.progressHold;
  // A delivery without a state version cannot be ordered against others: it goes at once.
  if (decision.mode === 'hold' && hold && event.stateVersion !== null) {
    return {
      action: 'forwarded',
      workflowId: options.estateId,
      reason: `handed on to the coordinator unless the run's next delivery comes first: ${decision.reason}`,
      background: hold.hold(event.runId, event.stateVersion, send),
    };
  }
  if (event.stateVersion !== null) hold?.supersede(event.runId, event.stateVersion);
  const signal = send();
  if (decision.mode !== 'wait') {
    return {
      action: 'forwarded',
      workflowId: options.estateId,
      reason: `handed on to the coordinator without waiting: ${decision.reason}`,
      background: signal,
    };
  }
  const outcome = await signal;
  return outcome === 'delivered'
    ? {
        action: 'signalled',
        workflowId: options.estateId,
        reason: `signalled the coordinator: ${decision.reason}`,
      }
    : {
        action: 'spooled',
        workflowId: options.estateId,
        reason: `Temporal is unreachable: spooled for the coordinator (${decision.reason})`,
      };
}
