import { continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { runStateSignal, type StackExecutionInput, type StackExecutionResult } from './definitions.js';
import { RunWatcher } from './run-watcher.js';

/** Past this many events a follower starts afresh, so a run waiting days for approval stays cheap. */
const MAX_HISTORY_EVENTS = 2_000;

/**
 * Follows one triggered run (workflow id `run-<runId>`) until it ends and returns its terminal
 * state. Learns states from RUN_STATE_SIGNAL (the webhook, fast path) and polls `getRun` every
 * `pollIntervalMs` as a fallback, so a lost webhook delays the cascade but never stalls it.
 */
export async function stackExecutionWorkflow(input: StackExecutionInput): Promise<StackExecutionResult> {
  const watcher = new RunWatcher(input.stackId, input.runId, input.lastSeen ?? null);
  setHandler(runStateSignal, (signal) => {
    if (signal.runId === input.runId) watcher.observe(signal);
  });
  const state = await watcher.untilTerminal(input.pollIntervalMs, () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS;
  });
  if (state === null) {
    return await continueAsNew<typeof stackExecutionWorkflow>({ ...input, lastSeen: watcher.last });
  }
  return { stackId: input.stackId, runId: input.runId, state };
}
