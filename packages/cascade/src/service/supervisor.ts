/**
 * Keeps a child part of the service (the embedded Temporal dev server) running: when it exits
 * without being asked to, it is started again after a backoff, with a log line saying why.
 * After `maxRestarts` failed restarts in a row it gives up, says what to do (with the part's last
 * stderr lines), and lets the service exit non-zero so an outer supervisor (systemd, Kubernetes)
 * takes over.
 *
 * A restart fails when the start throws, or when the restarted part exits before it has been up
 * `stableMs` (a server that starts, then dies at once on a taken port, would otherwise be
 * restarted for ever). A part that stays up that long starts a new series.
 */

/** A running part the supervisor watches. */
export interface SupervisedPart {
  /** Resolves when the part stops, whatever the reason. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
  /** Its last stderr lines, shown when the supervisor gives up. */
  stderrTail?(): readonly string[];
}

export interface SupervisorLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Defaults, documented in the README. */
const SUPERVISOR_DEFAULTS = {
  maxRestarts: 5,
  stableMs: 30_000,
  initialBackoffMs: 500,
  maxBackoffMs: 30_000,
} as const;

export interface SupervisorOptions<P extends SupervisedPart> {
  /** Shown in logs and on /readyz, e.g. "embedded Temporal dev server". */
  name: string;
  start: () => Promise<P>;
  log: SupervisorLog;
  /** Failed restarts in a row before giving up; default 5. */
  maxRestarts?: number;
  /** How long a restarted part must stay up for its restart to count as a success; default 30 s. */
  stableMs?: number;
  /** First wait before a restart, doubled after each failed one up to `maxBackoffMs`; default 500 ms. */
  initialBackoffMs?: number;
  /** Longest wait before a restart; default 30 s. */
  maxBackoffMs?: number;
  /** What a person should do when the supervisor gives up. */
  remedy: string;
  /** Called each time a restarted part is up again (changes may have been missed meanwhile). */
  onRestarted?: () => void;
  /** Milliseconds clock; tests pass a fake one to make a part look up for long. */
  now?: () => number;
}

export type SupervisorState =
  | { state: 'running'; restarts: number }
  | { state: 'restarting'; restarts: number; attempt: number; reason: string }
  | { state: 'failed'; restarts: number; reason: string };

/** The supervisor gave up; the message says why and what to do, with the part's last stderr lines. */
export class SupervisorGaveUpError extends Error {
  override readonly name = 'SupervisorGaveUpError';

  constructor(
    /** The part, e.g. "embedded Temporal dev server". */
    readonly part: string,
    /** Failed restarts in a row (the limit). */
    readonly failedRestarts: number,
    /** Why the last one failed. */
    readonly lastFailure: string,
    /** The part's last stderr lines, oldest first (may be empty). */
    readonly stderrTail: readonly string[],
    remedy: string,
  ) {
    super(
      `${part} could not be restarted after ${failedRestarts} attempts (${lastFailure}). ${remedy}` +
        (stderrTail.length > 0
          ? `\nIts last stderr lines:\n${stderrTail.map((l) => `  ${l}`).join('\n')}`
          : ''),
    );
  }
}

/** The wait before the restart that follows `failedInARow` failed ones: 0.5 s, 1 s, 2 s, 4 s, 8 s, ... */
export function restartBackoffMs(
  failedInARow: number,
  initialMs: number = SUPERVISOR_DEFAULTS.initialBackoffMs,
  maxMs: number = SUPERVISOR_DEFAULTS.maxBackoffMs,
): number {
  return Math.min(initialMs * 2 ** failedInARow, maxMs);
}

export class Supervisor<P extends SupervisedPart> {
  private part: P | null = null;
  /** When the current part started, and whether it came from a restart (not the first start). */
  private partStartedAt = 0;
  private partIsRestart = false;
  private stopping = false;
  private restarts = 0;
  private failedInARow = 0;
  private current: SupervisorState = { state: 'running', restarts: 0 };
  private giveUp!: (err: SupervisorGaveUpError) => void;
  /** Cuts a backoff short when the supervisor is stopped. */
  private wakeUp: (() => void) | null = null;
  /** The restart under way, awaited by `stop` so no part it starts outlives the supervisor. */
  private restarting: Promise<void> = Promise.resolve();
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
    this.watch(part, false);
    return part;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.restarting;
    await this.part?.stop();
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private watch(part: P, isRestart: boolean): void {
    this.part = part;
    this.partStartedAt = this.now();
    this.partIsRestart = isRestart;
    this.current = { state: 'running', restarts: this.restarts };
    if (isRestart) this.options.onRestarted?.();
    void part.exited.then((code) => {
      if (this.stopping || this.part !== part) return;
      const upMs = this.now() - this.partStartedAt;
      if (upMs >= (this.options.stableMs ?? SUPERVISOR_DEFAULTS.stableMs)) this.failedInARow = 0;
      else if (this.partIsRestart) this.failedInARow++;
      const reason = `exited with code ${code ?? 'null (killed by a signal)'}`;
      this.restarting = this.restart(reason, part.stderrTail?.() ?? []).catch((err: unknown) =>
        this.options.log.error({ part: this.options.name, err }, `${this.options.name}: restart failed`),
      );
    });
  }

  private async restart(firstReason: string, firstStderr: readonly string[]): Promise<void> {
    const { name, log } = this.options;
    const max = this.options.maxRestarts ?? SUPERVISOR_DEFAULTS.maxRestarts;
    let reason = firstReason;
    let stderr = firstStderr;
    while (this.failedInARow < max) {
      const attempt = this.failedInARow + 1;
      const backoffMs = restartBackoffMs(
        this.failedInARow,
        this.options.initialBackoffMs,
        this.options.maxBackoffMs,
      );
      this.current = { state: 'restarting', restarts: this.restarts, attempt, reason };
      log.warn({ part: name, attempt, maxAttempts: max, backoffMs, reason }, `${name} ${reason}; restarting`);
      await this.sleep(backoffMs);
      if (this.stopping) return;
      let part: P;
      try {
        part = await this.options.start();
      } catch (err) {
        reason = `failed to start: ${err instanceof Error ? err.message : String(err)}`;
        stderr = stderrTailOf(err) ?? stderr;
        this.failedInARow++;
        continue;
      }
      // Stopped while it started: nobody else will stop this one.
      if (this.stopping) return part.stop();
      this.restarts++;
      log.warn({ part: name, attempt, restarts: this.restarts }, `${name} restarted`);
      this.watch(part, true);
      return;
    }
    if (this.stopping) return;
    const error = new SupervisorGaveUpError(name, this.failedInARow, reason, stderr, this.options.remedy);
    this.current = { state: 'failed', restarts: this.restarts, reason: error.message };
    log.error({ part: name, failedRestarts: this.failedInARow, stderr }, error.message);
    this.giveUp(error);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }
}

/** The stderr lines a start error carries (e.g. `TemporalCliError`), if any. */
function stderrTailOf(err: unknown): readonly string[] | null {
  const tail = (err as { stderrTail?: unknown } | null)?.stderrTail;
  return Array.isArray(tail) && tail.every((l) => typeof l === 'string') ? tail : null;
}
