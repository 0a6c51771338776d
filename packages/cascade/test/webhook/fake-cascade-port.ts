import type { RunObservation } from '../../src/cascade-contract.js';
import { runStateSignal } from '../../src/coordinator-contract.js';
import type { CascadePort, SignalWithStartRequest } from '../../src/webhook/cascade-port.js';
import { TemporalUnavailableError } from '../../src/webhook/cascade-port.js';

const RUN_STATE_SIGNAL = runStateSignal.name;

/**
 * In-memory CascadePort: records every signalWithStart call (so tests can assert what reached
 * the coordinator, or that nothing did) and which workflow ids such a call would have started.
 */
export class FakeCascadePort implements CascadePort {
  readonly calls: SignalWithStartRequest[] = [];
  /** Workflow ids that are running (the first signalWithStart of an id starts it). */
  readonly running = new Set<string>();
  /** While true, every call fails as an unreachable Temporal does. */
  unavailable = false;

  signalWithStart(request: SignalWithStartRequest): Promise<'delivered'> {
    if (this.unavailable) {
      return Promise.reject(new TemporalUnavailableError(`signal ${request.workflowId}`));
    }
    this.calls.push(request);
    this.running.add(request.workflowId);
    return Promise.resolve('delivered');
  }

  checkReady(): Promise<void> {
    return this.unavailable
      ? Promise.reject(new TemporalUnavailableError('readiness check'))
      : Promise.resolve();
  }

  /** The run observations signalled, in order. */
  get observations(): RunObservation[] {
    return this.calls.flatMap((c) =>
      c.signalName === RUN_STATE_SIGNAL ? (c.signalArgs as RunObservation[]) : [],
    );
  }
}
