import type { Client } from '@temporalio/client';
import type {
  CascadeOptions,
  CascadeSummary,
  CascadeView,
  EstateView,
  RunObservation,
  StackView,
} from '../cascade-contract.js';
import {
  CANCEL_CASCADE_SIGNAL,
  CASCADE_STATUS_QUERY,
  CASCADES_QUERY,
  CONFIGURE_SIGNAL,
  ESTATE_QUERY,
  PARENT_WORKFLOW,
  RUN_STATE_SIGNAL,
  STACK_STATUS_QUERY,
} from '../constants.js';

export interface CoordinatorRef {
  /** The coordinator's workflow id (CASCADE_ESTATE_ID). */
  estateId: string;
  taskQueue: string;
  options: CascadeOptions;
}

/**
 * The estate coordinator as the CLI and the service see it: queries and signals by name, so
 * nothing here imports workflow code. Each signal starts the coordinator when it is not running.
 */
export class Coordinator {
  constructor(
    private readonly client: Client,
    readonly ref: CoordinatorRef,
  ) {}

  private signal(name: string, args: unknown[]): Promise<unknown> {
    return this.client.workflow.signalWithStart(PARENT_WORKFLOW, {
      workflowId: this.ref.estateId,
      taskQueue: this.ref.taskQueue,
      args: [{ options: this.ref.options }],
      signal: name,
      signalArgs: args,
    });
  }

  /** Starts the coordinator if needed and hands it these options (a worker does this at start). */
  async configure(): Promise<void> {
    await this.signal(CONFIGURE_SIGNAL, [this.ref.options]);
  }

  async observe(obs: RunObservation): Promise<void> {
    await this.signal(RUN_STATE_SIGNAL, [obs]);
  }

  async cancel(cascadeId: string): Promise<void> {
    await this.signal(CANCEL_CASCADE_SIGNAL, [cascadeId]);
  }

  private query<T>(name: string, ...args: unknown[]): Promise<T> {
    return this.client.workflow.getHandle(this.ref.estateId).query<T, unknown[]>(name, ...args);
  }

  cascade(idOrRunId: string): Promise<CascadeView | null> {
    return this.query(CASCADE_STATUS_QUERY, idOrRunId);
  }

  cascades(limit: number): Promise<CascadeSummary[]> {
    return this.query(CASCADES_QUERY, limit);
  }

  stack(stackId: string): Promise<StackView | null> {
    return this.query(STACK_STATUS_QUERY, stackId);
  }

  /** Whether the coordinator workflow runs (a closed one answers queries only with a worker up). */
  async isRunning(): Promise<boolean> {
    const description = await this.client.workflow.getHandle(this.ref.estateId).describe();
    return description.status.name === 'RUNNING';
  }

  /** Every stack's state, the cycles and unknown dependencies the coordinator holds. */
  estate(): Promise<EstateView> {
    return this.query(ESTATE_QUERY);
  }
}
