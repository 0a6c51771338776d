import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_USAGE } from '../../src/cli/program.js';
import { cliSandbox, type CliSandbox } from './cli-harness.js';
import { REPO_ROOT } from './cli-process.js';

// Usage errors never reach Spacelift or Temporal, so these run without either.
let cli: CliSandbox;
beforeAll(async () => {
  cli = await cliSandbox();
});
afterAll(async () => {
  await cli.dispose();
});

const COMMANDS = [
  'start',
  'webhook',
  'worker',
  'graph',
  'plan',
  'trigger',
  'cascades',
  'cascades list',
  'cascades status',
  'cascades cancel',
];

describe('help', () => {
  it('--help on the program lists every command and exits 0', async () => {
    const { code, out } = await cli.run(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: spacelift-cascade /);
    for (const name of ['start', 'webhook', 'worker', 'graph', 'plan', 'trigger', 'cascades'])
      expect(out).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it('start --help names the settings a user changes first', async () => {
    const { code, out } = await cli.run(['start', '--help']);
    expect(code).toBe(0);
    for (const setting of [
      'TEMPORAL_PORT',
      'TEMPORAL_UI_PORT',
      'SIMULATOR_PORT',
      'CASCADE_ADMIN_PORT',
      'CASCADE_DATA_DIR',
      '--data-dir',
      'TEMPORAL_ADDRESS',
    ])
      expect(out).toContain(setting);
    expect(out).toMatch(/^ {2}TEMPORAL_PORT +the embedded Temporal's gRPC port \(default 7233\)/m);
    expect(out).toMatch(/^ {2}SIMULATOR_PORT +the demo's Spacelift simulator \(default 4000\)/m);
    expect(out).toMatch(/^ {2}CASCADE_ADMIN_PORT +dashboard, .*\(default 8001,/m);
    expect(out).toMatch(/^ {2}CASCADE_DATA_DIR +the data folder \(default \.data\)/m);
    // Fits a terminal, like commander's own text.
    for (const line of out.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it.each([['--version'], ['-V']])('%s prints the package version and exits 0', async (flag) => {
    const { version } = JSON.parse(
      await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(await cli.run([flag])).toEqual({ code: 0, out: version, err: '' });
  });

  it.each(COMMANDS)('%s --help exits 0 and shows that command', async (command) => {
    const { code, out, err } = await cli.run([...command.split(' '), '--help']);
    expect(code).toBe(0);
    expect(err).toBe('');
    expect(out).toContain(`Usage: spacelift-cascade ${command} `);
  });
});

describe('usage errors exit 2 and say what was wrong', () => {
  it('an unknown flag', async () => {
    const { code, err } = await cli.run(['graph', '--colour']);
    expect(code).toBe(EXIT_USAGE);
    expect(err).toContain("unknown option '--colour'");
    expect(err).toContain('(run with --help for usage)');
  });

  it('an unknown command', async () => {
    const { code, err } = await cli.run(['deploy']);
    expect(code).toBe(EXIT_USAGE);
    expect(err).toContain("unknown command 'deploy'");
  });

  it('a missing argument', async () => {
    const { code, err } = await cli.run(['plan']);
    expect(code).toBe(EXIT_USAGE);
    expect(err).toContain("missing required argument 'stack-id'");
  });

  it.each([
    [['cascades', 'list', '--limit', '0'], '--limit must be a whole number of at least 1'],
    [['cascades', 'list', '--limit', 'ten'], '--limit must be a whole number of at least 1'],
    [['graph', '--format', 'png'], 'Allowed choices are tree, mermaid, dot, json'],
    [['start', '--port', '99999'], 'must be a port number (0-65535)'],
    [['webhook', '--port', '-1'], 'must be a port number (0-65535)'],
  ])('bad value: %j', async (argv, message) => {
    const { code, out, err } = await cli.run(argv);
    expect(code).toBe(EXIT_USAGE);
    expect(err).toContain(message);
    expect(out).toBe('');
  });

  it('--env-file naming a missing file', async () => {
    const { code, err } = await cli.run(['--env-file', '/nonexistent/cascade.env', 'graph']);
    expect(code).toBe(EXIT_USAGE);
    expect(err).toContain('--env-file /nonexistent/cascade.env: no such file');
  });
});

describe('configuration errors exit 2 and list every problem at once', () => {
  it.each(['graph', 'plan network', 'trigger network', 'cascades list', 'worker'])('%s', async (command) => {
    const argv = command.split(' ');
    const { code, out, err } = await cli.run(argv, {
      CASCADE_MAX_PARALLEL: 'x',
      TEMPORAL_ADDRESS: 'bad',
      CASCADE_RUN_TYPE: 'SOMETIMES',
    });
    expect(code).toBe(EXIT_USAGE);
    expect(out).toBe('');
    expect(err).toContain('Invalid configuration:');
    expect(err).toContain('CASCADE_MAX_PARALLEL must be a whole number');
    expect(err).toContain('TEMPORAL_ADDRESS must be host:port, e.g. my-ns.a1b2c.tmprl.cloud:7233');
    expect(err).toContain('CASCADE_RUN_TYPE must be TRACKED or PROPOSED');
    expect(err.match(/^ {2}- /gm)).toHaveLength(3);
  });

  it('some but not all Spacelift variables: names the missing ones', async () => {
    const { code, err } = await cli.run(['graph'], { SPACELIFT_BASE_URL: 'https://acme.app.spacelift.io' });
    expect(code).toBe(EXIT_USAGE);
    expect(err).toContain(
      'SPACELIFT_KEY_ID, SPACELIFT_KEY_SECRET not set: set all three Spacelift variables',
    );
  });

  it.each(['graph', 'plan network', 'trigger network --follow', 'worker'])(
    'no Spacelift credentials and no running demo: %s says what to do',
    async (command) => {
      const { code, err } = await cli.run(command.split(' '), { TEMPORAL_ADDRESS: '127.0.0.1:1' });
      expect(code).toBe(EXIT_USAGE);
      expect(err).toContain('SPACELIFT_BASE_URL, SPACELIFT_KEY_ID and SPACELIFT_KEY_SECRET are not set');
      expect(err).toContain(`no ${cli.dataDir}/demo.env`);
      expect(err).toContain('run `spacelift-cascade start` in another terminal first');
    },
  );

  it('webhook without SPACELIFT_WEBHOOK_SECRET explains both ways out', async () => {
    const { code, err } = await cli.run(['webhook'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(code).toBe(EXIT_USAGE);
    expect(err).toContain('SPACELIFT_WEBHOOK_SECRET is not set');
    expect(err).toContain('CASCADE_ALLOW_UNSIGNED_WEBHOOKS=true');
  });
});

describe('secrets never appear in output', () => {
  const SECRET = 'sekr1t-0123456789abcdef';

  it.each([
    // The secret as a well-formed value beside other problems.
    [
      ['graph'],
      {
        SPACELIFT_BASE_URL: 'ftp://acme',
        SPACELIFT_KEY_ID: 'key',
        SPACELIFT_KEY_SECRET: SECRET,
        SPACELIFT_WEBHOOK_SECRET: SECRET,
        PORT: 'eighty',
      },
    ],
    // The secret pasted into the wrong variables: errors name variables, never echo values.
    [
      ['webhook'],
      {
        SPACELIFT_KEY_SECRET: SECRET,
        TEMPORAL_ADDRESS: SECRET,
        CASCADE_MAX_PARALLEL: SECRET,
        CASCADE_RUN_TYPE: SECRET,
        CASCADE_RUN_URL_BASE: SECRET,
        LOG_LEVEL: SECRET,
        PORT: SECRET,
        CASCADE_ALLOW_UNSIGNED_WEBHOOKS: SECRET,
      },
    ],
    // A command-line mistake beside secrets in the environment.
    [
      ['cascades', 'list', '--limit', '0'],
      { SPACELIFT_KEY_SECRET: SECRET, SPACELIFT_WEBHOOK_SECRET: SECRET },
    ],
  ])('%j', async (argv, env) => {
    const { code, out, err } = await cli.run(argv, env);
    expect(code).toBe(EXIT_USAGE);
    expect(err).not.toBe('');
    expect(`${out}\n${err}`).not.toContain(SECRET);
    expect(`${out}\n${err}`).not.toContain(SECRET.slice(0, 12));
  });
});

describe('--help and --version load no heavy module', () => {
  // What makes them answer in well under 0.3 s: the Temporal SDK, the Spacelift client, the
  // simulator, fastify and zod load only in the actions that use them (bench/cli measures it).
  it.each([['--help'], ['--version']])('%s', (flag) => {
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({ resolve: (specifier, context, next) => { const r = next(specifier, context); loaded.push(r.url); return r; } });
      const { runCli } = await import(${JSON.stringify(new URL('../../src/cli/program.ts', import.meta.url).href)});
      const code = await runCli([${JSON.stringify(flag)}], { env: {}, out: () => {}, err: () => {}, isTty: false, stopSignal: new Promise(() => {}) });
      process.stdout.write(JSON.stringify({ code, loaded }));`;
    const child = spawnSync(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(child.status, child.stderr).toBe(0);
    const { code, loaded } = JSON.parse(child.stdout) as { code: number; loaded: string[] };
    expect(code).toBe(0);
    const packages = new Set(
      loaded.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []),
    );
    expect([...packages].sort()).toEqual(['commander', 'dotenv']);
    expect(loaded.filter((url) => /\/packages\/(client|simulator)\//.test(url))).toEqual([]);
  });
});

describe('an unreachable Temporal: commands say so within 3 s, naming the address and the settings', () => {
  /** A port nothing listens on: a free one, released. */
  const closedPort = async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    return port;
  };
  const SPACELIFT = {
    SPACELIFT_BASE_URL: 'http://127.0.0.1:9',
    SPACELIFT_KEY_ID: 'key',
    SPACELIFT_KEY_SECRET: 'secret',
  };

  /** Runs `argv` and checks what every unreachable-Temporal answer says; returns stderr. */
  const unreachable = async (
    sandbox: CliSandbox,
    argv: string[],
    env: Record<string, string>,
    address: string,
  ) => {
    const started = Date.now();
    const { code, out, err } = await sandbox.run(argv, env);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(new RegExp(`^error: cannot reach Temporal at ${address.replace(/\./g, '\\.')} \\(`));
    for (const setting of ['TEMPORAL_ADDRESS=host:port', 'TEMPORAL_PORT', '--data-dir (or CASCADE_DATA_DIR)'])
      expect(err).toContain(setting);
    expect(err).not.toContain('deadline');
    return err;
  };

  it.each([
    ['cascades list'],
    ['cascades status cascade-x'],
    ['cascades cancel cascade-x'],
    ['trigger network'],
  ])('%s, TEMPORAL_ADDRESS naming a port nothing listens on', async (command) => {
    const address = `127.0.0.1:${await closedPort()}`;
    const err = await unreachable(
      cli,
      command.split(' '),
      { ...SPACELIFT, TEMPORAL_ADDRESS: address },
      address,
    );
    expect(err).toContain('(nothing listens there); the address comes from TEMPORAL_ADDRESS.');
  });

  it('no TEMPORAL_ADDRESS and no demo: the default address on TEMPORAL_PORT, and the data folder looked in', async () => {
    const port = await closedPort();
    const err = await unreachable(
      cli,
      ['cascades', 'list'],
      { TEMPORAL_PORT: String(port) },
      `127.0.0.1:${port}`,
    );
    expect(err).toContain(
      `the address comes from TEMPORAL_PORT (TEMPORAL_ADDRESS is not set, and no demo runs from the data folder ${cli.dataDir}: no ${cli.dataDir}/demo.env)`,
    );
  });

  it("a demo's demo.env left behind by a `start` that is gone: names that file", async () => {
    const sandbox = await cliSandbox();
    try {
      const address = `127.0.0.1:${await closedPort()}`;
      await mkdir(sandbox.dataDir, { recursive: true });
      await writeFile(
        join(sandbox.dataDir, 'demo.env'),
        Object.entries({ ...SPACELIFT, TEMPORAL_ADDRESS: address })
          .map(([k, v]) => `${k}=${v}`)
          .join('\n'),
      );
      const err = await unreachable(sandbox, ['cascades', 'list'], {}, address);
      expect(err).toContain(`the address comes from the demo's ${sandbox.dataDir}/demo.env (is its`);
    } finally {
      await sandbox.dispose();
    }
  });

  it('something listens but never answers: the connection gives up within the bound', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
      const err = await unreachable(cli, ['cascades', 'list'], { TEMPORAL_ADDRESS: address }, address);
      expect(err).toMatch(/\(no answer within 2 s\)/);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
