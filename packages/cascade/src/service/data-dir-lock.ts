import { randomUUID } from 'node:crypto';
import { link, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startTimeOf, type ProcOptions } from './linux-processes.js';

/**
 * Pid lock files: one process at a time owns a resource (a data folder, a spool file). The lock
 * is created exclusively (`open` with `wx`) and holds the owner's pid, start time and command. A
 * lock whose pid is gone (a crash, a kill -9, a container restart) is stale and taken over.
 */

/** What a lock file says about the process holding it. */
export interface LockOwner {
  pid: number;
  /** When it took the lock (ISO 8601). */
  startedAt: string;
  /** Its command line, to recognise it in `ps`. */
  command: string;
}

/** A lock this process holds. */
export interface PidLock {
  file: string;
  owner: LockOwner;
  /** Removes the lock file if it is still ours; safe to call more than once. */
  release(): Promise<void>;
}

/** A live process holds the lock; subclasses say what the lock guards and what to do. */
export class LockHeldError extends Error {
  override readonly name: string = 'LockHeldError';
  /** The CLI exits with this code: a configuration problem, not a crash. */
  readonly exitCode = 2;

  constructor(
    message: string,
    readonly file: string,
    readonly owner: LockOwner,
  ) {
    super(message);
  }
}

/** Other processes kept creating and replacing the lock while this one tried to take it. */
export class LockContendedError extends Error {
  override readonly name = 'LockContendedError';
  readonly exitCode = 2;

  constructor(readonly file: string) {
    super(`Could not take the lock ${file}: other processes keep replacing it. Start one process at a time.`);
  }
}

/** The data folder is in use by a running `start`. */
export class DataDirLockedError extends LockHeldError {
  override readonly name = 'DataDirLockedError';

  constructor(
    readonly dataDir: string,
    file: string,
    owner: LockOwner,
  ) {
    super(
      `The data folder ${dataDir} is in use by another spacelift-cascade start (pid ${owner.pid}, since ` +
        `${owner.startedAt}: ${owner.command}). Stop that one first, or give this one another folder ` +
        `(CASCADE_DATA_DIR or --data-dir). If pid ${owner.pid} is not a spacelift-cascade, delete ${file}.`,
      file,
      owner,
    );
  }
}

export interface PidLockOptions extends ProcOptions {
  /** Whether a pid is alive; default `process.kill(pid, 0)` (EPERM: alive, another user's). */
  isAlive?: (pid: number) => boolean;
  /** How long a lock file may stay empty (its owner is between creating and writing it). */
  writeGraceMs?: number;
}

/** Lock files this process holds: a lock naming our own pid but not in here is from a former life. */
const heldHere = new Set<string>();
const key = (file: string) => resolve(file);

/** Attempts at taking the file; more than one only when another process races for it. */
const MAX_ATTEMPTS = 5;
/** Slack between a process's start time read from /proc (whole seconds of boot time) and a lock's. */
const START_TIME_SLACK_MS = 5_000;

/**
 * Takes the lock `file`, or throws the error `held(owner)` builds when a live process holds it.
 * A stale lock is taken over.
 */
export async function acquirePidLock(
  file: string,
  held: (owner: LockOwner) => LockHeldError,
  options: PidLockOptions = {},
): Promise<PidLock> {
  const owner: LockOwner = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    command: process.argv.join(' '),
  };
  const text = `${JSON.stringify(owner)}\n`;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const handle = await createExclusively(file);
    if (handle) {
      // Ours from here on, even before its content is written: another caller in this process
      // that reads it meanwhile must see it held.
      heldHere.add(key(file));
      try {
        await handle.writeFile(text);
      } catch (err) {
        heldHere.delete(key(file));
        await unlink(file).catch(() => undefined);
        throw err;
      } finally {
        await handle.close();
      }
      return { file, owner, release: () => release(file, text) };
    }
    const found = await readLock(file, options.writeGraceMs ?? 500);
    if (found === null) continue; // removed meanwhile: try again
    if (found.owner && (await isLive(file, found.owner, options))) throw held(found.owner);
    await takeOver(file, found.text);
  }
  throw new LockContendedError(file);
}

/** The live process holding the lock `file`, or null when nobody does (no file, or a stale one). */
async function liveLockOwner(file: string, options: PidLockOptions = {}): Promise<LockOwner | null> {
  const found = await readLock(file, options.writeGraceMs ?? 500);
  return found?.owner && (await isLive(file, found.owner, options)) ? found.owner : null;
}

/** The lock a `start` takes in its data folder. */
export function dataDirLockFile(dataDir: string): string {
  return join(dataDir, 'cascade.lock');
}

/**
 * Takes `<dataDir>/cascade.lock` for a `start`; throws {@link DataDirLockedError} while another
 * live `start` holds it. The folder must exist.
 */
export function acquireDataDirLock(dataDir: string, options: PidLockOptions = {}): Promise<PidLock> {
  const file = dataDirLockFile(dataDir);
  return acquirePidLock(file, (owner) => new DataDirLockedError(dataDir, file, owner), options);
}

/**
 * The `start` running on this data folder, or null. `webhook` and `worker` processes joining a
 * running `start`'s folder use it to tell they are welcome.
 */
export function runningStartOf(dataDir: string, options: PidLockOptions = {}): Promise<LockOwner | null> {
  return liveLockOwner(dataDirLockFile(dataDir), options);
}

/** The new file, open for writing; null when it exists already. */
async function createExclusively(file: string): Promise<FileHandle | null> {
  try {
    return await open(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw err;
  }
}

/** The lock's text and owner (null owner: unreadable even after the grace); null if no file. */
async function readLock(
  file: string,
  graceMs: number,
): Promise<{ text: string; owner: LockOwner | null } | null> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const owner = parseOwner(text);
    if (owner || Date.now() >= deadline) return { text, owner };
    await new Promise((r) => setTimeout(r, 20));
  }
}

function parseOwner(text: string): LockOwner | null {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && Number.isInteger(value.pid) && value.pid > 0) {
      return {
        pid: value.pid,
        startedAt: String(value.startedAt ?? ''),
        command: String(value.command ?? ''),
      };
    }
  } catch {
    // Half written or not ours: stale.
  }
  return null;
}

async function isLive(file: string, owner: LockOwner, options: PidLockOptions): Promise<boolean> {
  // Our own pid: a lock we hold, or one left by an earlier process that had our pid (a restarted
  // container numbers its processes the same way again).
  if (owner.pid === process.pid) return heldHere.has(key(file));
  if (!(options.isAlive ?? pidIsAlive)(owner.pid)) return false;
  // A process that started after the lock was written cannot have written it: the pid was reused.
  const started = await startTimeOf(owner.pid, options);
  const locked = Date.parse(owner.startedAt);
  return started === null || Number.isNaN(locked) || started <= locked + START_TIME_SLACK_MS;
}

function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves a stale lock aside. Renaming is atomic, so of two processes taking over the same stale
 * lock, one moves it and the other finds it gone; if what was moved is not the stale lock seen
 * (another process took it over meanwhile), it is put back.
 */
async function takeOver(file: string, staleText: string): Promise<void> {
  const aside = `${file}.stale-${randomUUID()}`;
  try {
    await rename(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    if ((await readFile(aside, 'utf8')) !== staleText) await link(aside, file).catch(() => undefined);
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

async function release(file: string, text: string): Promise<void> {
  if (!heldHere.delete(key(file))) return;
  // Only our own lock: never remove one another process took over after deciding ours was stale.
  if ((await readFile(file, 'utf8').catch(() => null)) === text) await unlink(file).catch(() => undefined);
}
