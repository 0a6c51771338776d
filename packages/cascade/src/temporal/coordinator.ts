import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type {
  ApprovalDecision,
  ApprovalRequest,
  CascadeSummary,
  CascadeView,
  ControlsView,
  EstateView,
  FreezeRequest,
  FreezeView,
  ResumeAnswer,
  ResumeRequest,
  RunObservation,
  StackView,
  UnfreezeAnswer,
} from '../cascade-contract.js';
import {
  approveUpdate,
  cancelCascadeSignal,
  cascadesQuery,
  cascadeStatusQuery,
  configureSignal,
  controlsQuery,
  coordinatorSignal,
  freezeUpdate,
  rejectUpdate,
  resumeUpdate,
  unfreezeUpdate,
  reconcileNowSignal,
  estateQuery,
  runStateSignal,
  stackStatusQuery,
  type CoordinatorRef,
  type SignalWithStartRequest,
} from '../coordinator-contract.js';

/** The coordinator refused an operator action; the message is its reason. */
export class ActionRefusedError extends Error {
  override readonly name = 'ActionRefusedError';
}

/** Temporal wraps a refusal (update failed -> application failure): the innermost message is the reason. */
function innermostMessage(err: Error): string {
  let current: Error = err;
  while (current.cause instanceof Error) current = current.cause;
  return current.message;
}

/** Sends a built coordinator signal (see `coordinatorSignal`): the one place that calls signalWithStart. */
export async function sendSignalWithStart(client: Client, request: SignalWithStartRequest): Promise<void> {
  await client.workflow.signalWithStart(request.workflowType, {
    workflowId: request.workflowId,
    taskQueue: request.taskQueue,
    args: request.args,
    signal: request.signalName,
    signalArgs: request.signalArgs,
  });
}

/**
 * The estate coordinator as the CLI and the service see it, through the typed contract (so
 * nothing here imports workflow code). Each signal starts the coordinator when it is not running.
 */
export class Coordinator {
  constructor(
    private readonly client: Client,
    readonly ref: CoordinatorRef,
  ) {}

  private get handle() {
    return this.client.workflow.getHandle(this.ref.estateId);
  }

  /**
   * Starts the coordinator if needed and hands it these options (a worker does this at start).
   * `carried`: the state a coordinator this one replaces handed over (see `handOverUpdate`).
   */
  configure(carried?: Uint8Array): Promise<void> {
    const request = coordinatorSignal(this.ref, configureSignal, this.ref.options);
    if (carried) request.args.push(carried);
    return sendSignalWithStart(this.client, request);
  }

  observe(obs: RunObservation): Promise<void> {
    return sendSignalWithStart(this.client, coordinatorSignal(this.ref, runStateSignal, obs));
  }

  /** Asks for a reconciliation pass now, saying why (see `reconcileNowSignal`). */
  reconcileNow(why: string): Promise<void> {
    return sendSignalWithStart(this.client, coordinatorSignal(this.ref, reconcileNowSignal, why));
  }

  cancel(cascadeId: string): Promise<void> {
    return sendSignalWithStart(this.client, coordinatorSignal(this.ref, cancelCascadeSignal, cascadeId));
  }

  /** Freezes the estate; throws {@link ActionRefusedError} with the coordinator's reason when it refuses. */
  freeze(request: FreezeRequest): Promise<FreezeView> {
    return this.act(freezeUpdate, request);
  }

  /** Lifts the freeze, saying who does; throws {@link ActionRefusedError} when not frozen. */
  unfreeze(by: string): Promise<UnfreezeAnswer> {
    return this.act(unfreezeUpdate, by);
  }

  /** Approves a stack labelled `cascade:approval` in a cascade; throws {@link ActionRefusedError} with the reason. */
  approve(request: ApprovalRequest): Promise<ApprovalDecision> {
    return this.act(approveUpdate, request);
  }

  /** Rejects a stack labelled `cascade:approval` in a cascade; throws {@link ActionRefusedError} with the reason. */
  reject(request: ApprovalRequest): Promise<ApprovalDecision> {
    return this.act(rejectUpdate, request);
  }

  /** Resumes a cascade its failure budget paused; throws {@link ActionRefusedError} with the reason. */
  resume(request: ResumeRequest): Promise<ResumeAnswer> {
    return this.act(resumeUpdate, request);
  }

  /** The operator controls in force. */
  controls(): Promise<ControlsView> {
    return this.handle.query(controlsQuery);
  }

  /** Runs an operator action (an Update): its answer, or its refusal as an {@link ActionRefusedError}. */
  private async act<Ret, Args extends [unknown, ...unknown[]]>(
    update: UpdateDefinition<Ret, Args>,
    ...args: Args
  ): Promise<Ret> {
    try {
      return await this.handle.executeUpdate(update, { args });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new ActionRefusedError(innermostMessage(err));
      if (err instanceof WorkflowNotFoundError) {
        throw new ActionRefusedError(
          `the coordinator ${this.ref.estateId} is not running: start the service (\`spacelift-cascade start\`, or a worker) first`,
        );
      }
      throw err;
    }
  }

  cascade(idOrRunId: string): Promise<CascadeView | null> {
    return this.handle.query(cascadeStatusQuery, idOrRunId);
  }

  cascades(limit: number): Promise<CascadeSummary[]> {
    return this.handle.query(cascadesQuery, limit);
  }

  stack(stackId: string): Promise<StackView | null> {
    return this.handle.query(stackStatusQuery, stackId);
  }

  /** Whether the coordinator workflow runs (a closed one answers queries only with a worker up). */
  async isRunning(): Promise<boolean> {
    const description = await this.handle.describe();
    return description.status.name === 'RUNNING';
  }

  /** Every stack's state, the cycles and unknown dependencies the coordinator holds. */
  estate(): Promise<EstateView> {
    return this.handle.query(estateQuery);
  }

  /** Resolves once the coordinator has read the estate's graph (its first reconciliation pass). */
  async graphRead(timeoutMs: number, pollMs = 50): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const view = await this.handle.query(estateQuery).catch(() => null);
      if (view?.graphReadAt != null) return;
      if (Date.now() >= deadline)
        throw new Error(`the coordinator had not read the estate after ${timeoutMs} ms`);
      await new Promise((wake) => setTimeout(wake, pollMs));
    }
  }
}
