import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

export interface CliExit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI from source with only PATH and `env` set; `exited` resolves once it exits. */
export function spawnCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; exited: Promise<CliExit>; stdout: () => string } {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], {
    env: { PATH: process.env.PATH, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<CliExit>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, exited, stdout: () => stdout };
}

/** Runs the CLI from source to its end. */
export const runCli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliExit> =>
  spawnCli(args, env).exited;
