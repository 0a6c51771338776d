import { TemporalUnavailableError, type CascadePort } from '../webhook/cascade-port.js';
import type { Supervisor, SupervisedPart } from './supervisor.js';

/**
 * The receiver's port with readiness that also tells the supervisor's view: while the embedded
 * Temporal server restarts (or after it gave up), /readyz answers 503 saying so.
 */
export function withSupervisedReadiness(
  port: CascadePort,
  supervisor: Supervisor<SupervisedPart>,
): CascadePort {
  return {
    signalWithStart: (request) => port.signalWithStart(request),
    async checkReady() {
      const s = supervisor.state;
      if (s.state === 'restarting') {
        throw new TemporalUnavailableError(
          `the embedded Temporal dev server is restarting, attempt ${s.attempt}: it ${s.reason}`,
        );
      }
      if (s.state === 'failed') throw new TemporalUnavailableError(s.reason);
      await port.checkReady();
    },
  };
}
