import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_USAGE } from '../../src/cli/program.js';
import { cliSandbox, type CliSandbox } from './cli-harness.js';

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
