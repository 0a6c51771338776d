import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  findPortHolder,
  isCascadeCommand,
  isPortHeldByProcessTree,
  startTimeOf,
} from '../../src/service/linux-processes.js';
import { assertPortsFree, PortTakenError, PortUnusableError } from '../../src/service/port-guard.js';

const servers: Server[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A port this test process listens on. */
async function listening(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  servers.push(server);
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

/** A port nobody listens on (picked by the OS, then closed). */
async function unused(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * A child process that runs `script` with `extraArgs` after it (as its argv) and prints the
 * line it writes first, e.g. the port it listens on.
 */
async function child(
  script: string,
  extraArgs: string[] = [],
): Promise<{ child: ChildProcess; line: string }> {
  const proc = spawn(process.execPath, ['-e', script, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  const [chunk] = (await once(proc.stdout, 'data')) as [Buffer];
  return { child: proc, line: chunk.toString().trim().split('\n')[0]! };
}

const LISTEN = `const s = require('node:net').createServer().listen(0, '127.0.0.1', () => console.log(s.address().port));`;

describe('assertPortsFree', () => {
  it('passes for free ports and skips port 0', async () => {
    const port = await unused();
    await expect(
      assertPortsFree([
        { port, host: '127.0.0.1', setting: 'PORT' },
        { port: 0, host: '127.0.0.1', setting: 'CASCADE_ADMIN_PORT' },
      ]),
    ).resolves.toBeUndefined();
  });

  it('reports a port held by a plain server with the setting to change, the hint and the holder', async () => {
    const free = await unused();
    const port = await listening();
    const err = await assertPortsFree([
      { port: free, host: '127.0.0.1', setting: 'TEMPORAL_UI_PORT' },
      {
        port,
        host: '127.0.0.1',
        setting: 'TEMPORAL_PORT',
        hint: 'or set TEMPORAL_ADDRESS to use that server on purpose',
      },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PortTakenError);
    const taken = err as PortTakenError;
    expect(taken.exitCode).toBe(2);
    expect(taken).toMatchObject({ port, host: '127.0.0.1', setting: 'TEMPORAL_PORT' });
    expect(taken.holder).toMatchObject({ pid: process.pid, cascade: null });
    expect(taken.message).toMatch(
      new RegExp(
        `^Port ${port} \\(TEMPORAL_PORT, on 127\\.0\\.0\\.1\\) is already in use by pid ${process.pid} \\(.+\\)\\. ` +
          'Set TEMPORAL_PORT to a free port, or set TEMPORAL_ADDRESS to use that server on purpose\\.$',
      ),
    );
  });

  it('a holder on another address of the same port counts (0.0.0.0 against 127.0.0.1)', async () => {
    const port = await listening('0.0.0.0');
    await expect(assertPortsFree([{ port, host: '127.0.0.1', setting: 'PORT' }])).rejects.toBeInstanceOf(
      PortTakenError,
    );
  });

  it('finds a child process holding the port, with its command line on one line', async () => {
    const { child: proc, line } = await child(LISTEN, ['plain-holder', 'line one\n  line two']);
    const port = Number(line);
    const err = (await assertPortsFree([{ port, host: '127.0.0.1', setting: 'SIMULATOR_PORT' }]).catch(
      (e: unknown) => e,
    )) as PortTakenError;
    expect(err).toBeInstanceOf(PortTakenError);
    expect(err.holder?.pid).toBe(proc.pid);
    expect(err.holder?.command).toContain('plain-holder line one line two'); // one line, for logs
    expect(err.holder?.cascade).toBeNull();
  });

  it('says when the holder belongs to another spacelift-cascade (its parent is one)', async () => {
    // A "spacelift-cascade" whose child (like its embedded Temporal dev server) holds the port.
    const parentScript =
      `const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(LISTEN)}], ` +
      `{ stdio: ['ignore', 'pipe', 'inherit'] }); c.stdout.on('data', (d) => process.stdout.write(c.pid + ' ' + d));` +
      `process.on('SIGTERM', () => { c.kill('SIGKILL'); process.exit(0); });`;
    const { child: cascade, line } = await child(parentScript, [
      '/opt/app/node_modules/.bin/spacelift-cascade',
      'start',
    ]);
    const [grandchildPid, port] = line.split(' ').map(Number) as [number, number];
    try {
      const err = (await assertPortsFree([{ port, host: '127.0.0.1', setting: 'TEMPORAL_PORT' }]).catch(
        (e: unknown) => e,
      )) as PortTakenError;
      expect(err.holder).toMatchObject({ pid: grandchildPid, cascade: { pid: cascade.pid } });
      expect(err.holder?.cascade?.command).toContain('spacelift-cascade start');
      expect(err.message).toContain(
        `by pid ${grandchildPid} (${err.holder!.command}), started by another spacelift-cascade (pid ${cascade.pid}: `,
      );
    } finally {
      cascade.kill('SIGTERM');
      await once(cascade, 'exit');
    }
  });

  it('still names the port and the setting when /proc cannot be read', async () => {
    const port = await listening();
    const err = (await assertPortsFree([{ port, host: '127.0.0.1', setting: 'PORT' }], {
      procRoot: '/nonexistent-proc',
    }).catch((e: unknown) => e)) as PortTakenError;
    expect(err).toBeInstanceOf(PortTakenError);
    expect(err.holder).toBeNull();
    expect(err.message).toBe(`Port ${port} (PORT, on 127.0.0.1) is already in use. Set PORT to a free port.`);
  });

  it('an address this host does not have is a PortUnusableError, not "taken"', async () => {
    const err = await assertPortsFree([{ port: 8000, host: '192.0.2.1', setting: 'HOST' }]).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PortUnusableError);
    expect(err).toMatchObject({ code: 'EADDRNOTAVAIL', exitCode: 2, setting: 'HOST' });
  });
});

describe('linux processes', () => {
  it('recognises spacelift-cascade command lines', () => {
    expect(
      isCascadeCommand(['node', '/usr/lib/node_modules/spacelift-cascade/bin/spacelift-cascade.js']),
    ).toBe(true);
    expect(isCascadeCommand(['/usr/local/bin/spacelift-cascade', 'start'])).toBe(true);
    expect(isCascadeCommand(['npx', 'spacelift-cascade', 'worker'])).toBe(true);
    expect(
      isCascadeCommand(['node', '--import', 'tsx', '/src/repo/packages/cascade/src/cli.ts', 'start']),
    ).toBe(true);
    expect(isCascadeCommand(['node', '/app/packages/cascade/dist/cli.js', 'webhook'])).toBe(true);
    // A clone in a folder named after the project is not a cascade process.
    expect(isCascadeCommand(['node', '/home/me/spacelift-cascade/node_modules/.bin/vitest'])).toBe(false);
    expect(isCascadeCommand(['temporal', 'server', 'start-dev'])).toBe(false);
  });

  it('tells whether a port is held by a process or its descendants', async () => {
    const own = await listening();
    expect(await isPortHeldByProcessTree(own, process.pid)).toBe(true);
    const { child: proc, line } = await child(LISTEN);
    const childs = Number(line);
    expect(await isPortHeldByProcessTree(childs, proc.pid!)).toBe(true);
    expect(await isPortHeldByProcessTree(childs, process.pid)).toBe(true); // our descendant
    expect(await isPortHeldByProcessTree(own, proc.pid!)).toBe(false);
    expect(await isPortHeldByProcessTree(await unused(), process.pid)).toBeNull();
    expect(await isPortHeldByProcessTree(own, process.pid, { procRoot: '/nonexistent-proc' })).toBeNull();
    expect(await findPortHolder(own, { procRoot: '/nonexistent-proc' })).toBeNull();
  });

  it('reads when a process started', async () => {
    const started = await startTimeOf(process.pid);
    const expected = Date.now() - process.uptime() * 1000;
    expect(Math.abs(started! - expected)).toBeLessThan(2_000);
  });
});
