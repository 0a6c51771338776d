import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CascadeStatus, RunStateSignal } from '../cascade-contract.js';
import { CASCADE_STATUS_QUERY, RUN_STATE_SIGNAL } from '../constants.js';

/** A run state change, sent by the webhook receiver to the workflow following that run. */
export const runStateSignal = defineSignal<[RunStateSignal]>(RUN_STATE_SIGNAL);
/** The cascade's per-stack status. */
export const cascadeStatusQuery = defineQuery<CascadeStatus>(CASCADE_STATUS_QUERY);

/** Input of stackExecutionWorkflow: follow one run to its end. */
export interface StackExecutionInput {
  stackId: string;
  runId: string;
  pollIntervalMs: number;
  /** The last state seen before a continue-as-new, so none is lost. */
  lastSeen?: ObservedRunState | null;
}

export interface ObservedRunState {
  state: string;
  stateVersion: number | null;
}

/** Result of stackExecutionWorkflow. */
export interface StackExecutionResult {
  stackId: string;
  runId: string;
  /** A terminal run state. */
  state: string;
}
