/** Names other systems see; the seed project's values, kept so its users find things where they expect. */
export const TASK_QUEUE = 'spacelift-task-queue';
export const PARENT_WORKFLOW = 'stackDependencyChainWorkflow';
export const CHILD_WORKFLOW = 'stackExecutionWorkflow';
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_LABEL_PREFIX = 'dependsOn:';
export const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_TEMPORAL_UI_PORT = 8088;
export const DEFAULT_WEBHOOK_PORT = 8000;
export const DEFAULT_WEBHOOK_HOST = '0.0.0.0';
/** Signal carrying a run state change (from the webhook receiver) to the workflow following that run. */
export const RUN_STATE_SIGNAL = 'runStateChanged';
/** Query answering a cascade's per-stack status. */
export const CASCADE_STATUS_QUERY = 'cascadeStatus';

/** One cascade per root run: redeliveries and concurrent duplicates map to the same workflow id. */
export const cascadeWorkflowId = (rootRunId: string): string => `cascade-${rootRunId}`;
/** One follower per run a cascade triggered (run ids are unique across Spacelift). */
export const runFollowerWorkflowId = (runId: string): string => `run-${runId}`;
