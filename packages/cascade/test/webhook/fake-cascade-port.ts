import type { CascadePort, StartWorkflowRequest } from '../../src/webhook/cascade-port.js';
import { TemporalUnavailableError } from '../../src/webhook/cascade-port.js';

export type PortCall =
  | { op: 'signal'; workflowId: string; signalName: string; payload: unknown }
  | { op: 'start'; request: StartWorkflowRequest };

/**
 * In-memory CascadePort: workflows are a set of ids; records every call so tests can assert
 * that nothing was started or signalled.
 */
export class FakeCascadePort implements CascadePort {
  readonly calls: PortCall[] = [];
  readonly running = new Set<string>();
  /** Ids that once existed (REJECT_DUPLICATE refuses them too). */
  readonly started = new Set<string>();
  unavailable = false;

  constructor(running: Iterable<string> = []) {
    for (const id of running) {
      this.running.add(id);
      this.started.add(id);
    }
  }

  signalIfExists(workflowId: string, signalName: string, payload: unknown): Promise<boolean> {
    if (this.unavailable) return Promise.reject(new TemporalUnavailableError(`signal ${workflowId}`));
    this.calls.push({ op: 'signal', workflowId, signalName, payload });
    return Promise.resolve(this.running.has(workflowId));
  }

  startWorkflow(request: StartWorkflowRequest): Promise<'started' | 'duplicate'> {
    if (this.unavailable) return Promise.reject(new TemporalUnavailableError(`start ${request.workflowId}`));
    this.calls.push({ op: 'start', request });
    if (this.started.has(request.workflowId)) return Promise.resolve('duplicate');
    this.started.add(request.workflowId);
    this.running.add(request.workflowId);
    return Promise.resolve('started');
  }

  checkReady(): Promise<void> {
    return this.unavailable
      ? Promise.reject(new TemporalUnavailableError('readiness check'))
      : Promise.resolve();
  }

  get starts(): StartWorkflowRequest[] {
    return this.calls.flatMap((c) => (c.op === 'start' ? [c.request] : []));
  }
}
