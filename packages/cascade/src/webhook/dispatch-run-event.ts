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
 * States the coordinator acts on or shows: a run appearing (queued), starting, awaiting
 * confirmation, resumed, and every end. The states in between change nothing it knows, and
 * leaving them out keeps its history small (a run has about ten).
 */
const SIGNIFICANT_STATES = new Set(['QUEUED', 'READY', 'PREPARING', 'UNCONFIRMED', 'CONFIRMED', 'APPLYING']);

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
    at: event.timestampMillis ?? event.timestamp * 1000,
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
