import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  restartBackoffMs,
  Supervisor,
  SupervisorGaveUpError,
  type SupervisedPart,
  type SupervisorOptions,
} from '../../src/service/supervisor.js';

/** A part whose exit the test decides. */
class FakePart implements SupervisedPart {
  readonly exited: Promise<number | null>;
  stopped = false;
  private resolveExit!: (code: number | null) => void;

  constructor(private readonly stderr: string[] = []) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  exit(code: number | null): void {
    this.resolveExit(code);
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.exit(0);
    return Promise.resolve();
  }

  stderrTail(): string[] {
    return this.stderr;
  }
}

interface Logged {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
}

function recordingLog(into: Logged[]): SupervisorOptions<FakePart>['log'] {
  const push = (level: Logged['level']) => (obj: object, msg: string) =>
    into.push({ level, obj: obj as Record<string, unknown>, msg });
  return { info: push('info'), warn: push('warn'), error: push('error') };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 1));
}

/** A supervisor over fake parts: `parts` lists every part started, the first one first. */
function supervise(overrides: Partial<SupervisorOptions<FakePart>> = {}) {
  const parts: FakePart[] = [];
  const logs: Logged[] = [];
  const supervisor = new Supervisor<FakePart>({
    name: 'fake part',
    start: () => {
      const part = new FakePart([`stderr of start ${parts.length + 1}`]);
      parts.push(part);
      return Promise.resolve(part);
    },
    log: recordingLog(logs),
    maxRestarts: 3,
    stableMs: 1_000,
    initialBackoffMs: 1,
    maxBackoffMs: 3,
    remedy: 'Free the port, then start again.',
    ...overrides,
  });
  return { supervisor, parts, logs };
}

describe('restartBackoffMs', () => {
  it('waits 0.5 s, 1 s, 2 s, 4 s, 8 s by default, doubling up to 30 s', () => {
    expect([0, 1, 2, 3, 4].map((n) => restartBackoffMs(n))).toEqual([500, 1_000, 2_000, 4_000, 8_000]);
    expect(restartBackoffMs(6)).toBe(30_000);
    expect(restartBackoffMs(40)).toBe(30_000);
  });
});

describe('Supervisor', () => {
  it('restarts a part that exits, and stays running when the restart holds', async () => {
    const { supervisor, parts, logs } = supervise({ initialBackoffMs: 50 });
    await supervisor.start();
    parts[0]!.exit(null);
    await until(() => supervisor.state.state === 'restarting');
    expect(supervisor.state).toMatchObject({ state: 'restarting', attempt: 1 });
    await until(() => parts.length === 2);
    await until(() => supervisor.state.state === 'running');
    expect(supervisor.state).toEqual({ state: 'running', restarts: 1 });
    expect(logs.map((l) => l.msg)).toEqual([
      'fake part exited with code null (killed by a signal); restarting',
      'fake part restarted',
    ]);
    await supervisor.stop();
    expect(parts[1]!.stopped).toBe(true);
  });

  it('gives up after maxRestarts restarts in a row that do not stay up, with growing backoff and the last stderr lines', async () => {
    const { supervisor, parts, logs } = supervise();
    await supervisor.start();
    // Every restarted part dies at once, as a dev server whose port is taken does.
    const dieAtOnce = setInterval(() => parts.slice(1).forEach((p) => p.exit(1)), 1);
    parts[0]!.exit(1);
    const err = await supervisor.failed.catch((e: unknown) => e);
    clearInterval(dieAtOnce);
    expect(err).toBeInstanceOf(SupervisorGaveUpError);
    const gaveUp = err as SupervisorGaveUpError;
    expect(gaveUp.part).toBe('fake part');
    expect(gaveUp.failedRestarts).toBe(3);
    expect(gaveUp.stderrTail).toEqual(['stderr of start 4']);
    expect(gaveUp.message).toBe(
      'fake part could not be restarted after 3 attempts (exited with code 1). Free the port, then start again.\n' +
        'Its last stderr lines:\n  stderr of start 4',
    );
    expect(parts).toHaveLength(4); // the first start and three restarts, no more
    expect(logs.filter((l) => l.msg.endsWith('; restarting')).map((l) => l.obj.backoffMs)).toEqual([1, 2, 3]);
    expect(supervisor.state).toMatchObject({ state: 'failed', reason: gaveUp.message });
  });

  it('counts a start that throws as a failed restart and shows the stderr lines its error carries', async () => {
    let starts = 0;
    const failure = Object.assign(new Error('port 7233 is taken'), { stderrTail: ['Error: bind: in use'] });
    const { supervisor, parts } = supervise({
      maxRestarts: 2,
      start: () => {
        starts++;
        if (starts > 1) return Promise.reject(failure);
        const part = new FakePart();
        parts.push(part);
        return Promise.resolve(part);
      },
    });
    await supervisor.start();
    parts[0]!.exit(1);
    const err = (await supervisor.failed.catch((e: unknown) => e)) as SupervisorGaveUpError;
    expect(starts).toBe(3);
    expect(err.failedRestarts).toBe(2);
    expect(err.lastFailure).toBe('failed to start: port 7233 is taken');
    expect(err.stderrTail).toEqual(['Error: bind: in use']);
  });

  it('a restart that stays up stableMs starts a new series of attempts', async () => {
    let now = 0;
    const { supervisor, parts } = supervise({ maxRestarts: 2, now: () => now });
    let gaveUp = false;
    supervisor.failed.catch(() => (gaveUp = true));
    await supervisor.start();
    parts[0]!.exit(1);
    await until(() => parts.length === 2);
    parts[1]!.exit(1); // failed restart 1 of 2
    await until(() => parts.length === 3);
    now += 1_000; // part 3 stays up long enough: the series is over
    parts[2]!.exit(1);
    await until(() => parts.length === 4);
    parts[3]!.exit(1); // failed restart 1 of 2 again
    await until(() => parts.length === 5);
    await new Promise((r) => setTimeout(r, 10));
    expect(gaveUp).toBe(false);
    parts[4]!.exit(1); // failed restart 2 of 2
    await expect(supervisor.failed).rejects.toThrow('could not be restarted after 2 attempts');
    expect(parts).toHaveLength(5);
  });

  it('the first part exiting early is not a failed restart', async () => {
    const { supervisor, parts } = supervise({ maxRestarts: 1 });
    await supervisor.start();
    parts[0]!.exit(1);
    await until(() => supervisor.state.state === 'running' && parts.length === 2);
    expect(supervisor.state).toEqual({ state: 'running', restarts: 1 });
    await supervisor.stop();
  });

  it('stop cuts a backoff short and restarts nothing', async () => {
    const { supervisor, parts } = supervise({ initialBackoffMs: 60_000, maxBackoffMs: 60_000 });
    await supervisor.start();
    parts[0]!.exit(1);
    const started = Date.now();
    await supervisor.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    await new Promise((r) => setTimeout(r, 10));
    expect(parts).toHaveLength(1);
  });

  it('stop while a restart is starting stops the part it started', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let waiting = false;
    const parts: FakePart[] = [];
    const { supervisor } = supervise({
      start: async () => {
        if (parts.length > 0) {
          waiting = true;
          await gate;
        }
        const part = new FakePart();
        parts.push(part);
        return part;
      },
    });
    await supervisor.start();
    parts[0]!.exit(1);
    await until(() => waiting); // the restart is under way
    const stopping = supervisor.stop();
    release();
    await stopping;
    expect(parts).toHaveLength(2);
    expect(parts[1]!.stopped).toBe(true);
  });

  describe('after many restarts', () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    beforeEach(() => process.on('warning', onWarning));
    afterEach(() => process.off('warning', onWarning));

    it('leaks no listeners (no MaxListenersExceededWarning)', async () => {
      let now = 0;
      const before = ['exit', 'warning', 'SIGTERM', 'SIGINT'].map((e) => process.listenerCount(e));
      const { supervisor, parts } = supervise({ initialBackoffMs: 0, now: () => now });
      await supervisor.start();
      for (let i = 0; i < 40; i++) {
        now += 1_000; // each one stayed up: never gives up
        parts[i]!.exit(1);
        await until(() => parts.length === i + 2);
      }
      await supervisor.stop();
      expect(['exit', 'warning', 'SIGTERM', 'SIGINT'].map((e) => process.listenerCount(e))).toEqual(before);
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    });
  });
});
