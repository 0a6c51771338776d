/**
 * Keeps a child part of the service (the embedded Temporal dev server) running: when it exits
 * without being asked to, it is started again after a backoff, with a log line saying why.
 * After `maxRestarts` failed starts in a row it gives up, says what to do, and lets the
 * service exit non-zero so an outer supervisor (systemd, Kubernetes) takes over.
 */

/** A running part the supervisor watches. */
export interface SupervisedPart {
  /** Resolves when the part stops, whatever the reason. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export interface SupervisorLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SupervisorOptions<P extends SupervisedPart> {
  /** Shown in logs and on /readyz, e.g. "embedded Temporal dev server". */
  name: string;
  start: () => Promise<P>;
  log: SupervisorLog;
  /** Failed starts in a row before giving up; default 5. */
  maxRestarts?: number;
  /** First wait before a restart, doubled up to `maxBackoffMs`; default 500 ms. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** What a person should do when the supervisor gives up. */
  remedy: string;
}

export type SupervisorState =
  | { state: 'running'; restarts: number }
  | { state: 'restarting'; restarts: number; attempt: number; reason: string }
  | { state: 'failed'; restarts: number; reason: string };

/** The supervisor gave up; the message says why and what to do. */
export class SupervisorGaveUpError extends Error {
  override readonly name = 'SupervisorGaveUpError';
}

export class Supervisor<P extends SupervisedPart> {
  private part: P | null = null;
  private stopping = false;
  private restarts = 0;
  private current: SupervisorState = { state: 'running', restarts: 0 };
  private giveUp!: (err: SupervisorGaveUpError) => void;
  /** Rejects when the supervisor gives up; never resolves otherwise. */
  readonly failed: Promise<never>;

  constructor(private readonly options: SupervisorOptions<P>) {
    this.failed = new Promise<never>((_, reject) => (this.giveUp = reject));
    // Observed by whoever awaits it; unobserved, a give-up must not crash the process as unhandled.
    this.failed.catch(() => undefined);
  }

  get state(): SupervisorState {
    return this.current;
  }

  /** Starts the part the first time (errors propagate: nothing to supervise yet). */
  async start(): Promise<P> {
    const part = await this.options.start();
    this.watch(part);
    return part;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.part?.stop();
  }

  private watch(part: P): void {
    this.part = part;
    this.current = { state: 'running', restarts: this.restarts };
    void part.exited.then((code) => {
      if (!this.stopping) void this.restart(`exited with code ${code ?? 'null (killed by a signal)'}`);
    });
  }

  private async restart(reason: string): Promise<void> {
    const { name, log } = this.options;
    const max = this.options.maxRestarts ?? 5;
    let backoff = this.options.initialBackoffMs ?? 500;
    let lastError = reason;
    for (let attempt = 1; attempt <= max && !this.stopping; attempt++) {
      this.current = { state: 'restarting', restarts: this.restarts, attempt, reason: lastError };
      log.warn(
        { part: name, attempt, maxAttempts: max, backoffMs: backoff, reason: lastError },
        `${name} ${lastError}; restarting`,
      );
      await new Promise((r) => setTimeout(r, backoff));
      if (this.stopping) return;
      try {
        const part = await this.options.start();
        this.restarts++;
        log.warn({ part: name, attempt, restarts: this.restarts }, `${name} restarted`);
        this.watch(part);
        return;
      } catch (err) {
        lastError = `failed to start: ${err instanceof Error ? err.message : String(err)}`;
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs ?? 30_000);
      }
    }
    if (this.stopping) return;
    const message = `${name} could not be restarted after ${max} attempts (${lastError}). ${this.options.remedy}`;
    this.current = { state: 'failed', restarts: this.restarts, reason: message };
    log.error({ part: name }, message);
    this.giveUp(new SupervisorGaveUpError(message));
  }
}
