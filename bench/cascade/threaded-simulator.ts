import { Worker } from 'node:worker_threads';
import type { BenchStack } from './graph-shapes.js';

/** What the bench needs of a run state change (the store's RunStateChange, trimmed). */
export interface RunChange {
  run: { id: string; stackId: string; triggeredBy: string | null };
  /** `timestampMillis`: when the simulator recorded the change. */
  transition: { state: string; terminal: boolean; timestampMillis: number };
}

export interface SimulatorThreadOptions {
  stateDurationMs: number;
  stacks: BenchStack[];
  apiKey: { id: string; secret: string };
  webhooks: { urls: string[]; secret: string };
}

export interface SimulatorStats {
  apiCalls: Record<string, number>;
  deliveries: Record<string, number>;
  /** Run id -> when the receiver accepted the run's first delivery (ms). */
  firstAccepted: Record<string, number>;
}

type Operation =
  { op: 'trigger'; stackId: string; triggeredBy: string | null } | { op: 'stats' } | { op: 'close' };
export type ThreadRequest = { id: number } & Operation;

export type ThreadReply =
  | { kind: 'ready'; baseUrl: string; apiKey: { id: string; secret: string } }
  | ({ kind: 'change' } & RunChange)
  | { kind: 'answer'; id: number; value: unknown };

/**
 * The simulator started in a worker thread (`simulator-thread.ts`), driven by messages: runs
 * are pushed with `triggerRun`, changes arrive through `onRunStateChange` with the
 * simulator's own timestamps (so message latency does not blur them), counters through `stats`.
 */
export class ThreadedSimulator {
  private readonly listeners = new Set<(change: RunChange) => void>();
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (err: unknown) => void }
  >();
  private nextId = 0;

  private constructor(
    private readonly worker: Worker,
    readonly baseUrl: string,
    readonly apiKey: { id: string; secret: string },
  ) {
    worker.on('message', (reply: ThreadReply) => {
      if (reply.kind === 'change') for (const listener of this.listeners) listener(reply);
      else if (reply.kind === 'answer') {
        this.pending.get(reply.id)?.resolve(reply.value);
        this.pending.delete(reply.id);
      }
    });
    worker.on('error', (err) => {
      for (const { reject } of this.pending.values()) reject(err);
      this.pending.clear();
    });
  }

  static start(options: SimulatorThreadOptions): Promise<ThreadedSimulator> {
    // Node 20 does not run `--import` hooks in workers by itself: register tsx there first.
    const entry = new URL('./simulator-thread.ts', import.meta.url).href;
    const worker = new Worker(
      `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`,
      { eval: true, workerData: options },
    );
    return new Promise((resolve, reject) => {
      const onReady = (reply: ThreadReply) => {
        if (reply.kind !== 'ready') return;
        worker.off('message', onReady);
        worker.off('error', reject);
        resolve(new ThreadedSimulator(worker, reply.baseUrl, reply.apiKey));
      };
      worker.on('message', onReady);
      worker.once('error', reject);
    });
  }

  onRunStateChange(listener: (change: RunChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A push of `stackId` (a TRACKED run). */
  triggerRun(stackId: string, triggeredBy: string | null = null): Promise<{ id: string; stackId: string }> {
    return this.call({ op: 'trigger', stackId, triggeredBy }) as Promise<{ id: string; stackId: string }>;
  }

  stats(): Promise<SimulatorStats> {
    return this.call({ op: 'stats' }) as Promise<SimulatorStats>;
  }

  async close(): Promise<void> {
    await this.call({ op: 'close' });
    await this.worker.terminate();
  }

  private call(request: Operation): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...request, id });
    });
  }
}
