import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { acquirePidLock, LockHeldError, type LockOwner, type PidLock } from '../service/data-dir-lock.js';
import { TemporalUnavailableError, type CascadePort, type SignalWithStartRequest } from './cascade-port.js';

export interface DeliverySpoolOptions {
  /** The spool file (JSON lines) in the data folder; it survives a restart of the receiver. */
  file: string;
  /** Deliveries it holds at most; past that the receiver answers 503 as without a spool. */
  maxEntries: number;
  /** Called when every spooled delivery has been replayed (after an outage: a pass may be due). */
  onReplayed?: (deliveries: number) => void;
  /** How often it tries Temporal again while requests wait. */
  retryMs?: number;
  log?: {
    warn(obj: object, msg: string): void;
    info(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
  };
}

/** Another live receiver uses this spool file: two would replay and rewrite each other's deliveries. */
export class SpoolLockedError extends LockHeldError {
  override readonly name = 'SpoolLockedError';

  constructor(
    readonly spoolFile: string,
    lockFile: string,
    owner: LockOwner,
  ) {
    super(
      `The webhook delivery spool ${spoolFile} is in use by another receiver (pid ${owner.pid}: ${owner.command}). ` +
        'Give this receiver another data folder (CASCADE_DATA_DIR or --data-dir), or run it on another host. ' +
        `If pid ${owner.pid} is not a receiver, delete ${lockFile}.`,
      lockFile,
      owner,
    );
  }
}

/**
 * A durable spool in front of the receiver's port: while Temporal is unreachable, accepted
 * deliveries are appended (fsynced) to a file and answered 202 `spooled`, so Spacelift never
 * counts a failure against the webhook; once Temporal answers they are replayed in order, and
 * deliveries that come meanwhile queue behind them. Only a full spool answers 503.
 */
export class DeliverySpool implements CascadePort {
  private queue: SignalWithStartRequest[] = [];
  /** Deliveries in the queue: a request carries several when they came together. */
  private deliveries = 0;
  /** Appends and replays run one at a time, in arrival order. */
  private tail: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly inner: CascadePort,
    private readonly options: DeliverySpoolOptions,
    /** Held from open to close: one receiver per spool file. */
    private readonly lock: PidLock,
  ) {}

  /**
   * Opens the spool, picking up what a previous run of the receiver left in it. Throws
   * {@link SpoolLockedError} while another live receiver has it open.
   */
  static async open(inner: CascadePort, options: DeliverySpoolOptions): Promise<DeliverySpool> {
    await mkdir(dirname(options.file), { recursive: true });
    const lockFile = `${options.file}.lock`;
    const lock = await acquirePidLock(
      lockFile,
      (owner) => new SpoolLockedError(options.file, lockFile, owner),
    );
    const spool = new DeliverySpool(inner, options, lock);
    try {
      await spool.load();
      return spool;
    } catch (err) {
      await lock.release();
      throw err;
    }
  }

  /** Reads what a previous run of the receiver left in the file. */
  private async load(): Promise<void> {
    const text = await readFile(this.options.file, 'utf8').catch(() => '');
    this.queue = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as SignalWithStartRequest);
    this.deliveries = this.queue.reduce((n, r) => n + weight(r), 0);
    if (this.queue.length > 0) {
      this.options.log?.warn(
        { spooled: this.deliveries },
        'deliveries spooled by an earlier run wait for Temporal',
      );
      this.schedule();
    }
  }

  /** Deliveries waiting for Temporal. */
  get size(): number {
    return this.deliveries;
  }

  signalWithStart(request: SignalWithStartRequest): Promise<'delivered' | 'spooled'> {
    const result = this.tail.then(async (): Promise<'delivered' | 'spooled'> => {
      if (this.queue.length === 0) {
        try {
          return await this.inner.signalWithStart(request);
        } catch (err) {
          if (!(err instanceof TemporalUnavailableError)) throw err;
        }
      }
      if (this.deliveries + weight(request) > this.options.maxEntries) {
        throw new TemporalUnavailableError(`the delivery spool is full (${this.options.maxEntries} waiting)`);
      }
      await this.append(request);
      return 'spooled';
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  checkReady(): Promise<void> {
    return this.inner.checkReady();
  }

  /** Stops retrying (what waits stays in the file for the next start) and lets the file go. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.tail;
    await this.lock.release();
  }

  private async append(request: SignalWithStartRequest): Promise<void> {
    const handle = await open(this.options.file, 'a');
    try {
      await handle.appendFile(`${JSON.stringify(request)}\n`);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    this.queue.push(request);
    this.deliveries += weight(request);
    if (this.queue.length === 1) this.options.log?.warn({}, 'Temporal is unreachable: spooling deliveries');
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tail = this.tail.then(() => this.replay()).catch(() => undefined);
    }, this.options.retryMs ?? 1_000);
  }

  /** Replays in order until empty or Temporal fails again; rewrites the file with what is left. */
  private async replay(): Promise<void> {
    let sent = 0;
    try {
      while (sent < this.queue.length) {
        const request = this.queue[sent]!;
        try {
          await this.inner.signalWithStart(request);
        } catch (err) {
          if (err instanceof TemporalUnavailableError) break;
          // Temporal refused it for good (it can never succeed): say so, do not block the rest.
          this.options.log?.error(
            { err, workflowId: request.workflowId, signal: request.signalName },
            'a spooled delivery was refused by Temporal and dropped',
          );
        }
        sent++;
      }
    } finally {
      if (sent > 0) {
        const replayed = this.queue.slice(0, sent).reduce((n, r) => n + weight(r), 0);
        this.deliveries -= replayed;
        this.queue = this.queue.slice(sent);
        if (this.queue.length === 0) await rm(this.options.file, { force: true });
        else {
          // Write the rest aside, then swap: a crash in between leaves one whole file.
          const next = `${this.options.file}.next`;
          await writeFile(next, this.queue.map((r) => `${JSON.stringify(r)}\n`).join(''));
          await rename(next, this.options.file);
        }
        this.options.log?.info({ replayed, waiting: this.deliveries }, 'replayed spooled deliveries');
        if (this.queue.length === 0) this.options.onReplayed?.(replayed);
      }
    }
    if (this.queue.length > 0) this.schedule();
  }
}

/** Deliveries a request carries (one signal argument each; at least one). */
function weight(request: SignalWithStartRequest): number {
  return Math.max(1, request.signalArgs.length);
}
