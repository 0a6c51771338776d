import { fileURLToPath } from 'node:url';
import { Spacelift } from 'spacelift-client';
import { describe, expect, it } from 'vitest';
import { cliConfig, cliProgram, CliUsageError, type CliFlags } from '../src/cli-options.js';
import { spawnCli } from './cli-helpers.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const DEMO_SEED = fileURLToPath(new URL('../../cascade/seeds/demo-seed.json', import.meta.url));

const flags = (args: string[]): CliFlags => cliProgram().parse(args, { from: 'user' }).opts<CliFlags>();

describe('spacelift-simulator CLI options', () => {
  it('maps flags onto the configuration', () => {
    const config = cliConfig(
      flags([
        '--port=0',
        '--api-key',
        'KEY:secret',
        '--api-key',
        'CI:ci:secret:ci bot',
        '--workers',
        '2',
        '--latency-ms',
        '25',
        '--webhook-disable-after',
        '0',
        '--webhook-url',
        'http://a.test/hook',
        '--webhook-url',
        'http://b.test/hook',
        '--webhook-header',
        'X-Team: platform',
        '--webhook-header',
        'Authorization: Bearer x',
        '--state-duration-ms',
        '0',
        '--drop-rate',
        '0.25',
        '--shuffle-deliveries',
      ]),
      { SPACELIFT_WEBHOOK_SECRET: 'from-env' },
    );
    expect(config).toMatchObject({
      port: 0,
      // The name starts after the last colon, so a secret may hold colons when a name follows.
      apiKeys: [
        { id: 'KEY', secret: 'secret' },
        { id: 'CI', secret: 'ci:secret', name: 'ci bot' },
      ],
      stateDurationMs: 0,
      workers: 2,
      latencyMs: 25,
      webhooks: {
        urls: ['http://a.test/hook', 'http://b.test/hook'],
        secret: 'from-env',
        headers: { 'X-Team': 'platform', Authorization: 'Bearer x' },
        disableAfterFailures: 0,
      },
      faults: { dropRate: 0.25, shuffleDeliveries: true, deliveryCopies: 1 },
    });
  });

  it('takes the API key from the environment when no flag is given', () => {
    const config = cliConfig(flags([]), { SPACELIFT_KEY_ID: 'ENVKEY', SPACELIFT_KEY_SECRET: 's' });
    expect(config.apiKeys).toEqual([{ id: 'ENVKEY', secret: 's' }]);
  });

  it.each([
    [[], 'no API key'],
    [['--api-key', 'nocolon'], '--api-key must look like ID:SECRET'],
    [['--api-key', 'a:b:'], '--api-key must look like ID:SECRET'],
    [['--api-key', 'a:b', '--api-key', 'a:c'], '--api-key: API key ids must be unique'],
    [['--api-key', 'a:b', '--workers', '-1'], '--workers: Too small'],
    [['--api-key', 'a:b', '--latency-ms', '1.5'], '--latency-ms: Invalid input'],
    [['--api-key', 'a:b', '--drop-rate', '2'], '--drop-rate: Too big'],
    [['--api-key', 'a:b', '--port', '70000'], '--port: Too big'],
    [['--api-key', 'a:b', '--state-duration-ms', '-1'], '--state-duration-ms: Too small'],
    [['--api-key', 'a:b', '--webhook-url', 'ftp://x'], '--webhook-url (0): Invalid URL'],
    [['--api-key', 'a:b', '--webhook-header', 'no colon'], '--webhook-header "no colon" must look like'],
    [
      ['--api-key', 'a:b', '--seed', '/does/not/exist.json'],
      '--seed: cannot read "/does/not/exist.json" (ENOENT)',
    ],
    [['--api-key', 'a:b', '--seed', CLI], 'is not valid JSON'],
    [['--api-key', 'a:b', '--fault-500-rate', '0.6', '--fault-429-rate', '0.6'], 'must not exceed 1'],
  ])('refuses %j', (args, message) => {
    expect(() => cliConfig(flags(args), {})).toThrow(CliUsageError);
    expect(() => cliConfig(flags(args), {})).toThrow(message);
  });

  it('names the seed field at fault', () => {
    const bad = fileURLToPath(new URL('./fixtures/bad-seed.json', import.meta.url));
    expect(() => cliConfig(flags(['--api-key', 'a:b', '--seed', bad]), {})).toThrow(
      '--seed (stacks.0.outcome)',
    );
  });
});

describe('spacelift-simulator process', () => {
  it('exits with code 2 and a clear message on bad flags, never echoing the secret', async () => {
    const results = await Promise.all([
      spawnCli(['--port', 'abc', '--api-key', 'a:topsecret']).exited,
      spawnCli(['--bogus']).exited,
      spawnCli(['--api-key', 'a:topsecret', '--drop-rate', '5']).exited,
    ]);
    expect(results.map((r) => r.code)).toEqual([2, 2, 2]);
    expect(results[0].stderr).toContain("option '--port <n>' argument 'abc' is invalid");
    expect(results[1].stderr).toContain("unknown option '--bogus'");
    expect(results[2].stderr).toContain('--drop-rate: Too big');
    for (const r of results) expect(r.stderr + r.stdout).not.toContain('topsecret');
  });

  it('prints --help and exits 0', async () => {
    const { code, stdout } = await spawnCli(['--help']).exited;
    expect(code).toBe(0);
    expect(stdout).toContain('--state-duration-ms <n>');
    expect(stdout).toContain('--webhook-header');
  });

  it('serves the demo seed until SIGTERM, logging no secret', async () => {
    const cli = spawnCli(['--port', '0', '--seed', DEMO_SEED, '--api-key', 'DEMO:topsecret']);
    let url: string | undefined;
    await expect
      .poll(
        () => {
          url = /listening on (\S+)\/graphql/.exec(cli.stdout())?.[1];
          return url;
        },
        { timeout: 20_000, interval: 50 },
      )
      .toBeDefined();
    const client = new Spacelift({ baseUrl: url!, keyId: 'DEMO', keySecret: 'topsecret' });
    expect(await client.getStacks()).toHaveLength(12);
    cli.child.kill('SIGTERM');
    const { code, stdout, stderr } = await cli.exited;
    expect(code).toBe(0);
    expect(stdout).toContain('API key id: DEMO');
    expect(stdout + stderr).not.toContain('topsecret');
  });
});
