import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { processesMentioning, quietPort, spawnCli, type Spawned } from './cli-process.js';

let dir: string;
let dataDir: string;
let emptyEnvFile: string;
/** One simulator port for every start: the demo's account (its host and port) stays the same across restarts. */
let simulatorPort: number;
const started: Spawned[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cascade-cli-start-'));
  dataDir = join(dir, 'data');
  emptyEnvFile = join(dir, 'empty.env');
  await writeFile(emptyEnvFile, '');
  simulatorPort = await quietPort();
});

afterAll(async () => {
  // Only if a test failed halfway: never leave a service (and its Temporal) running.
  for (const s of started)
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  for (const pid of (await processesMentioning(dir)).map((l) => Number(l.split(':')[0])))
    process.kill(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** `start` in demo mode on free ports (never the defaults a developer may be using). */
async function start(extraArgs: string[] = []): Promise<Spawned> {
  const service = spawnCli(
    ['--env-file', emptyEnvFile, 'start', '--data-dir', dataDir, '--port', '0', ...extraArgs],
    {
      HOST: '127.0.0.1',
      CASCADE_ADMIN_PORT: '0',
      TEMPORAL_PORT: String(await quietPort()),
      TEMPORAL_UI_PORT: String(await quietPort()),
      SIMULATOR_PORT: String(simulatorPort),
      SIMULATOR_STATE_DURATION_MS: '20',
      CASCADE_POLL_INTERVAL_MS: '100',
    },
  );
  started.push(service);
  await service.waitFor(/^spacelift-cascade is ready\. Press Ctrl-C to stop\.$/m, 90_000);
  return service;
}

/** SIGTERM; it must exit 0 and leave nothing behind. */
async function stop(service: Spawned): Promise<void> {
  service.child.kill('SIGTERM');
  const code = await Promise.race([
    service.exited,
    new Promise((resolve) => setTimeout(() => resolve('still running 20 s after SIGTERM'), 20_000)),
  ]);
  expect(code, service.stderr().slice(-3000)).toBe(0);
  expect(service.stdout()).toMatch(/Received SIGTERM: stopping .*\n(.*\n)*Stopped\.\n$/);
  expect(await processesMentioning(dataDir)).toEqual([]);
  expect(existsSync(join(dataDir, 'demo.env'))).toBe(false);
}

/** Another command, in-process, joining the running demo through `<data dir>/demo.env`. */
async function joinDemo(argv: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await runCli(['--env-file', emptyEnvFile, ...argv, '--data-dir', dataDir], {
    env: {},
    out: (line) => out.push(line),
    err: (line) => out.push(line),
    isTty: false,
    stopSignal: new Promise<string>(() => undefined),
  });
  return { code, out: out.join('\n') };
}

describe('spacelift-cascade start (demo mode, a real process)', () => {
  let firstCascade = '';

  it('starts everything, runs the demo cascade, answers health and GraphQL, and stops cleanly on SIGTERM', async () => {
    const service = await start();
    const out = service.stdout();
    const webhook = /^Webhook: +(http:\/\/127\.0\.0\.1:\d+)\/webhook$/m.exec(out)?.[1];
    const graphqlUrl = /^Simulator GraphQL: +(http:\/\/127\.0\.0\.1:\d+\/graphql) /m.exec(out)?.[1];
    expect(webhook).toBeTruthy();
    expect(graphqlUrl).toBeTruthy();
    expect(out).toMatch(/^Temporal: +127\.0\.0\.1:\d+ \(namespace default\)$/m);
    expect(out).toContain(`Data folder:        ${dataDir}`);

    const [, root, , child] = await service.waitFor(
      /^Demo: pushed one commit changing "(\S+)" \(run (\S+)\) and "(\S+)" \(run (\S+)\)/m,
      30_000,
    );
    const done = await service.waitFor(
      /^Demo cascade (\w+): (\d+) finished, (\d+) failed, (\d+) blocked of (\d+) stacks, (\d+) runs\./m,
      90_000,
    );
    // The demo seed has a failing stack: its dependents are blocked, the rest finish.
    expect(done[1]).toBe('blocked');
    expect(Number(done[5])).toBeGreaterThan(3);
    expect(Number(done[3])).toBe(1);
    expect(Number(done[4])).toBeGreaterThan(0);
    expect(Number(done[2]) + Number(done[3]) + Number(done[4])).toBe(Number(done[5]));
    // Every stack that ran, ran once, though the push changed a stack and its upstream together.
    expect(Number(done[6])).toBe(Number(done[2]) + Number(done[3]));
    const [, cascadeId, roots] = await service.waitFor(
      /^Demo: cascade (cascade-\S+) from (.+): blocked$/m,
      1_000,
    );
    expect(roots!.split(', ').sort()).toEqual([root, child].sort());
    expect(service.stdout()).toMatch(/^ {2}\S+: FAILED, run \S+ ended FAILED /m);
    expect(service.stdout()).toMatch(/^ {2}\S+: blocked: upstream \S+ failed/m);
    expect(service.stdout()).toMatch(new RegExp(`^ {2}${child}: finished \\(run `, 'm'));
    firstCascade = cascadeId!;

    expect(await (await fetch(`${webhook}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${webhook}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });

    // The admin side is on its own listener (a free port here), printed with its real address.
    const admin = /^Dashboard: +(http:\/\/127\.0\.0\.1:\d+)\/$/m.exec(out)?.[1];
    expect(admin).toBeTruthy();
    expect(admin).not.toBe(webhook);
    expect(out).toContain(`API docs:           ${admin}/docs (OpenAPI: ${admin}/openapi.json)`);
    expect(out).toContain(`Metrics:            ${admin}/metrics`);
    expect(out).toContain(`Health:             ${webhook}/healthz, ${webhook}/readyz\n`);
    for (const path of ['/api/estate', '/api/status', '/metrics', '/docs', '/openapi.json', '/']) {
      expect((await fetch(`${webhook}${path}`)).status, `public ${path}`).toBe(404);
      expect((await fetch(`${admin}${path}`)).status, `admin ${path}`).toBe(200);
    }
    expect(await (await fetch(`${admin}/metrics`)).text()).toContain(
      'cascade_webhooks_total{outcome="accepted"',
    );

    // The simulator answers real GraphQL with the key `start` wrote (0600) for other commands.
    const demoEnvFile = join(dataDir, 'demo.env');
    expect((await stat(demoEnvFile)).mode & 0o777).toBe(0o600);
    const demoEnv = await readFile(demoEnvFile, 'utf8');
    const [, keyId] = /^SPACELIFT_KEY_ID=(.*)$/m.exec(demoEnv) ?? [];
    const [, keySecret] = /^SPACELIFT_KEY_SECRET=(.*)$/m.exec(demoEnv) ?? [];
    const gql = async (query: string, variables: object, jwt?: string) => {
      const res = await fetch(graphqlUrl!, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(jwt && { authorization: `Bearer ${jwt}` }) },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    };
    const login = await gql(
      'mutation ($id: ID!, $secret: String!) { apiKeyUser(id: $id, secret: $secret) { jwt } }',
      {
        id: keyId,
        secret: keySecret,
      },
    );
    const jwt = (login.data?.apiKeyUser as { jwt: string }).jwt;
    const stacks = await gql('{ stacks { id } }', {}, jwt);
    expect(stacks.errors).toBeUndefined();
    expect((stacks.data?.stacks as Array<{ id: string }>).map((s) => s.id)).toContain(root);

    // Commands in another terminal join the demo without configuration.
    const list = await joinDemo(['cascades', 'list']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(new RegExp(`^${firstCascade} +blocked +\\S+ +from `, 'm'));

    // The generated secrets never reach the output.
    expect(service.stdout() + service.stderr()).not.toContain(keySecret);

    await stop(service);
  });

  it('a restart with the same data folder keeps earlier cascades (Temporal SQLite persists)', async () => {
    expect(firstCascade).not.toBe('');
    const service = await start(['--no-demo']);
    expect(service.stdout()).not.toContain('Demo: pushed');
    const list = await joinDemo(['--json', 'cascades', 'list']);
    expect(list.code).toBe(0);
    const entries = JSON.parse(list.out) as Array<{ id: string; phase: string }>;
    expect(entries).toContainEqual(expect.objectContaining({ id: firstCascade, phase: 'blocked' }));
    const status = await joinDemo(['cascades', 'status', firstCascade]);
    expect(status.code).toBe(0);
    expect(status.out).toContain(`cascade ${firstCascade} from `);
    await stop(service);
  });
});

describe('spacelift-cascade webhook (a real process)', () => {
  it('without SPACELIFT_WEBHOOK_SECRET exits 2 and explains how to fix it', async () => {
    const service = spawnCli(
      ['--env-file', emptyEnvFile, 'webhook', '--data-dir', dataDir, '--port', '0'],
      {},
    );
    started.push(service);
    expect(await service.exited).toBe(2);
    expect(service.stdout()).toBe('');
    expect(service.stderr()).toContain('Invalid configuration:');
    expect(service.stderr()).toContain(
      'SPACELIFT_WEBHOOK_SECRET is not set: set it to the secret of your Spacelift webhook',
    );
    expect(service.stderr()).toContain('CASCADE_ALLOW_UNSIGNED_WEBHOOKS=true');
  });

  it('refuses to expose the admin side beyond loopback without a token: exit 2, saying why', async () => {
    const service = spawnCli(['--env-file', emptyEnvFile, 'webhook', '--data-dir', dataDir, '--port', '0'], {
      SPACELIFT_WEBHOOK_SECRET: 'webhook-secret',
      SPACELIFT_BASE_URL: 'https://acme.app.spacelift.io',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      CASCADE_ADMIN_HOST: '0.0.0.0',
      CASCADE_ADMIN_PORT: '0',
    });
    started.push(service);
    expect(await service.exited).toBe(2);
    expect(service.stderr()).toContain('CASCADE_ADMIN_HOST=0.0.0.0 would expose the dashboard');
    expect(service.stderr()).toContain('set CASCADE_ADMIN_TOKEN');
    expect(service.stderr()).toContain('keep CASCADE_ADMIN_HOST=127.0.0.1');
  });
});
