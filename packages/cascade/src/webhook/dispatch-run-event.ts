import { isTerminalRunState } from 'spacelift-client';
import type { CascadeInput, CascadeOptions, RunEvent, RunStateSignal } from '../cascade-contract.js';
import { PARENT_WORKFLOW, RUN_STATE_SIGNAL, cascadeWorkflowId, runFollowerWorkflowId } from '../constants.js';
import type { CascadePort } from './cascade-port.js';

/** What the receiver did with a delivery; the webhook answer's `action`. */
export type WebhookAction = 'started' | 'duplicate' | 'routed' | 'ignored';

export interface DispatchResult {
  action: WebhookAction;
  workflowId?: string;
  /** One sentence for the log line. */
  reason: string;
}

/**
 * The pure decision: a FINISHED TRACKED run may start a cascade; any terminal run may end
 * something a cascade waits for; every other state changes nothing.
 */
export function classifyRunEvent(event: RunEvent): 'start-candidate' | 'route-candidate' | 'ignore' {
  if (event.state === 'FINISHED' && event.runType === 'TRACKED') return 'start-candidate';
  if (isTerminalRunState(event.state)) return 'route-candidate';
  return 'ignore';
}

export interface DispatchOptions {
  /**
   * `triggeredBy` of runs the cascade itself triggers (`api::<key id>`); such runs report to
   * their cascade instead of starting one. null disables the check.
   */
  ownIdentity: string | null;
  taskQueue: string;
  cascadeOptions: CascadeOptions;
}

function toSignal(event: RunEvent): RunStateSignal {
  return {
    runId: event.runId,
    stackId: event.stackId,
    state: event.state,
    stateVersion: event.stateVersion,
    timestamp: event.timestamp,
  };
}

/**
 * Routes a run event: to the workflow following that run, to a cascade rooted at it, or
 * starts a new cascade. Idempotent: redeliveries and concurrent copies start one workflow.
 */
export async function dispatchRunEvent(
  event: RunEvent,
  port: CascadePort,
  options: DispatchOptions,
): Promise<DispatchResult> {
  const kind = classifyRunEvent(event);
  if (kind === 'ignore') {
    return { action: 'ignored', reason: `state ${event.state} is not terminal` };
  }

  const signal = toSignal(event);
  const followerId = runFollowerWorkflowId(event.runId);
  if (await port.signalIfExists(followerId, RUN_STATE_SIGNAL, signal)) {
    return { action: 'routed', workflowId: followerId, reason: 'signalled the workflow following this run' };
  }

  const cascadeId = cascadeWorkflowId(event.runId);
  const ownRun = options.ownIdentity !== null && event.triggeredBy === options.ownIdentity;
  // Only runs the cascade triggered itself (the CLI's `trigger`) have a cascade waiting for
  // them to finish; for anyone else's run a redelivery shows up as a duplicate start, so the
  // hot path (a push finished) costs one signal attempt and one start.
  const mayHaveWaitingCascade = ownRun || options.ownIdentity === null;
  if (mayHaveWaitingCascade && (await port.signalIfExists(cascadeId, RUN_STATE_SIGNAL, signal))) {
    return kind === 'start-candidate'
      ? {
          action: 'duplicate',
          workflowId: cascadeId,
          reason: 'the cascade rooted at this run already exists',
        }
      : { action: 'routed', workflowId: cascadeId, reason: 'signalled the cascade rooted at this run' };
  }

  if (kind === 'start-candidate' && !ownRun) {
    const input: CascadeInput = {
      rootStackId: event.stackId,
      rootRunId: event.runId,
      rootFinished: true,
      options: options.cascadeOptions,
    };
    const outcome = await port.startWorkflow({
      workflowType: PARENT_WORKFLOW,
      workflowId: cascadeId,
      taskQueue: options.taskQueue,
      args: [input],
      memo: { rootStackId: event.stackId, rootRunId: event.runId, startedBy: 'webhook' },
    });
    return outcome === 'started'
      ? { action: 'started', workflowId: cascadeId, reason: 'started a cascade rooted at this run' }
      : {
          action: 'duplicate',
          workflowId: cascadeId,
          reason: 'the cascade rooted at this run already exists',
        };
  }

  if (ownRun) {
    return {
      action: 'routed',
      reason: 'run triggered by a cascade whose follower has not started yet; that cascade polls the run',
    };
  }
  return {
    action: 'ignored',
    reason: `a ${event.state} ${event.runType} run starts nothing and no workflow waits for it`,
  };
}
