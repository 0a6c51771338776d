import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';

/** What one in-process CLI invocation printed and returned. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/**
 * A sandbox for in-process CLI runs: an empty data folder (no demo.env to join) and an empty
 * env file passed as `--env-file`, so a developer's `.env` or running demo never leaks in.
 */
export interface CliSandbox {
  dataDir: string;
  run(argv: string[], env?: Record<string, string>): Promise<CliResult>;
  /** Everything every run of this sandbox printed, to check secrets never appear. */
  transcript(): string;
  dispose(): Promise<void>;
}

export async function cliSandbox(baseEnv: Record<string, string> = {}): Promise<CliSandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'cascade-cli-test-'));
  const dataDir = join(dir, 'data');
  const envFile = join(dir, 'empty.env');
  await writeFile(envFile, '');
  const all: string[] = [];
  return {
    dataDir,
    async run(argv, env = {}) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(['--env-file', envFile, ...argv], {
        env: { CASCADE_DATA_DIR: dataDir, ...baseEnv, ...env },
        out: (line) => out.push(line),
        err: (line) => err.push(line),
        isTty: false,
        // Only `start`/`webhook`/`worker` wait for it; tests never run those in-process.
        stopSignal: new Promise<string>(() => undefined),
      });
      all.push(...out, ...err);
      return { code, out: out.join('\n'), err: err.join('\n') };
    },
    transcript: () => all.join('\n'),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
