import { pino } from 'pino';
import type { SpaceliftApi } from 'spacelift-client';
import { afterEach, describe, expect, it } from 'vitest';
import { buildAdminServer, type AdminServer } from '../../src/admin/admin-server.js';
import { commandGraph, serviceGraph } from '../../src/cli/service-graph.js';
import { loadServiceConfig } from '../../src/config/service-config.js';
import type { StackRecord } from '../../src/dashboard/estate-graph.js';
import { FakeDashboardSource } from '../dashboard/fake-dashboard-source.js';

const TOKEN = 'admin-token-0123456789abcdef';
const ESTATE: StackRecord[] = [
  { id: 'network', name: 'network', space: null, labels: [], nativeUpstreams: [] },
  { id: 'db', name: 'db', space: null, labels: ['dependsOn:network'], nativeUpstreams: [] },
  { id: 'app', name: 'app', space: null, labels: ['dependsOn:db'], nativeUpstreams: ['network'] },
];

let admin: AdminServer | null = null;
afterEach(async () => {
  await admin?.close();
  admin = null;
});

/** An admin side over the fake estate, serving `account`; its URL. */
async function service(account: string | null, adminToken: string | null = null): Promise<string> {
  const source = new FakeDashboardSource(ESTATE);
  source.account = account;
  admin = buildAdminServer({
    host: '127.0.0.1',
    port: 0,
    adminToken,
    dashboard: { source, labelPrefix: 'dependsOn:' },
    logger: pino({ level: 'silent' }),
  });
  return admin.listen();
}

/** A Spacelift that counts its searches and knows one stack only: which graph came from it shows. */
function spacelift() {
  const calls = { searches: 0 };
  const api = {
    searchStacks: () => {
      calls.searches++;
      return Promise.resolve([{ id: 'only-in-spacelift', labels: [] }]);
    },
  } as unknown as SpaceliftApi;
  return { calls, api: () => Promise.resolve(api) };
}

function configFor(adminUrl: string, env: Record<string, string> = {}) {
  const port = new URL(adminUrl).port;
  const config = loadServiceConfig(
    {
      SPACELIFT_BASE_URL: 'https://acme.app.spacelift.io',
      SPACELIFT_KEY_ID: 'key',
      SPACELIFT_KEY_SECRET: 'secret',
      CASCADE_ADMIN_PORT: port,
      ...env,
    },
    { requireWebhookSecret: false },
  );
  return { ...config, spacelift: config.spacelift! };
}

describe('the graph of graph and plan', () => {
  it('comes from the running service of this account, with its native-dependency conflicts, and reads no Spacelift', async () => {
    const url = await service('acme.app.spacelift.io');
    const s = spacelift();
    const got = await commandGraph(configFor(url), false, s.api);
    expect(got.servedBy).toBe(`the service at ${url}`);
    expect([...got.graph.stackIds].sort()).toEqual(['app', 'db', 'network']);
    expect(got.graph.upstreams.get('app')).toEqual(['db']);
    expect(await got.conflicts()).toEqual([{ stackId: 'app', labelled: ['db'], native: ['network'] }]);
    expect(s.calls.searches).toBe(0);
  });

  it('reads Spacelift with --fresh, when the service serves another account, or when none answers', async () => {
    const url = await service('acme.app.spacelift.io');
    for (const [config, fresh] of [
      [configFor(url), true],
      [configFor(url, { SPACELIFT_BASE_URL: 'https://other.app.spacelift.io' }), false],
      [configFor(url, { CASCADE_LABEL_PREFIX: 'after:' }), false],
    ] as const) {
      const s = spacelift();
      const got = await commandGraph(config, fresh, s.api);
      expect(got.servedBy).toBeNull();
      expect(got.graph.stackIds).toEqual(['only-in-spacelift']);
      await got.conflicts();
      expect(s.calls.searches).toBe(2);
    }
    await admin!.close();
    admin = null;
    const s = spacelift();
    expect((await commandGraph(configFor(url), false, s.api)).servedBy).toBeNull();
  });

  it('sends the admin token when one is set; without it the service answers 401 and Spacelift is read', async () => {
    const url = await service('acme.app.spacelift.io', TOKEN);
    const expected = { account: 'acme.app.spacelift.io', labelPrefix: 'dependsOn:' };
    expect(await serviceGraph(url, null, expected)).toBeNull();
    expect((await serviceGraph(url, TOKEN, expected))?.graph.stackIds).toHaveLength(3);
    const s = spacelift();
    const got = await commandGraph(configFor(url, { CASCADE_ADMIN_TOKEN: TOKEN }), false, s.api);
    expect(got.servedBy).toBe(`the service at ${url}`);
  });
});
