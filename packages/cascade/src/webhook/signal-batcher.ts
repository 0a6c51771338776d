import type { CascadePort, SignalWithStartRequest } from './cascade-port.js';

/** Signal arguments one call carries at most (a run observation is about 400 bytes; Temporal's payload limit is 2 MB). */
const MAX_MERGED_ARGS = 500;

interface Waiting {
  request: SignalWithStartRequest;
  resolve: (outcome: 'delivered' | 'spooled') => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit in front of a port: while one call is in flight, the requests that come queue,
 * and when it returns, consecutive requests for the same workflow and signal go out as one call
 * carrying all their signal arguments, in arrival order. Each caller gets the outcome of the call
 * that carried its request. Idle, a request goes out at once; under load (a fan-out's hundreds of
 * webhooks) the coordinator gets one history event and one workflow task per batch instead of
 * one per delivery. Only signals whose handler takes any number of arguments may merge: the
 * constructor names them.
 */
export class SignalBatcher implements CascadePort {
  private readonly waiting: Waiting[] = [];
  private sending = false;

  constructor(
    private readonly inner: CascadePort,
    private readonly mergeableSignals: ReadonlySet<string>,
  ) {}

  signalWithStart(request: SignalWithStartRequest): Promise<'delivered' | 'spooled'> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      if (!this.sending) void this.drain();
    });
  }

  checkReady(): Promise<void> {
    return this.inner.checkReady();
  }

  private async drain(): Promise<void> {
    this.sending = true;
    while (this.waiting.length > 0) {
      const batch = this.takeBatch();
      const request: SignalWithStartRequest = {
        ...batch[0]!.request,
        signalArgs: batch.flatMap((w) => w.request.signalArgs),
      };
      try {
        const outcome = await this.inner.signalWithStart(request);
        for (const w of batch) w.resolve(outcome);
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    this.sending = false;
  }

  /** The longest run of waiting requests, from the first, that can go as one call. */
  private takeBatch(): Waiting[] {
    const first = this.waiting[0]!.request;
    let count = 1;
    let args = first.signalArgs.length;
    if (this.mergeableSignals.has(first.signalName)) {
      while (count < this.waiting.length) {
        const next = this.waiting[count]!.request;
        if (!sameTarget(first, next) || args + next.signalArgs.length > MAX_MERGED_ARGS) break;
        args += next.signalArgs.length;
        count++;
      }
    }
    return this.waiting.splice(0, count);
  }
}

function sameTarget(a: SignalWithStartRequest, b: SignalWithStartRequest): boolean {
  return (
    a.signalName === b.signalName &&
    a.workflowId === b.workflowId &&
    a.workflowType === b.workflowType &&
    a.taskQueue === b.taskQueue
  );
}
