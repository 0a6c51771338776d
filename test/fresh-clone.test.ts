import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../packages/cascade/src/temporal/dev-server.js';
import { outerEnv, processesLeftIn, shell, waitForOutput } from './support/shell-process.js';

/**
 * Clones what is committed and runs the README's Quick start exactly as written: the promise
 * that a fresh clone works with nothing but Node and the Temporal CLI. The inner `npm test`
 * runs this file too; it skips itself there (CASCADE_FRESH_CLONE_INNER) so it does not recurse.
 */
const INNER = process.env.CASCADE_FRESH_CLONE_INNER === '1';
const REPO = execFileSync('git', ['rev-parse', '--show-toplevel'], {
  cwd: fileURLToPath(new URL('.', import.meta.url)),
  encoding: 'utf8',
}).trim();

/** The commands of the README's "Quick start" code block, one per line. */
function quickStartCommands(readme: string): string[] {
  const section = /^## Quick start\s*$([\s\S]*?)(?=^## )/m.exec(`${readme}\n## `)?.[1] ?? '';
  const block = /^```(?:sh|bash|shell)?\s*$([\s\S]*?)^```\s*$/m.exec(section)?.[1];
  if (block === undefined) throw new Error('README.md has no code block under "## Quick start"');
  return block
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

const isTestStep = (command: string) => /\bnpm (run )?test\b/.test(command);
const isStartStep = (command: string) => /\bnpm (run )?start\b|\bspacelift-cascade start\b/.test(command);

describe.skipIf(INNER)('a fresh clone', () => {
  let dir: string;
  let clone: string;
  let commands: string[];
  const groups: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cascade-fresh-clone-'));
    clone = join(dir, 'repo');
    execFileSync('git', ['clone', '--quiet', REPO, clone]);
    commands = quickStartCommands(await readFile(join(clone, 'README.md'), 'utf8'));
  });

  afterAll(async () => {
    // Only when a step failed halfway: stop whatever it left running.
    for (const pgid of groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the README Quick start installs, starts the demo and runs the tests', () => {
    expect(commands.some(isStartStep), commands.join('\n')).toBe(true);
    expect(commands.some(isTestStep), commands.join('\n')).toBe(true);
  });

  it(
    'runs the README Quick start as written: the demo cascade completes and every test passes',
    async () => {
      for (const command of commands) {
        if (isTestStep(command)) {
          const run = shell(command, clone, outerEnv({ CASCADE_FRESH_CLONE_INNER: '1' }));
          groups.push(run.child.pid!);
          const code = await run.exited;
          const output = run.output();
          expect(code, output.slice(-8000)).toBe(0);
          // Inside, the files that skip themselves there (this one, the cluster, the soak and the
          // spool outage: the outer run on the same machine covers them) are the only skipped ones.
          expect(output).toMatch(/^\s*Test Files\s+\d+ passed \| 4 skipped \(\d+\)$/m);
          expect(output).toMatch(/^\s*Tests\s+\d+ passed \| 5 skipped \(\d+\)$/m);
        } else if (isStartStep(command)) {
          // Free ports: a developer may be running the real thing on the defaults.
          const ports = {
            TEMPORAL_PORT: String(await freePort()),
            TEMPORAL_UI_PORT: String(await freePort()),
            SIMULATOR_PORT: String(await freePort()),
            PORT: String(await freePort()),
            CASCADE_ADMIN_PORT: String(await freePort()),
          };
          const run = shell(command, clone, outerEnv(ports));
          groups.push(run.child.pid!);
          await waitForOutput(run, /^spacelift-cascade is ready\. Press Ctrl-C to stop\.$/m, 8 * 60_000);
          // The public listener on every interface (Spacelift must reach it), the admin side on loopback.
          expect(run.output()).toContain(`Webhook:            http://0.0.0.0:${ports.PORT}/webhook`);
          expect(run.output()).toContain(`Dashboard:          http://127.0.0.1:${ports.CASCADE_ADMIN_PORT}/`);
          await waitForOutput(
            run,
            /^Demo cascade (completed|blocked): \d+ finished, \d+ failed, \d+ blocked of \d+ stacks/m,
            3 * 60_000,
          );

          // As a terminal's Ctrl-C would, signal the whole group: sh and npm die of the signal at once
          // (neither traps it), the service drains and stops (its own exit code: cli-start.test.ts).
          process.kill(-run.child.pid!, 'SIGTERM');
          const ended = await Promise.race([
            run.exited,
            new Promise((r) => setTimeout(() => r('timeout'), 30_000)),
          ]);
          expect(ended, run.output().slice(-4000)).not.toBe('timeout');
          const output = run.output();
          expect(output.indexOf('\nStopped.\n'), output.slice(-4000)).toBeGreaterThan(
            output.indexOf('\nReceived SIGTERM: stopping'),
          );
          expect(output).toContain('\nReceived SIGTERM: stopping');
          expect(run.output()).not.toMatch(/^npm (error|ERR!)/m);
          // Nothing left behind: no service, no Temporal dev server, no demo settings.
          expect(await processesLeftIn(clone)).toEqual([]);
          expect(existsSync(join(clone, '.data', 'demo.env'))).toBe(false);
        } else {
          const run = shell(command, clone, outerEnv({}));
          groups.push(run.child.pid!);
          expect(await run.exited, run.output().slice(-4000)).toBe(0);
        }
      }
    },
    15 * 60_000,
  );
});
