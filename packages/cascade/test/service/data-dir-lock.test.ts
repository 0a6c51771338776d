import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acquireDataDirLock,
  acquirePidLock,
  DataDirLockedError,
  dataDirLockFile,
  LockHeldError,
  runningStartOf,
  type LockOwner,
} from '../../src/service/data-dir-lock.js';

const holderScript = fileURLToPath(new URL('./lock-holder-process.ts', import.meta.url));

let dir: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'data-dir-lock-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** A `start` stand-in in its own process, holding `dataDir`'s lock. */
async function holdInChild(dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', holderScript, dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  expect(chunk.toString()).toBe(`locked ${child.pid}\n`);
  return child;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

const lockText = (owner: Partial<LockOwner>) =>
  JSON.stringify({ startedAt: new Date().toISOString(), command: 'node old-start', ...owner });

describe('data folder lock', () => {
  it('writes pid, start time and command; release removes it', async () => {
    const lock = await acquireDataDirLock(dir);
    const written = JSON.parse(await readFile(join(dir, 'cascade.lock'), 'utf8')) as LockOwner;
    expect(written).toEqual(lock.owner);
    expect(written.pid).toBe(process.pid);
    expect(Date.parse(written.startedAt)).toBeGreaterThan(Date.now() - 10_000);
    expect(written.command).toBe(process.argv.join(' '));
    expect(await runningStartOf(dir)).toEqual(written);
    await lock.release();
    await lock.release(); // twice is harmless
    await expect(readFile(join(dir, 'cascade.lock'))).rejects.toThrow(/ENOENT/);
    expect(await runningStartOf(dir)).toBeNull();
  });

  it('a second start on the folder is refused, naming the first one and the way out', async () => {
    const first = await acquireDataDirLock(dir);
    const err = await acquireDataDirLock(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect(err).toBeInstanceOf(LockHeldError);
    const locked = err as DataDirLockedError;
    expect(locked.exitCode).toBe(2);
    expect(locked.owner.pid).toBe(process.pid);
    expect(locked.file).toBe(dataDirLockFile(dir));
    expect(locked.message).toContain(`in use by another spacelift-cascade start (pid ${process.pid}`);
    expect(locked.message).toContain(
      'Stop that one first, or give this one another folder (CASCADE_DATA_DIR',
    );
    await first.release();
    await (await acquireDataDirLock(dir)).release();
  });

  it('of two starts at once, exactly one gets the folder', async () => {
    const results = await Promise.allSettled([acquireDataDirLock(dir), acquireDataDirLock(dir)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    for (const r of results) if (r.status === 'fulfilled') await r.value.release();
  });

  it('a live start in another process holds the folder until it stops', async () => {
    const child = await holdInChild(dir);
    const err = (await acquireDataDirLock(dir).catch((e: unknown) => e)) as DataDirLockedError;
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect(err.owner.pid).toBe(child.pid);
    expect(err.message).toContain(`pid ${child.pid}`);
    expect((await runningStartOf(dir))?.pid).toBe(child.pid);
    // Stopped cleanly: the lock goes with it.
    child.kill('SIGTERM');
    expect(await once(child, 'exit')).toEqual([0, null]);
    expect(await runningStartOf(dir)).toBeNull();
    await expect(readFile(dataDirLockFile(dir))).rejects.toThrow(/ENOENT/);
    await (await acquireDataDirLock(dir)).release();
  });

  it('the lock of a start that was killed is stale and taken over', async () => {
    const child = await holdInChild(dir);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(JSON.parse(await readFile(dataDirLockFile(dir), 'utf8'))).toMatchObject({ pid: child.pid });
    expect(await runningStartOf(dir)).toBeNull();
    const lock = await acquireDataDirLock(dir);
    expect(JSON.parse(await readFile(dataDirLockFile(dir), 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it('takes over a lock whose pid is gone', async () => {
    await writeFile(dataDirLockFile(dir), lockText({ pid: await deadPid() }));
    const lock = await acquireDataDirLock(dir);
    expect(lock.owner.pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a lock naming this pid that this process does not hold (a restarted container)', async () => {
    await writeFile(dataDirLockFile(dir), lockText({ pid: process.pid }));
    expect(await runningStartOf(dir)).toBeNull();
    await (await acquireDataDirLock(dir)).release();
  });

  it('takes over a lock whose pid now belongs to a process started after it (pid reused)', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    children.push(child);
    await once(child, 'spawn');
    await writeFile(
      dataDirLockFile(dir),
      lockText({ pid: child.pid!, startedAt: '2001-01-01T00:00:00.000Z' }),
    );
    expect(await runningStartOf(dir)).toBeNull();
    await (await acquireDataDirLock(dir)).release();
  });

  it('an empty or garbled lock (its writer died between creating and writing it) is stale', async () => {
    await writeFile(dataDirLockFile(dir), '');
    await (await acquireDataDirLock(dir, { writeGraceMs: 20 })).release();
    await writeFile(dataDirLockFile(dir), '{"pid":');
    await (await acquireDataDirLock(dir, { writeGraceMs: 20 })).release();
  });

  it('a pid that is alive but not ours to signal (EPERM) counts as alive', async () => {
    await writeFile(dataDirLockFile(dir), lockText({ pid: 999_999 }));
    const isAlive = (pid: number) => pid === 999_999;
    await expect(acquireDataDirLock(dir, { isAlive, procRoot: '/nonexistent-proc' })).rejects.toBeInstanceOf(
      DataDirLockedError,
    );
  });

  it('the generic lock builds the error its caller asks for', async () => {
    const file = join(dir, 'thing.lock');
    const lock = await acquirePidLock(
      file,
      (owner) => new LockHeldError(`thing held by ${owner.pid}`, file, owner),
    );
    await expect(
      acquirePidLock(file, (owner) => new LockHeldError(`thing held by ${owner.pid}`, file, owner)),
    ).rejects.toThrow(`thing held by ${process.pid}`);
    await lock.release();
  });
});
