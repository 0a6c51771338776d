import * as crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AdminExposureError } from '../../src/admin/admin-exposure.js';
import { buildAdminServer, type AdminServer, type AdminServerOptions } from '../../src/admin/admin-server.js';
import type { Problem } from '../../src/admin/service-status.js';
import { WebhookMetrics } from '../../src/webhook/webhook-metrics.js';
import { FakeDashboardSource } from '../dashboard/fake-dashboard-source.js';

// Spied on to show the bearer check compares fixed-length digests in constant time.
vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof crypto>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const TOKEN = 'admin-token-0123456789abcdef';
const bearer = { authorization: `Bearer ${TOKEN}` };

const servers: AdminServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function admin(overrides: Partial<AdminServerOptions> = {}): FastifyInstance {
  const server = buildAdminServer({
    host: '127.0.0.1',
    port: 0,
    adminToken: null,
    dashboard: {
      source: new FakeDashboardSource([
        { id: 'network', name: 'Network', space: null, labels: [], nativeUpstreams: [] },
        { id: 'app', name: 'App', space: null, labels: ['dependsOn:network'], nativeUpstreams: [] },
      ]),
      labelPrefix: 'dependsOn:',
    },
    logger: pino({ level: 'silent' }),
    ...overrides,
  });
  servers.push(server);
  return server.app;
}

/** Every route the admin listener serves with a token to guard (reads of the API, metrics). */
const GUARDED = [
  '/api/estate',
  '/api/estate/states',
  '/api/stacks/network',
  '/api/cascades',
  '/api/cascades/cascade-x',
  '/api/status',
  '/metrics',
];
/** What loads without the token: the page, its files and the docs. */
const PAGES = [
  '/',
  '/dashboard/app.js',
  '/dashboard/vendor/dagre.js',
  '/docs/',
  '/docs/json',
  '/openapi.json',
];

describe('exposure', () => {
  it('refuses to build on a non-loopback host without a token', () => {
    expect(() => admin({ host: '0.0.0.0' })).toThrow(AdminExposureError);
    expect(() => admin({ host: '0.0.0.0' })).toThrow(/set CASCADE_ADMIN_TOKEN/);
    expect(() => admin({ host: '0.0.0.0', adminToken: TOKEN })).not.toThrow();
  });

  it('listens where it is told and says its real address', async () => {
    const server = buildAdminServer({
      host: '127.0.0.1',
      port: 0,
      adminToken: null,
      dashboard: { source: new FakeDashboardSource([]), labelPrefix: 'dependsOn:' },
      logger: pino({ level: 'silent' }),
    });
    servers.push(server);
    const url = await server.listen();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toMatch(/:0$/);
    const res = await fetch(`${url}/api/status`);
    expect(await res.json()).toEqual({ ok: true, problems: [] });
  });
});

describe('with CASCADE_ADMIN_TOKEN set', () => {
  it.each(GUARDED)('GET %s needs the bearer token: 401 without it, 200 with it', async (url) => {
    const app = admin({ adminToken: TOKEN });
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${TOKEN}`, TOKEN]) {
      const res = await app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });
      expect(res.statusCode, String(authorization)).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.json()).toEqual({
        error: 'unauthorized',
        message:
          'The admin API needs the admin token: send CASCADE_ADMIN_TOKEN as Authorization: Bearer <token>',
      });
    }
    const ok = await app.inject({ method: 'GET', url, headers: bearer });
    // cascade-x is unknown: 404 past the guard.
    expect(ok.statusCode).toBe(url === '/api/cascades/cascade-x' ? 404 : 200);
  });

  it('guards routes by what they are, not by how the path is spelled', async () => {
    const app = admin({ adminToken: TOKEN });
    for (const url of ['/%61pi/estate', '/api/estate?x=1', '/metrics?', '/api/estate/states/']) {
      const res = await app.inject({ method: 'GET', url });
      expect([401, 404], url).toContain(res.statusCode);
      expect(res.body).not.toContain('"stacks"');
    }
    expect((await app.inject({ method: 'HEAD', url: '/api/estate' })).statusCode).toBe(401);
  });

  it.each(PAGES)('GET %s loads without the token', async (url) => {
    const res = await admin({ adminToken: TOKEN }).inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
  });

  it('compares the token in constant time: digests of equal length, whatever was sent', async () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    const app = admin({ adminToken: TOKEN });
    spy.mockClear();
    await app.inject({ method: 'GET', url: '/api/estate', headers: { authorization: 'Bearer x' } });
    await app.inject({
      method: 'GET',
      url: '/api/estate',
      headers: { authorization: `Bearer ${TOKEN}${TOKEN}` },
    });
    expect(spy).toHaveBeenCalledTimes(2);
    for (const [a, b] of spy.mock.calls) {
      expect((a as Buffer).length).toBe(32);
      expect((b as Buffer).length).toBe(32);
    }
  });

  it('actions need the token (and work with it)', async () => {
    const source = new FakeDashboardSource([
      { id: 'a', name: 'a', space: null, labels: [], nativeUpstreams: [] },
    ]);
    source.cascadeViews.set('cascade-1', {
      id: 'cascade-1',
      phase: 'running',
      heldOn: [],
      resumes: [],
      resumedBy: [],
      merged: [],
      startedAt: 1,
      endedAt: null,
      changes: [],
      stacks: {},
    });
    const app = admin({ adminToken: TOKEN, dashboard: { source, labelPrefix: 'dependsOn:' } });
    const refused = await app.inject({ method: 'POST', url: '/api/cascades/cascade-1/cancel' });
    expect(refused.statusCode).toBe(401);
    const done = await app.inject({ method: 'POST', url: '/api/cascades/cascade-1/cancel', headers: bearer });
    expect(done.statusCode).toBe(202);
    expect(source.canceled).toEqual(['cascade-1']);
  });
});

describe('without a token, on loopback', () => {
  it.each([...GUARDED, ...PAGES])('GET %s is open', async (url) => {
    const res = await admin().inject({ method: 'GET', url });
    expect(res.statusCode).toBe(url === '/api/cascades/cascade-x' ? 404 : 200);
  });

  it('actions stay off (403)', async () => {
    const res = await admin().inject({
      method: 'POST',
      url: '/api/cascades/cascade-1/cancel',
      headers: bearer,
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toBe('actions_disabled');
  });

  it('a known path with another method is 405 with Allow; an unknown one 404', async () => {
    const app = admin();
    const wrong = await app.inject({ method: 'DELETE', url: '/api/status' });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD');
    // QUERY is a body method: without a Content-Type it failed body parsing first (400).
    for (const url of ['/api/estate', '/api/cascades/c-1', '/metrics']) {
      const query = await app.inject({ method: 'QUERY' as 'GET', url });
      expect(query.statusCode, url).toBe(405);
    }
    expect((await app.inject({ method: 'GET', url: '/api/nothing' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/webhook' })).statusCode).toBe(404);
  });
});

describe('GET /api/status and cascade_open_problems', () => {
  it('answers ok with no problem by default', async () => {
    const res = await admin().inject({ method: 'GET', url: '/api/status' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, problems: [] });
  });

  it('lists the injected problems in words, and the gauge counts them as they come and go', async () => {
    let problems: Problem[] = [
      {
        part: 'spacelift',
        message:
          'Spacelift refused API key 01HXYZ (unauthorized): check SPACELIFT_KEY_ID and SPACELIFT_KEY_SECRET',
      },
      { part: 'worker', message: 'No worker polls spacelift-task-queue: start one' },
    ];
    const app = admin({ problems: () => Promise.resolve(problems) });
    expect((await app.inject({ method: 'GET', url: '/api/status' })).json()).toEqual({ ok: false, problems });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    expect(metrics.body).toContain('# TYPE cascade_open_problems gauge');
    expect(metrics.body).toMatch(/^cascade_open_problems 2$/m);
    problems = [];
    expect((await app.inject({ method: 'GET', url: '/api/status' })).json()).toEqual({
      ok: true,
      problems: [],
    });
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/^cascade_open_problems 0$/m);
  });

  it('takes a synchronous problem source too', async () => {
    const app = admin({ problems: () => [{ part: 'config', message: 'CASCADE_X is odd' }] });
    expect((await app.inject({ method: 'GET', url: '/api/status' })).json().ok).toBe(false);
  });
});

describe('GET /metrics', () => {
  it("serves the receiver's registry beside its own", async () => {
    const receiver = new WebhookMetrics();
    receiver.record('accepted', 'signalled', 0.01);
    const body = (await admin({ metrics: [receiver.registry] }).inject({ method: 'GET', url: '/metrics' }))
      .body;
    expect(body).toContain('cascade_webhooks_total{outcome="accepted",action="signalled"} 1');
    expect(body).toContain('cascade_open_problems 0');
  });

  it('refuses to serve one metric name twice (a wiring mistake)', () => {
    const [a, b] = [new WebhookMetrics(), new WebhookMetrics()];
    expect(() => admin({ metrics: [a.registry, b.registry] })).toThrow(/cascade_webhooks_total/);
  });
});

describe('/openapi.json documents both listeners', () => {
  it("has the admin routes and the receiver's three, those with the receiver as their server", async () => {
    const doc = (
      await admin({ receiverUrl: 'http://0.0.0.0:8000' }).inject({ method: 'GET', url: '/openapi.json' })
    ).json();
    for (const path of ['/api/estate', '/api/status', '/metrics', '/webhook', '/healthz', '/readyz']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    for (const path of ['/webhook', '/healthz', '/readyz']) {
      expect(doc.paths[path].servers, path).toEqual([
        { url: 'http://0.0.0.0:8000', description: expect.stringContaining('Public listener') },
      ]);
    }
    expect(doc.paths['/api/estate'].servers).toBeUndefined();
    const webhook = doc.paths['/webhook'].post;
    expect(Object.keys(webhook.responses as object)).toEqual(
      expect.arrayContaining(['202', '400', '401', '413', '415', '503']),
    );
    expect(JSON.stringify(webhook.requestBody)).toContain('run_updated');
    const status = doc.paths['/api/status'].get.responses['200'].content['application/json'].schema;
    expect(status.properties.problems.items.properties.part.enum).toEqual([
      'spacelift',
      'temporal',
      'worker',
      'account',
      'webhooks',
      'config',
    ]);
    // Without a token, reads are open; the action needs the token.
    expect(doc.paths['/api/estate'].get.security).toBeUndefined();
    expect(doc.paths['/api/cascades/{id}/cancel'].post.security).toEqual([{ adminToken: [] }]);
    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('with a token, marks every /api and /metrics operation as needing it, with its 401', async () => {
    const doc = (await admin({ adminToken: TOKEN }).inject({ method: 'GET', url: '/openapi.json' })).json();
    for (const [path, item] of Object.entries(
      doc.paths as Record<string, Record<string, { security?: unknown; responses: object }>>,
    )) {
      const guarded = path.startsWith('/api/') || path === '/metrics';
      for (const [method, operation] of Object.entries(item)) {
        if (method === 'servers') continue;
        expect(operation.security, `${method} ${path}`).toEqual(guarded ? [{ adminToken: [] }] : undefined);
        if (guarded) expect(operation.responses, path).toHaveProperty('401');
      }
    }
  });

  it('serves the Swagger UI on /docs', async () => {
    const res = await admin().inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('swagger');
  });
});
