import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CascadeActivities } from '../activities/types.js';
import type { CascadeInput, CascadeResult, CascadeStatus } from '../cascade-contract.js';
import { runFollowerWorkflowId } from '../constants.js';
import { DependencyCycleError, findCycles, fromNodes, topologicalWaves } from '../graph/dependency-graph.js';
import { CascadeScheduler } from './cascade-scheduler.js';
import { cascadeStatusQuery, runStateSignal } from './definitions.js';
import { RunWatcher } from './run-watcher.js';
import { SUCCESS_STATE } from './run-states.js';
import { stackExecutionWorkflow } from './stack-execution.js';

const retry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 8,
};
// Activities heartbeat every 2 s: a dead worker's task is retried after 10 s, not after the long timeouts.
const { loadStackGraph } = proxyActivities<CascadeActivities>({
  // Reading 10,000 stacks is 200 pages.
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '10 seconds',
  retry,
});
const { triggerStackRun } = proxyActivities<CascadeActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry,
});

/**
 * One cascade, rooted at one run of one stack (workflow id `cascade-<rootRunId>`).
 *
 * Follows the root run first unless it is known FINISHED; reads the stack graph once; refuses
 * a cycle before triggering anything; then triggers each stack of the downstream closure once,
 * after all its upstreams in the closure FINISHED, up to `maxParallel` at a time. Each run is
 * followed by a child `stackExecutionWorkflow`, which keeps this history small. A run ending
 * otherwise than FINISHED skips everything downstream of it, with the reason.
 *
 * Cancelling the cascade stops further triggers, skips stacks not yet triggered, and cancels
 * the run followers. Runs already triggered keep going in Spacelift: stopping an apply halfway
 * is worse than letting it end.
 */
export async function stackDependencyChainWorkflow(input: CascadeInput): Promise<CascadeResult> {
  const { rootStackId, rootRunId, options } = input;
  const cascadeId = workflowInfo().workflowId;
  const urlBase = options.runUrlBase.replace(/\/+$/, '');
  const runUrl = (stackId: string, runId: string) => `${urlBase}/stack/${stackId}/run/${runId}`;
  let phase: CascadeStatus['phase'] = input.rootFinished ? 'loading' : 'waiting-for-root';
  let error: string | null = null;
  let unknownDependencies: CascadeStatus['unknownDependencies'] = [];
  let scheduler: CascadeScheduler | null = null;
  const root = new RunWatcher(
    rootStackId,
    rootRunId,
    input.rootFinished ? { state: SUCCESS_STATE, stateVersion: null } : null,
  );

  const status = (): CascadeStatus => ({
    rootStackId,
    rootRunId,
    phase,
    error,
    stacks: scheduler?.status() ?? {},
    unknownDependencies,
  });
  setHandler(cascadeStatusQuery, status);
  // Signals for the root run drive step 1; later ones (redeliveries) and signals about runs
  // this cascade triggered only refresh the status.
  setHandler(runStateSignal, (signal) => {
    if (signal.runId === rootRunId) root.observe(signal);
    else scheduler?.runStateChanged(signal.runId, signal.state, signal.stateVersion);
  });

  try {
    const rootState = await root.untilTerminal(options.pollIntervalMs);
    phase = 'loading';
    const snapshot = await loadStackGraph({ rootStackId, labelPrefix: options.labelPrefix });
    unknownDependencies = snapshot.unknownDependencies;
    const graph = fromNodes(snapshot.nodes);
    const cycles = findCycles(graph);
    if (cycles.length > 0) {
      const cycleError = new DependencyCycleError(cycles);
      throw ApplicationFailure.create({
        message: `Refusing to cascade from ${rootStackId}: ${cycleError.message}`,
        type: 'DependencyCycle',
        nonRetryable: true,
        details: [cycles],
      });
    }
    const order = topologicalWaves(graph)
      .flat()
      .filter((id) => id !== rootStackId);
    const plan = new CascadeScheduler(snapshot.nodes, rootStackId, order, runUrl);
    scheduler = plan;
    if (rootState === SUCCESS_STATE) plan.rootFinished();
    else plan.rootEnded(rootRunId, rootState ?? 'UNKNOWN');

    phase = 'running';
    await runToEnd(plan, input, cascadeId);
    phase = 'completed';
    return status();
  } catch (err) {
    if (isCancellation(err)) {
      phase = 'canceled';
      error = 'canceled on request; runs already triggered keep going in Spacelift';
      scheduler?.skipUntriggered('cascade canceled before this stack was triggered');
    } else {
      phase = 'failed';
      error = err instanceof Error ? err.message : String(err);
    }
    throw err;
  }
}

/** Triggers ready stacks, at most `maxParallel` at once, until every stack is settled. */
async function runToEnd(plan: CascadeScheduler, input: CascadeInput, cascadeId: string): Promise<void> {
  const maxParallel = Math.max(1, Math.floor(input.options.maxParallel));
  let active = 0;
  while (!plan.isSettled()) {
    for (let id = active < maxParallel ? plan.takeReady() : undefined; id !== undefined;) {
      active++;
      void runStack(plan, id, input, cascadeId).finally(() => active--);
      id = active < maxParallel ? plan.takeReady() : undefined;
    }
    await condition(() => plan.isSettled() || (active < maxParallel && plan.hasReady()));
  }
}

/** Triggers one stack and follows its run; never rejects (outcomes go to the scheduler). */
async function runStack(plan: CascadeScheduler, stackId: string, input: CascadeInput, cascadeId: string) {
  let runId: string | null = null;
  try {
    const run = await triggerStackRun({
      stackId,
      runType: input.options.runType,
      cascadeId,
      // Workflow time is deterministic: every retry of this trigger sees the same intent.
      intentAt: Date.now(),
    });
    runId = run.runId;
    plan.triggered(stackId, runId, run.state);
    const result = await executeChild(stackExecutionWorkflow, {
      workflowId: runFollowerWorkflowId(runId),
      args: [{ stackId, runId, pollIntervalMs: input.options.pollIntervalMs }],
      cancellationType: ChildWorkflowCancellationType.TRY_CANCEL,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
    plan.runEnded(stackId, runId, result.state);
  } catch (err) {
    // The cascade itself is being canceled: the main loop records that.
    if (isCancellation(err) && CancellationScope.current().consideredCancelled) return;
    const why = innermostMessage(err);
    if (runId === null) plan.notTriggered(stackId, `could not trigger a run: ${why}`);
    else plan.followFailed(stackId, runId, `could not follow run ${runId}: ${why}`);
  }
}

/** Temporal wraps failures (child -> activity -> application): the innermost message says what went wrong. */
function innermostMessage(err: unknown): string {
  let current = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
