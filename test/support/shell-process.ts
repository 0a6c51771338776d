import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';

/** Commands run the way a user's terminal runs them: `sh -c`, own process group, output captured. */

/** The environment without anything this test run set (vitest's own, ports, CLI settings). */
export function outerEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !/^(VITEST|SPACELIFT_|TEMPORAL_|CASCADE_|SIMULATOR_)/.test(k) &&
        !['PORT', 'HOST', 'LOG_LEVEL', 'NODE_ENV', 'NODE_OPTIONS'].includes(k),
    ),
  );
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
}

export interface ShellRun {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | string>;
}

/** Runs one command line with `sh -c` in its own process group (so the whole group can be stopped). */
export function shell(command: string, cwd: string, env: NodeJS.ProcessEnv): ShellRun {
  const child = spawn('sh', ['-c', command], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close': the shell has exited and so has everything that shared its output (npm, the service).
  const exited = new Promise<number | string>((resolve) =>
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, output: () => output, exited };
}

export async function waitForOutput(run: ShellRun, pattern: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const state: { exit: number | string | null } = { exit: null };
  void run.exited.then((code) => (state.exit = code));
  while (!pattern.test(run.output())) {
    if (state.exit !== null)
      throw new Error(`exited (${state.exit}) before printing ${pattern}:\n${run.output().slice(-6000)}`);
    if (Date.now() > deadline)
      throw new Error(`no ${pattern} after ${timeoutMs} ms:\n${run.output().slice(-6000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Live processes whose command line or working folder is inside `dir` (Linux /proc). */
export async function processesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replace(/\0/g, ' ');
    if (cmdline === '') continue; // gone, or a zombie
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    if (cmdline.includes(dir) || cwd.startsWith(dir)) found.push(`${pid}: ${cmdline}`);
  }
  return found;
}

/** `processesIn(dir)` once they have had up to 10 s to exit. */
export async function processesLeftIn(dir: string): Promise<string[]> {
  let left = await processesIn(dir);
  for (let i = 0; i < 40 && left.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 250));
    left = await processesIn(dir);
  }
  return left;
}

/** Sends `signal` to the process group of `run` (as a terminal's Ctrl-C does); false when it is gone. */
export function signalGroup(run: ShellRun, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-run.child.pid!, signal);
    return true;
  } catch {
    return false;
  }
}
