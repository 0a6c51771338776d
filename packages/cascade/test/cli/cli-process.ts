import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository root (the CLI resolves `tsx` and the demo seed from there). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** The environment without any setting the CLI reads, so a developer's shell never leaks in. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !/^(SPACELIFT_|TEMPORAL_|CASCADE_|SIMULATOR_)/.test(k) && !['PORT', 'HOST', 'LOG_LEVEL'].includes(k),
    ),
  );
  return { ...env, ...extra };
}

/** A spawned process whose output is collected as it comes. */
export interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves to the first stdout match of `pattern`; rejects if the process exits or time runs out. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** Resolves to the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
}

export function track(child: ChildProcess): Spawned {
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    notify();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  let exitValue: number | string | null = null;
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      exitValue = code ?? signal ?? 'unknown';
      notify();
      resolve(exitValue);
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(out);
          if (match) return done(() => resolve(match));
          if (exitValue !== null)
            return done(() =>
              reject(
                new Error(`exited (${exitValue}) before printing ${pattern}:\n${out}\n${err.slice(-4000)}`),
              ),
            );
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(new Error(`no ${pattern} after ${timeoutMs} ms:\n${out}\n${err.slice(-4000)}`)),
            ),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      }),
  };
}

/** Runs the CLI from source as a real process, in the repository root. */
export function spawnCli(args: string[], env: Record<string, string>): Spawned {
  return track(
    spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], {
      cwd: REPO_ROOT,
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** Command lines of live processes that mention `text` (Linux /proc). */
export async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    if (Number(pid) === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) found.push(`${pid}: ${cmdline.replace(/\0/g, ' ')}`);
  }
  return found;
}

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

const handedOut = new Set<number>();

/**
 * A free port below the OS's ephemeral range. `freePort()` answers from that range, and so does
 * every outgoing connection, so with the whole suite running in parallel such a port is often
 * taken again between picking and listening; ports below the range are not handed out by anyone.
 */
export async function quietPort(): Promise<number> {
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768 60999');
  const low = Math.max(20_100, Number(range.trim().split(/\s+/)[0]));
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * (low - 20_000));
    if (!handedOut.has(port) && (await canListen(port))) {
      handedOut.add(port);
      return port;
    }
  }
}

/** The settings naming every port `start` listens on in demo mode, each a quiet port, as env values. */
export async function quietServicePorts(): Promise<
  Record<'PORT' | 'CASCADE_ADMIN_PORT' | 'TEMPORAL_PORT' | 'TEMPORAL_UI_PORT' | 'SIMULATOR_PORT', string>
> {
  return {
    PORT: String(await quietPort()),
    CASCADE_ADMIN_PORT: String(await quietPort()),
    TEMPORAL_PORT: String(await quietPort()),
    TEMPORAL_UI_PORT: String(await quietPort()),
    SIMULATOR_PORT: String(await quietPort()),
  };
}
