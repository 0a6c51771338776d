import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { CascadeView } from '../../src/cascade-contract.js';
import { DashboardUnavailableError } from '../../src/dashboard/dashboard-source.js';
import { hasAdminBearer } from '../../src/dashboard/dashboard-routes.js';
import type { estateSchema, stackDetailSchema } from '../../src/dashboard/dashboard-schemas.js';
import { buildAdminServer } from '../../src/admin/admin-server.js';
import { FakeDashboardSource } from './fake-dashboard-source.js';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

const records = [
  { id: 'network', name: 'Network', space: 'platform', labels: [], nativeUpstreams: [] },
  { id: 'database', name: 'Database', space: 'platform', labels: ['dependsOn:network'], nativeUpstreams: [] },
  {
    id: 'app',
    name: 'App',
    space: 'apps',
    labels: ['team:web', 'dependsOn:database', 'dependsOn:ghost'],
    nativeUpstreams: ['network'],
  },
  { id: 'loop-a', name: 'loop-a', space: 'apps', labels: ['dependsOn:loop-b'], nativeUpstreams: [] },
  { id: 'loop-b', name: 'loop-b', space: 'apps', labels: ['dependsOn:loop-a'], nativeUpstreams: [] },
];

const runningCascade: CascadeView = {
  id: 'cascade-run-1',
  phase: 'running',
  heldOn: [],
  resumes: [],
  resumedBy: [],
  merged: [],
  startedAt: 1_000,
  endedAt: null,
  changes: [{ stackId: 'network', runId: 'run-1', at: 900 }],
  stacks: {
    database: {
      state: 'running',
      runId: 'run-2',
      runUrl: 'https://acme.app.spacelift.io/stack/database/run/run-2',
      runState: 'APPLYING',
      runs: [{ runId: 'run-2', state: 'APPLYING', own: true, at: 1_100 }],
      since: 1_200,
    },
    app: { state: 'waiting', waitingFor: ['database'], runs: [], since: 1_000 },
  },
};

let app: FastifyInstance | null = null;

/** The admin listener over `source`; with a token, its reads need it too (see bearer). */
function build(source: FakeDashboardSource, adminToken: string | null = null): FastifyInstance {
  app = buildAdminServer({
    host: '127.0.0.1',
    port: 0,
    adminToken,
    dashboard: { source, labelPrefix: 'dependsOn:' },
    logger: pino({ level: 'silent' }),
  }).app;
  return app;
}

const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };

function source(): FakeDashboardSource {
  const s = new FakeDashboardSource(records, {
    network: {
      state: 'finished',
      runId: 'run-1',
      runUrl: 'https://acme.app.spacelift.io/stack/network/run/run-1',
    },
    database: runningCascade.stacks.database!,
  });
  s.cascadeViews.set(runningCascade.id, runningCascade);
  s.runs.set('network', [
    {
      id: 'run-1',
      state: 'FINISHED',
      type: 'TRACKED',
      createdAt: 1,
      updatedAt: 2,
      triggeredBy: 'jane@example.com',
      title: 'Bump VPC',
      commit: 'abc123',
      url: 'https://acme.app.spacelift.io/stack/network/run/run-1',
    },
  ]);
  return s;
}

afterEach(async () => {
  await app?.close();
  app = null;
});

type Estate = z.infer<typeof estateSchema>;
type StackDetail = z.infer<typeof stackDetailSchema>;

describe('GET / and the page files', () => {
  it('serves the page, its modules and the dagre bundle from node_modules', async () => {
    const server = build(source());
    const page = await server.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<script type="module" src="/dashboard/app.js">');
    // Offline: nothing is loaded from another origin.
    expect(page.body).not.toMatch(/src="https?:/);
    for (const file of ['app.js', 'graph-view.js', 'estate-view.js', 'style.css', 'vendor/dagre.js']) {
      const res = await server.inject({ method: 'GET', url: `/dashboard/${file}` });
      expect(res.statusCode, file).toBe(200);
    }
    const dagre = await server.inject({ method: 'GET', url: '/dashboard/vendor/dagre.js' });
    expect(dagre.headers['content-type']).toContain('javascript');
    expect(dagre.body).toContain('export{');
  });

  it('answers 404 for any other file (no path traversal)', async () => {
    const server = build(source());
    for (const url of ['/dashboard/..%2Fpackage.json', '/dashboard/index.ts', '/dashboard/../src/index.ts']) {
      const res = await server.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
    }
  });
});

describe('GET /api/estate', () => {
  it('lists every stack with its labels, upstreams, native dependencies and state', async () => {
    const res = await build(source()).inject({ method: 'GET', url: '/api/estate' });
    expect(res.statusCode).toBe(200);
    const body = res.json<Estate>();
    expect(body.coordinator).toBe('running');
    expect(body.graphSource).toBe('spacelift');
    expect(body.actions).toEqual({ cancel: false, control: false });
    const app = body.stacks.find((s) => s.id === 'app');
    expect(app).toMatchObject({
      name: 'App',
      space: 'apps',
      upstreams: ['database', 'ghost'],
      nativeUpstreams: ['network'],
      view: { state: 'idle' },
    });
    expect(body.stacks.find((s) => s.id === 'database')!.view).toMatchObject({
      state: 'running',
      runId: 'run-2',
    });
  });

  it('shows unknown dependsOn labels, cycles and stacks with labels and native dependencies as problems', async () => {
    const body = (await build(source()).inject({ method: 'GET', url: '/api/estate' })).json<Estate>();
    const kinds = body.problems.map((p) => [p.kind, p.stackIds]);
    expect(kinds).toEqual(
      expect.arrayContaining([
        ['cycle', ['loop-a', 'loop-b']],
        ['unknown-dependency', ['app']],
        ['labels-and-native', ['app', 'network']],
      ]),
    );
    expect(body.problems.find((p) => p.kind === 'unknown-dependency')!.message).toContain('"ghost"');
  });

  it('says when no coordinator runs yet, and shows the stacks as idle', async () => {
    const s = source();
    s.estateView = null;
    const body = (await build(s).inject({ method: 'GET', url: '/api/estate/states' })).json();
    expect(body.coordinator).toBe('not-started');
    expect(body.states.network).toEqual({ state: 'idle' });
  });

  it('answers 503 with a clear error when Temporal does not answer', async () => {
    const s = source();
    s.failWith = new DashboardUnavailableError('estate');
    const res = await build(s).inject({ method: 'GET', url: '/api/estate' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'temporal_unavailable' });
  });

  it('keeps the graph version while only states change, and changes it with a label', async () => {
    const s = source();
    const server = build(s);
    const first = (await server.inject({ method: 'GET', url: '/api/estate/states' })).json();
    s.estateView!.stacks.app = { state: 'waiting', waitingFor: ['database'] };
    const second = (await server.inject({ method: 'GET', url: '/api/estate/states' })).json();
    expect(second.graphVersion).toBe(first.graphVersion);
    expect(second.states.app).toEqual({ state: 'waiting', waitingFor: ['database'] });
    s.estateGraph = new FakeDashboardSource([
      ...records.slice(0, 4),
      { ...records[4]!, labels: [] },
    ]).estateGraph;
    const third = (await server.inject({ method: 'GET', url: '/api/estate/states' })).json();
    expect(third.graphVersion).not.toBe(first.graphVersion);
  });
});

describe('GET /api/stacks/{id}', () => {
  it("returns labels, upstreams, downstreams, runs and the plan of a stack's change", async () => {
    const res = await build(source()).inject({ method: 'GET', url: '/api/stacks/network' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: 'network',
      upstreams: [],
      downstreams: ['database'],
      view: { state: 'finished', runId: 'run-1' },
      runsSource: 'spacelift',
      runs: [
        { id: 'run-1', state: 'FINISHED', url: 'https://acme.app.spacelift.io/stack/network/run/run-1' },
      ],
      plan: { root: 'network', waves: [['database'], ['app']], cycles: [] },
    });
    // The plan names what a change would reach, including a dangling label below it.
    expect(res.json().plan.unknownDependencies).toEqual([{ stackId: 'app', dependsOn: 'ghost' }]);
  });

  it('a plan that reaches a cycle is refused and names it', async () => {
    const body = (
      await build(source()).inject({ method: 'GET', url: '/api/stacks/loop-a' })
    ).json<StackDetail>();
    expect(body.plan.waves).toEqual([]);
    expect(body.plan.cycles).toEqual([['loop-a', 'loop-b']]);
    expect(body.problems.map((p) => p.kind)).toEqual(['cycle']);
  });

  it('answers 404 for an unknown stack and 400 for an id that cannot be one', async () => {
    const server = build(source());
    const unknown = await server.inject({ method: 'GET', url: '/api/stacks/nope' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({
      error: 'unknown_stack',
      message: 'Stack "nope" is not in the estate (or the API key cannot see it)',
    });
    const bad = await server.inject({ method: 'GET', url: '/api/stacks/a%20b%3Cscript%3E' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'bad_request' });
    expect(bad.json().message).toContain('must be a stack, cascade or run id');
  });
});

describe('cascades', () => {
  it('lists cascades and shows one by id or by run id', async () => {
    const server = build(source());
    const list = (await server.inject({ method: 'GET', url: '/api/cascades?limit=5' })).json();
    expect(list.cascades).toMatchObject([
      { id: 'cascade-run-1', phase: 'running', roots: ['network'], total: 2 },
    ]);
    const byRun = await server.inject({ method: 'GET', url: '/api/cascades/run-1' });
    expect(byRun.statusCode).toBe(200);
    expect(byRun.json().runEndedAt).toEqual({});
    expect(byRun.json()).toMatchObject({
      id: 'cascade-run-1',
      stacks: { app: { state: 'waiting', since: 1_000 } },
    });
    const missing = await server.inject({ method: 'GET', url: '/api/cascades/cascade-nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toBe('unknown_cascade');
  });

  it("adds when each ended run ended, for the cascade's timeline", async () => {
    const s = source();
    s.runEndedAt.set('run-2', 1_500);
    const body = (await build(s).inject({ method: 'GET', url: '/api/cascades/cascade-run-1' })).json();
    expect(body.runEndedAt).toEqual({ 'run-2': 1_500 });
  });

  it('rejects a bad limit with a message naming it', async () => {
    const server = build(source());
    for (const limit of ['0', '500', 'ten']) {
      const res = await server.inject({ method: 'GET', url: `/api/cascades?limit=${limit}` });
      expect(res.statusCode, limit).toBe(400);
      expect(res.json().message, limit).toMatch(/limit/);
    }
  });
});

describe('POST /api/cascades/{id}/cancel', () => {
  it('offers no action and refuses with 403 when CASCADE_ADMIN_TOKEN is not set', async () => {
    const s = source();
    const server = build(s, null);
    const res = await server.inject({
      method: 'POST',
      url: '/api/cascades/cascade-run-1/cancel',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toBe('actions_disabled');
    expect(s.canceled).toEqual([]);
  });

  it('needs the admin token as a bearer token, and never echoes it', async () => {
    const s = source();
    const server = build(s, ADMIN_TOKEN);
    expect(
      (await server.inject({ method: 'GET', url: '/api/estate', headers: bearer })).json().actions,
    ).toEqual({
      cancel: true,
      control: true,
    });
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${ADMIN_TOKEN}`, ADMIN_TOKEN]) {
      const res = await server.inject({
        method: 'POST',
        url: '/api/cascades/cascade-run-1/cancel',
        headers: authorization ? { authorization } : {},
      });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body).not.toContain(ADMIN_TOKEN);
    }
    expect(s.canceled).toEqual([]);
    const ok = await server.inject({
      method: 'POST',
      url: '/api/cascades/run-1/cancel',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toEqual({ id: 'cascade-run-1', action: 'cancel-requested' });
    expect(s.canceled).toEqual(['cascade-run-1']);
    // The page never receives the token: no answer carries it.
    const estate = await server.inject({ method: 'GET', url: '/api/estate', headers: bearer });
    expect(estate.body).not.toContain(ADMIN_TOKEN);
  });

  it('answers 404 for an unknown cascade and 409 for one that ended', async () => {
    const s = source();
    s.cascadeViews.set('cascade-old', {
      ...runningCascade,
      id: 'cascade-old',
      phase: 'completed',
      endedAt: 2_000,
    });
    const server = build(s, ADMIN_TOKEN);
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect(
      (await server.inject({ method: 'POST', url: '/api/cascades/cascade-x/cancel', headers })).statusCode,
    ).toBe(404);
    const ended = await server.inject({ method: 'POST', url: '/api/cascades/cascade-old/cancel', headers });
    expect(ended.statusCode).toBe(409);
    expect(ended.json().error).toBe('cascade_ended');
  });

  it('compares bearer tokens exactly', () => {
    expect(hasAdminBearer(`Bearer ${ADMIN_TOKEN}`, ADMIN_TOKEN)).toBe(true);
    expect(hasAdminBearer(`bearer  ${ADMIN_TOKEN} `, ADMIN_TOKEN)).toBe(true);
    expect(hasAdminBearer(`Bearer ${ADMIN_TOKEN}x`, ADMIN_TOKEN)).toBe(false);
    expect(hasAdminBearer(undefined, ADMIN_TOKEN)).toBe(false);
  });
});

describe('/openapi.json', () => {
  it('documents the dashboard API with its schemas, and the answer to ids that cannot be ones', async () => {
    const doc = (await build(source()).inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const path of [
      '/api/estate',
      '/api/estate/states',
      '/api/stacks/{id}',
      '/api/cascades',
      '/api/cascades/{id}',
      '/api/cascades/{id}/cancel',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths['/']).toBeUndefined();
    const estate = doc.paths['/api/estate'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(estate.properties as object)).toEqual(
      expect.arrayContaining(['stacks', 'problems', 'actions']),
    );
    expect(doc.paths['/api/cascades/{id}/cancel'].post.responses).toHaveProperty('401');
    for (const [path, method] of [
      ['/api/stacks/{id}', 'get'],
      ['/api/cascades/{id}', 'get'],
      ['/api/cascades/{id}/cancel', 'post'],
    ] as const) {
      expect(Object.keys(doc.paths[path][method].responses as object), path).toEqual(
        expect.arrayContaining(['400']),
      );
    }
  });

  it('publishes schemas its answers can meet: no allOf of objects that each refuse extra properties', async () => {
    const doc = (await build(source()).inject({ method: 'GET', url: '/openapi.json' })).json();
    const closed = (schema: unknown) =>
      typeof schema === 'object' && schema !== null && 'additionalProperties' in schema
        ? schema.additionalProperties === false
        : false;
    const contradictions: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (typeof node !== 'object' || node === null) return;
      const allOf = (node as { allOf?: unknown[] }).allOf;
      if (Array.isArray(allOf) && allOf.filter(closed).length > 1) contradictions.push(at);
      for (const [key, child] of Object.entries(node)) walk(child, `${at}/${key}`);
    };
    walk(doc.paths, '#/paths');
    expect(contradictions).toEqual([]);
    // The cascade's stacks: one object per state, each with its runs.
    const cascade = doc.paths['/api/cascades/{id}'].get.responses['200'].content['application/json'].schema;
    const stack = cascade.properties.stacks.additionalProperties;
    expect(stack.oneOf ?? stack.anyOf).toHaveLength(14);
  });
});

describe('ids refused before and by routing', () => {
  it('answers 400 in the API error shape for an id longer than 200 characters, not an undocumented 414', async () => {
    const server = build(source());
    for (const url of [
      `/api/stacks/${'a'.repeat(201)}`,
      `/api/cascades/${'b'.repeat(500)}`,
      `/api/cascades/${'c'.repeat(5000)}/cancel`,
    ]) {
      const res = await server.inject({ method: url.endsWith('/cancel') ? 'POST' : 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json()).toEqual({
        error: 'bad_request',
        message: 'An id in the path is longer than 200 characters',
      });
    }
    expect((await server.inject({ method: 'GET', url: `/api/stacks/${'a'.repeat(200)}` })).statusCode).toBe(
      404,
    );
  });

  it('answers 400 in the API error shape for non-ASCII ids and broken percent-encoding', async () => {
    const server = build(source(), ADMIN_TOKEN);
    for (const url of ['/api/cascades/%C3%A9t%C3%A9', '/api/stacks/%E9', '/api/cascades/%ZZ/cancel']) {
      const method = url.endsWith('/cancel') ? 'POST' : 'GET';
      const res = await server.inject({ method, url, headers: bearer });
      expect(res.statusCode, url).toBe(400);
      expect(Object.keys(res.json()).sort(), url).toEqual(['error', 'message']);
      expect(res.json().error).toBe('bad_request');
    }
  });
});
