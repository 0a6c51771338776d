/**
 * What the webhook receiver needs from Temporal, as a small port: the Temporal-backed
 * implementation is `temporal/cascade-gateway.ts`; tests use an in-memory fake.
 */
export interface CascadePort {
  /** Sends a signal to a running workflow; false when no such workflow is running. */
  signalIfExists(workflowId: string, signalName: string, payload: unknown): Promise<boolean>;
  /** Starts a workflow unless one with this id exists (or existed): then 'duplicate'. */
  startWorkflow(request: StartWorkflowRequest): Promise<'started' | 'duplicate'>;
  /** Resolves when Temporal answers; throws {@link TemporalUnavailableError} otherwise. */
  checkReady(): Promise<void>;
}

export interface StartWorkflowRequest {
  /** Workflow type by name, so the receiver does not import workflow code. */
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  args: unknown[];
  /** Plain values the CLI reads when listing workflows (no custom search attributes needed). */
  memo: Record<string, string | number | boolean>;
}

/** Temporal could not be reached in time; the receiver answers 503 so Spacelift redelivers. */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
  constructor(
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`Temporal is unreachable (${operation}); the webhook can be redelivered later`, options);
  }
}
