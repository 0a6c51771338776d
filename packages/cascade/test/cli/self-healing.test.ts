import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { processesMentioning, quietPort, spawnCli, type Spawned } from './cli-process.js';

let dir: string;
let emptyEnvFile: string;
const started: Spawned[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cascade-self-healing-'));
  emptyEnvFile = join(dir, 'empty.env');
  await writeFile(emptyEnvFile, '');
});

afterAll(async () => {
  for (const s of started)
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  for (const pid of (await processesMentioning(dir)).map((l) => Number(l.split(':')[0])))
    process.kill(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function start(dataDir: string, temporalPort: number, extraEnv: Record<string, string> = {}) {
  const service = spawnCli(
    ['--env-file', emptyEnvFile, 'start', '--no-demo', '--data-dir', dataDir, '--port', '0'],
    {
      HOST: '127.0.0.1',
      CASCADE_ADMIN_PORT: '0',
      TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(await quietPort()),
      SIMULATOR_PORT: String(await quietPort()),
      SIMULATOR_STATE_DURATION_MS: '20',
      CASCADE_POLL_INTERVAL_MS: '200',
      ...extraEnv,
    },
  );
  started.push(service);
  await service.waitFor(/^spacelift-cascade is ready\. Press Ctrl-C to stop\.$/m, 90_000);
  const webhook = /^Webhook: +(http:\/\/127\.0\.0\.1:\d+)\/webhook$/m.exec(service.stdout())![1]!;
  return { service, webhook };
}

/** SIGKILLs the embedded dev server (the process whose command line names the SQLite file). */
async function killDevServer(dataDir: string): Promise<number> {
  const [line] = await processesMentioning(join(dataDir, 'temporal', 'temporal.sqlite'));
  expect(line, 'the embedded dev server is running').toBeDefined();
  const pid = Number(line!.split(':')[0]);
  process.kill(pid, 'SIGKILL');
  return pid;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the embedded service supervises its Temporal dev server', () => {
  it('restarts a killed dev server on the same SQLite file; /readyz says so meanwhile; cascades go on', async () => {
    const dataDir = join(dir, 'restart');
    const { service, webhook } = await start(dataDir, await quietPort());
    const killed = await killDevServer(dataDir);
    // While it restarts, readiness is 503 and says why; then it is back.
    const during = await fetch(`${webhook}/readyz`);
    expect(during.status).toBe(503);
    await until(async () => (await fetch(`${webhook}/readyz`)).status === 200, 60_000, '/readyz 200 again');
    expect(service.stderr()).toMatch(
      /embedded Temporal dev server exited with code null \(killed by a signal\); restarting/,
    );
    expect(service.stderr()).toMatch(/embedded Temporal dev server restarted/);
    const [again] = await processesMentioning(join(dataDir, 'temporal', 'temporal.sqlite'));
    expect(Number(again!.split(':')[0])).not.toBe(killed);

    // The coordinator (in the same SQLite file) still works: a push cascades.
    const out: string[] = [];
    const code = await runCli(
      ['--env-file', emptyEnvFile, 'trigger', 'network', '--follow', '--data-dir', dataDir],
      {
        env: {},
        out: (line) => out.push(line),
        err: (line) => out.push(line),
        isTty: false,
        stopSignal: new Promise<string>(() => undefined),
      },
    );
    expect([0, 3], out.join('\n')).toContain(code);
    expect(out.join('\n')).toMatch(/^cascade cascade-\S+ from network: (completed|blocked)$/m);

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });

  it('gives up after the configured failed restarts, says what to do, and exits non-zero', async () => {
    const dataDir = join(dir, 'give-up');
    const port = await quietPort();
    const { service } = await start(dataDir, port, { CASCADE_TEMPORAL_MAX_RESTARTS: '1' });
    await killDevServer(dataDir);
    // Something else takes the port at once: the restart cannot listen there.
    const squatter: Server = createServer();
    await until(
      () =>
        new Promise<boolean>((resolve) =>
          squatter.once('error', () => resolve(false)).listen(port, '127.0.0.1', () => resolve(true)),
        ),
      5_000,
      'the freed port',
    );
    try {
      const code = await Promise.race([
        service.exited,
        new Promise((r) => setTimeout(() => r('still running'), 60_000)),
      ]);
      expect(code, service.stderr().slice(-2000)).toBe(1);
      expect(service.stderr()).toMatch(/could not be restarted after 1 attempts/);
      expect(service.stderr()).toMatch(/then start the service again/);
      expect(await processesMentioning(dataDir)).toEqual([]);
    } finally {
      squatter.close();
    }
  });
});
