/** Names other systems see; the seed project's values, kept so its users find things where they expect. */
export const TASK_QUEUE = 'spacelift-task-queue';
/** The estate coordinator (the seed's name for "the workflow that runs the dependency chain"). */
export const PARENT_WORKFLOW = 'stackDependencyChainWorkflow';
/** One coordinator per estate: every receiver and worker of the estate uses this workflow id. */
export const DEFAULT_ESTATE_ID = 'spacelift-cascade-estate';
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_LABEL_PREFIX = 'dependsOn:';
export const DEFAULT_TEMPORAL_PORT = 7233;
export const DEFAULT_TEMPORAL_UI_PORT = 8088;
export const DEFAULT_WEBHOOK_PORT = 8000;
export const DEFAULT_WEBHOOK_HOST = '0.0.0.0';
/** Signal carrying a run state change (webhook, CLI) to the coordinator. */
export const RUN_STATE_SIGNAL = 'runStateChanged';
/** Signal asking the coordinator to cancel a cascade. */
export const CANCEL_CASCADE_SIGNAL = 'cancelCascade';
/** Signal carrying a worker's or receiver's cascade options to the coordinator. */
export const CONFIGURE_SIGNAL = 'configure';
/** Query: the whole estate, each stack's state. */
export const ESTATE_QUERY = 'estate';
/** Query: one cascade, by its id or the id of a run in it. */
export const CASCADE_STATUS_QUERY = 'cascadeStatus';
/** Query: one stack's state. */
export const STACK_STATUS_QUERY = 'stackStatus';
/** Query: recent cascades, running first. */
export const CASCADES_QUERY = 'cascades';

/** A cascade's id: the run whose change started it. */
export const cascadeIdOf = (runId: string): string => `cascade-${runId}`;
