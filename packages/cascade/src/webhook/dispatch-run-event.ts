import type { CascadeOptions, RunEvent, RunObservation } from '../cascade-contract.js';
import { PARENT_WORKFLOW, RUN_STATE_SIGNAL } from '../constants.js';
import { isTerminal } from '../workflows/run-states.js';
import type { CascadePort } from './cascade-port.js';

/** What the receiver did with a delivery; the webhook answer's `action`. */
export type WebhookAction = 'signalled' | 'spooled' | 'ignored';

export interface DispatchResult {
  action: WebhookAction;
  workflowId?: string;
  /** One sentence for the log line. */
  reason: string;
}

export interface DispatchOptions {
  /** The coordinator's workflow id (one per estate). */
  estateId: string;
  taskQueue: string;
  cascadeOptions: CascadeOptions;
}

/**
 * States the coordinator acts on or shows: a run appearing (queued), starting (running),
 * awaiting confirmation, confirmed (running again), and every end. READY and APPLYING show
 * nothing new (still queued, still running), so they are left out with the states in between:
 * each signal is a write to the coordinator's history and a workflow task, and a run has
 * about ten states.
 */
const SIGNIFICANT_STATES = new Set(['QUEUED', 'PREPARING', 'UNCONFIRMED', 'CONFIRMED']);

/** The pure decision: forward to the coordinator, or why not. */
export function classifyRunEvent(
  event: RunEvent,
  options: CascadeOptions,
): { forward: boolean; reason: string } {
  // Proposed runs change nothing, but a coordinator triggering proposed runs follows its own.
  if (event.runType !== 'TRACKED' && event.runType !== options.runType) {
    return { forward: false, reason: `a ${event.runType} run changes nothing` };
  }
  if (!isTerminal(event.state) && !SIGNIFICANT_STATES.has(event.state)) {
    return { forward: false, reason: `state ${event.state} changes nothing the coordinator tracks` };
  }
  return { forward: true, reason: `${event.runType} run ${event.state}` };
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
  const decision = classifyRunEvent(event, options.cascadeOptions);
  if (!decision.forward) return { action: 'ignored', reason: decision.reason };
  const outcome = await port.signalWithStart({
    workflowType: PARENT_WORKFLOW,
    workflowId: options.estateId,
    taskQueue: options.taskQueue,
    args: [{ options: options.cascadeOptions }],
    signalName: RUN_STATE_SIGNAL,
    signalArgs: [toObservation(event)],
  });
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
