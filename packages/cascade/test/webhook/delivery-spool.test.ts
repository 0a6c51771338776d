import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SignalWithStartRequest } from '../../src/webhook/cascade-port.js';
import { TemporalUnavailableError } from '../../src/webhook/cascade-port.js';
import { DeliverySpool, SpoolLockedError } from '../../src/webhook/delivery-spool.js';
import { FakeCascadePort } from './fake-cascade-port.js';

const request = (n: number): SignalWithStartRequest => ({
  workflowType: 'stackDependencyChainWorkflow',
  workflowId: 'estate',
  taskQueue: 'q',
  args: [],
  signalName: 'runStateChanged',
  signalArgs: [{ n }],
});
const numbers = (port: FakeCascadePort) => port.calls.map((c) => (c.signalArgs[0] as { n: number }).n);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spool-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

describe('DeliverySpool', () => {
  it('passes deliveries through while Temporal answers', async () => {
    const port = new FakeCascadePort();
    const spool = await DeliverySpool.open(port, { file: join(dir, 's.jsonl'), maxEntries: 10, retryMs: 10 });
    expect(await spool.signalWithStart(request(1))).toBe('delivered');
    expect(numbers(port)).toEqual([1]);
    await spool.close();
  });

  it('spools to disk while Temporal is unreachable, then replays in order; later ones queue behind', async () => {
    const port = new FakeCascadePort();
    const file = join(dir, 's.jsonl');
    const spool = await DeliverySpool.open(port, { file, maxEntries: 10, retryMs: 20 });
    port.unavailable = true;
    expect(await spool.signalWithStart(request(1))).toBe('spooled');
    expect(await spool.signalWithStart(request(2))).toBe('spooled');
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(2);
    port.unavailable = false;
    // Arrives before the replay: it must not overtake the spooled ones.
    expect(await spool.signalWithStart(request(3))).toBe('spooled');
    await until(() => spool.size === 0);
    expect(numbers(port)).toEqual([1, 2, 3]);
    // The count drops as the replay ends; the emptied file is removed right after.
    await vi.waitFor(() => expect(readFile(file, 'utf8')).rejects.toThrow(/ENOENT/));
    expect(await spool.signalWithStart(request(4))).toBe('delivered');
    await spool.close();
  });

  it('answers 503 (TemporalUnavailableError) only when full', async () => {
    const port = new FakeCascadePort();
    port.unavailable = true;
    const spool = await DeliverySpool.open(port, {
      file: join(dir, 's.jsonl'),
      maxEntries: 2,
      retryMs: 60_000,
    });
    await spool.signalWithStart(request(1));
    await spool.signalWithStart(request(2));
    const err = await spool.signalWithStart(request(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemporalUnavailableError);
    expect((err as Error).message).toContain('the delivery spool is full (2 waiting)');
    await spool.close();
  });

  it('a receiver restarted with deliveries in its spool replays them', async () => {
    const file = join(dir, 's.jsonl');
    const down = new FakeCascadePort();
    down.unavailable = true;
    const first = await DeliverySpool.open(down, { file, maxEntries: 10, retryMs: 60_000 });
    await first.signalWithStart(request(1));
    await first.signalWithStart(request(2));
    await first.close();
    const up = new FakeCascadePort();
    const second = await DeliverySpool.open(up, { file, maxEntries: 10, retryMs: 10 });
    expect(second.size).toBe(2);
    await until(() => second.size === 0);
    expect(numbers(up)).toEqual([1, 2]);
    await second.close();
  });

  it('a delivery Temporal refuses for good is dropped with an error, not retried for ever', async () => {
    const port = new FakeCascadePort();
    port.unavailable = true;
    const errors: string[] = [];
    const log = {
      warn: () => undefined,
      info: () => undefined,
      error: (_: object, msg: string) => errors.push(msg),
    };
    const spool = await DeliverySpool.open(port, {
      file: join(dir, 's.jsonl'),
      maxEntries: 10,
      retryMs: 20,
      log,
    });
    await spool.signalWithStart(request(1));
    await spool.signalWithStart(request(2));
    port.unavailable = false;
    const original = port.signalWithStart.bind(port);
    port.signalWithStart = (r) =>
      (r.signalArgs[0] as { n: number }).n === 1
        ? Promise.reject(new Error('invalid argument'))
        : original(r);
    await until(() => spool.size === 0);
    expect(numbers(port)).toEqual([2]);
    expect(errors).toEqual(['a spooled delivery was refused by Temporal and dropped']);
    await spool.close();
  });

  it('two receivers never share a spool file: the second is refused, naming the file, the pid and the way out', async () => {
    const file = join(dir, 's.jsonl');
    const first = await DeliverySpool.open(new FakeCascadePort(), { file, maxEntries: 10 });
    const err = await DeliverySpool.open(new FakeCascadePort(), { file, maxEntries: 10 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SpoolLockedError);
    const locked = err as SpoolLockedError;
    expect(locked).toMatchObject({ spoolFile: file, file: `${file}.lock`, exitCode: 2 });
    expect(locked.owner.pid).toBe(process.pid);
    expect(locked.message).toContain(
      `The webhook delivery spool ${file} is in use by another receiver (pid ${process.pid}`,
    );
    expect(locked.message).toContain(
      'another data folder (CASCADE_DATA_DIR or --data-dir), or run it on another host',
    );
    await first.close();
    await expect(readFile(`${file}.lock`)).rejects.toThrow(/ENOENT/);
    await (await DeliverySpool.open(new FakeCascadePort(), { file, maxEntries: 10 })).close();
  });

  it("takes over the lock of a receiver that died, and keeps that receiver's deliveries", async () => {
    const file = join(dir, 's.jsonl');
    const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await once(gone, 'exit');
    await writeFile(
      `${file}.lock`,
      JSON.stringify({ pid: gone.pid, startedAt: new Date().toISOString(), command: 'x' }),
    );
    await writeFile(file, `${JSON.stringify(request(7))}\n`);
    const port = new FakeCascadePort();
    const spool = await DeliverySpool.open(port, { file, maxEntries: 10, retryMs: 10 });
    await until(() => spool.size === 0);
    expect(numbers(port)).toEqual([7]);
    await spool.close();
  });
});
