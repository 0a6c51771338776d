import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../packages/cascade/src/temporal/dev-server.js';
import {
  outerEnv,
  processesLeftIn,
  shell,
  signalGroup,
  waitForOutput,
  type ShellRun,
} from './support/shell-process.js';

/**
 * The three packages as npm users get them: packed into tarballs, installed into an empty folder
 * (their dependencies from the registry), and run there with `npx`, away from the workspace
 * (no "source" condition, no tsx, no devDependencies). Also: the same commands in the repository.
 */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = {
  client: 'spacelift-client',
  simulator: 'spacelift-simulator',
  cascade: 'spacelift-cascade',
} as const;
const FOLDERS = Object.keys(PACKAGES) as (keyof typeof PACKAGES)[];
const run = promisify(execFile);

/** This Node satisfies the root `engines` (`>=X.Y`): npm must not warn EBADENGINE then. */
async function nodeIsSupported(): Promise<boolean> {
  const range = (
    JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } }
  ).engines.node;
  const [, major, minor] = /^>=(\d+)\.(\d+)$/.exec(range)!.map(Number) as [number, number, number];
  const [nodeMajor, nodeMinor] = process.versions.node.split('.').map(Number) as [number, number];
  return nodeMajor > major || (nodeMajor === major && nodeMinor >= minor);
}

const SUPPORTED_NODE = await nodeIsSupported();

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** `npm run build` unless every package's dist is newer than its sources (.ci/run builds first). */
async function ensureBuilt(): Promise<void> {
  const stale = FOLDERS.some((folder) => {
    const entry = join(REPO, 'packages', folder, 'dist', 'index.js');
    return !existsSync(entry) || statSync(entry).mtimeMs < newestMtime(join(REPO, 'packages', folder, 'src'));
  });
  if (stale) await run('npm', ['run', 'build'], { cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
}

/** Children run on this test's Node (first on PATH), with none of this run's settings. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = outerEnv(extra);
  // The installed service finds the Temporal CLI by TEMPORAL_CLI_PATH or PATH, as a user's would.
  if (process.env.TEMPORAL_CLI_PATH) env.TEMPORAL_CLI_PATH = process.env.TEMPORAL_CLI_PATH;
  env.PATH = `${dirname(process.execPath)}:${env.PATH ?? ''}`;
  return env;
}

/** Stops a service as a terminal's Ctrl-C would (its whole process group) and waits for its output to close. */
async function stop(service: ShellRun): Promise<number | string> {
  signalGroup(service, 'SIGTERM');
  return Promise.race([service.exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 30_000))]);
}

interface PackResult {
  filename: string;
  files: { path: string }[];
}

describe('the packages installed from their tarballs', () => {
  let dir: string;
  let app: string;
  const tarballs: Record<string, PackResult> = {};
  let installOutput = '';
  const services: ShellRun[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'cascade-packages-'));
    // Pack copies (same layout, for the pack scripts' ../../scripts): packing rewrites package.json
    // for a moment, which tests running from the workspace's sources must not see.
    const stage = join(dir, 'stage');
    await mkdir(join(stage, 'scripts'), { recursive: true });
    await cp(join(REPO, 'scripts', 'pack-manifest.mjs'), join(stage, 'scripts', 'pack-manifest.mjs'));
    for (const folder of FOLDERS) {
      const to = join(stage, 'packages', folder);
      await cp(join(REPO, 'packages', folder), to, {
        recursive: true,
        filter: (source) => !/[/\\](node_modules|\.package\.json\.prepack)$/.test(source),
      });
      const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
        cwd: to,
        env: userEnv(),
      });
      const [result] = JSON.parse(stdout) as [PackResult];
      tarballs[PACKAGES[folder]] = result;
    }

    app = join(dir, 'app');
    await mkdir(app);
    await writeFile(
      join(app, 'package.json'),
      '{ "name": "my-platform", "private": true, "type": "module" }\n',
    );
    const files = Object.values(tarballs).map((t) => join(dir, t.filename));
    const { stdout, stderr } = await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', ...files],
      { cwd: app, env: userEnv(), maxBuffer: 64 * 1024 * 1024 },
    );
    installOutput = stdout + stderr;
  }, 8 * 60_000);

  afterAll(async () => {
    for (const service of services) signalGroup(service, 'SIGKILL'); // only if a test failed halfway
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ship their built code, bins, README, seed and schema files, without the "source" condition', async () => {
    const shipped = (name: string) => tarballs[name]!.files.map((f) => f.path);
    for (const name of Object.values(PACKAGES)) {
      expect(shipped(name)).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js']));
      expect(shipped(name).filter((path) => path.startsWith('src/') || path.startsWith('test/'))).toEqual([]);
      const manifest = await readFile(join(app, 'node_modules', name, 'package.json'), 'utf8');
      expect(manifest).not.toMatch(/"source"/);
      expect((JSON.parse(manifest) as { engines?: { node?: string } }).engines?.node).toMatch(/^>=\d+\.\d+$/);
    }
    expect(shipped('spacelift-client')).toContain('schema.graphql');
    expect(shipped('spacelift-simulator')).toContain('simulator-extension.graphql');
    expect(shipped('spacelift-cascade')).toEqual(
      // The workflow bundle made at build time: the installed worker loads it, not webpack.
      expect.arrayContaining(['seeds/demo-seed.json', 'dist/workflows/index.js', 'dist/workflow-bundle.js']),
    );
    for (const [name, bin] of [
      ['spacelift-cascade', 'bin/spacelift-cascade.js'],
      ['spacelift-simulator', 'bin/spacelift-simulator.js'],
    ] as const) {
      expect(shipped(name)).toEqual(expect.arrayContaining([bin, 'dist/cli.js']));
      expect(await realpath(join(app, 'node_modules', '.bin', name))).toBe(
        await realpath(join(app, 'node_modules', name, bin)),
      );
      for (const file of [bin, 'dist/cli.js'])
        expect(await readFile(join(app, 'node_modules', name, file), 'utf8')).toMatch(
          /^#!\/usr\/bin\/env node\n/,
        );
    }
  });

  it.runIf(SUPPORTED_NODE)('install with no EBADENGINE warning on a supported Node', () => {
    expect(installOutput).not.toMatch(/EBADENGINE/);
  });

  it('`npx spacelift-cascade --help` and `npx spacelift-simulator --help` print their usage', async () => {
    for (const name of ['spacelift-cascade', 'spacelift-simulator']) {
      // `--no`: never fetch a package of that name from the registry; `--`: the rest is the command's.
      const { stdout } = await run('npx', ['--no', '--', name, '--help'], { cwd: app, env: userEnv() });
      expect(stdout).toContain(`Usage: ${name} [options]`);
    }
  });

  it('`npx spacelift-simulator --port 0` serves; a script uses spacelift-client and MockSpacelift', async () => {
    const key = { SPACELIFT_KEY_ID: 'USER', SPACELIFT_KEY_SECRET: 'user-secret' };
    const refused = shell('npx --no -- spacelift-simulator --port 0', app, userEnv());
    expect(await refused.exited).toBe(2);
    expect(refused.output()).toContain('no API key: pass --api-key ID:SECRET[:NAME] or set SPACELIFT_KEY_ID');

    const simulator = shell(
      'npx --no -- spacelift-simulator --port 0 --seed node_modules/spacelift-cascade/seeds/demo-seed.json',
      app,
      userEnv(key),
    );
    services.push(simulator);
    await waitForOutput(
      simulator,
      /^Spacelift simulator listening on http:\/\/127\.0\.0\.1:\d+\/graphql$/m,
      60_000,
    );
    const baseUrl = /listening on (http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(simulator.output())![1]!;

    await writeFile(
      join(app, 'use-packages.js'),
      `import { Spacelift, SpaceliftNotFoundError } from 'spacelift-client';
import { MockSpacelift } from 'spacelift-simulator/testing';

// A unit test's view: MockSpacelift is a Spacelift, in memory.
const mock = new MockSpacelift({ seed: { stacks: [{ id: 'network' }, { id: 'app', labels: ['dependsOn:network'] }] } });
const run = await mock.triggerRun('network');
mock.finishRun('network', run.id);
const mockRun = await mock.getRun('network', run.id);

// The real client, configured by SPACELIFT_BASE_URL, SPACELIFT_KEY_ID and SPACELIFT_KEY_SECRET.
const spacelift = new Spacelift();
const dependents = await spacelift.searchStacks({ labels: ['dependsOn:network'] });
const triggered = await spacelift.triggerRun('docs');
console.log(JSON.stringify({
  mockIsSpacelift: mock instanceof Spacelift,
  mockRunState: mockRun.state,
  dependents: dependents.map((s) => s.id).sort(),
  triggered: (await spacelift.getRun('docs', triggered.id)).id === triggered.id,
  notFound: typeof SpaceliftNotFoundError,
}));
`,
    );
    const { stdout } = await run('node', ['use-packages.js'], {
      cwd: app,
      env: userEnv({ ...key, SPACELIFT_BASE_URL: baseUrl }),
    });
    expect(JSON.parse(stdout)).toEqual({
      mockIsSpacelift: true,
      mockRunState: 'FINISHED',
      dependents: ['cache', 'cluster', 'database', 'dns'],
      triggered: true,
      notFound: 'function',
    });

    expect(await stop(simulator)).not.toBe('timeout');
    expect(await processesLeftIn(app)).toEqual([]);
  });

  it('`npx spacelift-cascade start` runs the demo from the install and stops on SIGTERM', async () => {
    const env = userEnv({
      PORT: String(await freePort()),
      // Never the default 8001 a developer's own service may hold.
      CASCADE_ADMIN_PORT: String(await freePort()),
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      SIMULATOR_PORT: String(await freePort()),
      CASCADE_DATA_DIR: join(app, 'cascade-data'),
    });
    const service = shell('npx --no -- spacelift-cascade start', app, env);
    services.push(service);
    await waitForOutput(service, /^spacelift-cascade is ready\. Press Ctrl-C to stop\.$/m, 4 * 60_000);
    // The banner names the address bound: all interfaces, the default HOST.
    expect(service.output()).toContain(`Webhook:            http://0.0.0.0:${env.PORT}/webhook`);
    expect(service.output()).toContain(`Data folder:        ${join(app, 'cascade-data')}`);
    await waitForOutput(service, /^Demo cascade .*\n/m, 4 * 60_000);
    // The dashboard's page and files ship in the package (its own tests cover what it shows); it
    // is on the admin listener.
    if (existsSync(join(REPO, 'packages', 'cascade', 'dashboard'))) {
      const page = await fetch(`http://127.0.0.1:${env.CASCADE_ADMIN_PORT}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    }

    expect(await stop(service), service.output().slice(-4000)).not.toBe('timeout');
    const output = service.output();
    expect(output).toContain('\nReceived SIGTERM: stopping');
    expect(output.indexOf('\nStopped.\n'), output.slice(-4000)).toBeGreaterThan(
      output.indexOf('\nReceived SIGTERM: stopping'),
    );
    expect(output).not.toMatch(/^npm (error|ERR!)/m);
    // Nothing left behind: no service, no Temporal dev server.
    expect(await processesLeftIn(app)).toEqual([]);
  });
});

describe('the commands in the repository (after npm ci and npm run build)', () => {
  it('node_modules/.bin links both commands, and `npx` runs them', async () => {
    await ensureBuilt();
    for (const [name, folder] of [
      ['spacelift-cascade', 'cascade'],
      ['spacelift-simulator', 'simulator'],
    ] as const) {
      const link = join(REPO, 'node_modules', '.bin', name);
      expect(existsSync(link), `${link} is missing: run npm ci`).toBe(true);
      expect(await realpath(link)).toBe(await realpath(join(REPO, 'packages', folder, 'bin', `${name}.js`)));
      const { stdout } = await run('npx', ['--no', '--', name, '--help'], { cwd: REPO, env: userEnv() });
      expect(stdout).toContain(`Usage: ${name} [options]`);
    }
  });
});
