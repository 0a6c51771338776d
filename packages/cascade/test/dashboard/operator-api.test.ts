import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { buildAdminServer } from '../../src/admin/admin-server.js';
import { registerControlMetrics } from '../../src/admin/control-metrics.js';
import type { CutoffCounts } from '../../src/cascade-contract.js';
import { FakeDashboardSource } from './fake-dashboard-source.js';

const TOKEN = 'admin-token-0123456789abcdef';
const bearer = { authorization: `Bearer ${TOKEN}` };

let app: FastifyInstance | null = null;

/** An admin POST with the token. */
const post = (server: FastifyInstance, url: string, payload: object) =>
  server.inject({ method: 'POST', url, headers: bearer, payload });
afterEach(async () => {
  await app?.close();
  app = null;
});

function build(adminToken: string | null = TOKEN): { app: FastifyInstance; source: FakeDashboardSource } {
  const source = new FakeDashboardSource([
    { id: 'a', name: 'a', space: null, labels: [], nativeUpstreams: [] },
  ]);
  app = buildAdminServer({
    host: '127.0.0.1',
    port: 0,
    adminToken,
    dashboard: { source, labelPrefix: 'dependsOn:' },
    logger: pino({ level: 'silent' }),
  }).app;
  return { app, source };
}

describe('POST /api/freeze and /api/unfreeze', () => {
  it('freeze, then every read says so; a second freeze is refused with the reason; unfreeze lifts it', async () => {
    const { app } = build();
    const until = '2099-01-01T16:00:00+01:00';
    const frozen = await post(app, '/api/freeze', { by: 'alice', reason: 'incident 4711', until });
    expect(frozen.statusCode).toBe(200);
    expect(frozen.json()).toEqual({
      freeze: { since: expect.any(Number), by: 'alice', reason: 'incident 4711', until: Date.parse(until) },
    });
    const estate = (await app.inject({ method: 'GET', url: '/api/estate', headers: bearer })).json();
    expect(estate.freeze).toMatchObject({ by: 'alice', reason: 'incident 4711' });
    expect(estate.actions).toEqual({ cancel: true, control: true });
    const states = (await app.inject({ method: 'GET', url: '/api/estate/states', headers: bearer })).json();
    expect(states.freeze).toMatchObject({ by: 'alice' });

    const again = await post(app, '/api/freeze', { by: 'bob' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({ error: 'action_refused', message: 'the estate is already frozen' });

    const thawed = await post(app, '/api/unfreeze', { by: 'bob' });
    expect(thawed.statusCode).toBe(200);
    expect(thawed.json()).toMatchObject({ by: 'bob', waiting: [], freeze: { by: 'alice' } });
    const twice = await post(app, '/api/unfreeze', { by: 'bob' });
    expect(twice.json()).toEqual({ error: 'action_refused', message: 'the estate is not frozen' });
  });

  it('needs the token (401), is off without one configured (403), and checks the body (400), in the error shape', async () => {
    const { app, source } = build();
    const anonymous = await app.inject({ method: 'POST', url: '/api/freeze', payload: { by: 'alice' } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ error: 'unauthorized' });
    for (const payload of [
      {},
      { by: '' },
      { by: 'alice', until: 'tomorrow' },
      { by: 'a', reason: 'x'.repeat(501) },
      { by: 'alice', untill: '2030-01-01T00:00:00Z' },
    ]) {
      const bad = await app.inject({ method: 'POST', url: '/api/freeze', headers: bearer, payload });
      expect(bad.statusCode, JSON.stringify(payload)).toBe(400);
      expect(Object.keys(bad.json<Record<string, unknown>>()).sort()).toEqual(['error', 'message']);
    }
    expect(source.estateView?.freeze).toBeNull();
    await app.close();

    const off = build(null).app;
    const refused = await off.inject({ method: 'POST', url: '/api/unfreeze', payload: { by: 'alice' } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: 'actions_disabled' });
  });

  it('is documented in /openapi.json: the body, the answers and the error shape, with the token', async () => {
    const { app } = build();
    interface Post {
      security: unknown;
      description: string;
      responses: Record<string, unknown>;
      requestBody: { content: Record<string, { schema: { required: string[] } }> };
    }
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, { post: Post }>;
    }>();
    for (const path of ['/api/freeze', '/api/unfreeze']) {
      const post = doc.paths[path]!.post;
      expect(post.security).toEqual([{ adminToken: [] }]);
      expect(Object.keys(post.responses).sort()).toEqual(['200', '400', '401', '403', '409', '503']);
      expect(post.requestBody.content['application/json']!.schema.required).toEqual(['by']);
      // A misspelt field is refused, not ignored: the schema says so, and fuzzers respect it.
      expect(post.requestBody.content['application/json']!.schema).toMatchObject({
        additionalProperties: false,
      });
    }
    expect(doc.paths['/api/freeze']!.post.description).toMatch(/does not stop git pushes in Spacelift/);
  });
});

describe('POST /api/cascades/{id}/stacks/{stack}/approve and /reject', () => {
  it('records the verdict with who and the note; refuses what is not awaiting approval (409)', async () => {
    const { app, source } = build();
    source.pendingApprovals = [{ cascadeId: 'cascade-run-1', stackId: 'a', since: 1_700_000_000_000 }];
    const approved = await post(app, '/api/cascades/run-1/stacks/a/approve', {
      by: 'alice',
      note: 'change CHG-12',
    });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toEqual({
      cascadeId: 'cascade-run-1',
      stackId: 'a',
      verdict: 'approved',
      by: 'alice',
      at: expect.any(Number),
      note: 'change CHG-12',
    });
    const again = await post(app, '/api/cascades/run-1/stacks/a/reject', { by: 'bob' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({ error: 'action_refused', message: 'a is not awaiting approval in run-1' });
    const anonymous = await app.inject({
      method: 'POST',
      url: '/api/cascades/run-1/stacks/a/reject',
      payload: { by: 'x' },
    });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('/metrics: the operator controls', () => {
  it('counts pending approvals and the oldest one’s age, and whether the estate is frozen', async () => {
    const { app, source } = build();
    const at = Date.now();
    source.pendingApprovals = [
      { cascadeId: 'cascade-1', stackId: 'a', since: at - 120_000 },
      { cascadeId: 'cascade-1', stackId: 'b', since: at - 5_000 },
    ];
    await source.freeze({ by: 'alice', reason: null, until: null });
    const body = (await app.inject({ method: 'GET', url: '/metrics', headers: bearer })).body;
    expect(body).toMatch(/^cascade_pending_approvals 2$/m);
    const age = Number(/^cascade_oldest_pending_approval_seconds (\S+)$/m.exec(body)?.[1]);
    expect(age).toBeGreaterThanOrEqual(120);
    expect(age).toBeLessThan(180);
    expect(body).toMatch(/^cascade_frozen 1$/m);
    expect(body).toContain('# TYPE cascade_frozen_seconds gauge');
  });

  it('exports what early cutoff counted as counters, copied from the coordinator at each scrape', async () => {
    const { app, source } = build();
    const scrape = async () => (await app.inject({ method: 'GET', url: '/metrics', headers: bearer })).body;
    source.estateView!.cutoff = { enabled: true, outputsReads: 12, cutOff: 5, runsAvoided: 31 };
    const body = await scrape();
    expect(body).toContain('# TYPE cascade_cutoff_runs_avoided_total counter');
    expect(body).toMatch(/^cascade_cutoff_runs_avoided_total 31$/m);
    expect(body).toMatch(/^cascade_cutoff_cut_off_total 5$/m);
    expect(body).toMatch(/^cascade_cutoff_outputs_reads_total 12$/m);
    expect(body).toMatch(/^cascade_cutoff_enabled 1$/m);
  });

  it('copies the coordinator’s totals at each scrape (not a sum of scrapes), and keeps them when a read fails', async () => {
    let at = 0;
    let cutoff: CutoffCounts | undefined = { enabled: true, outputsReads: 12, cutOff: 5, runsAvoided: 31 };
    const errors: unknown[] = [];
    const registry = new Registry();
    registerControlMetrics(registry, {
      read: () =>
        cutoff
          ? Promise.resolve({ freeze: null, approvals: [], cutoff })
          : Promise.reject(new Error('coordinator unreachable')),
      onError: (err) => errors.push(err),
      now: () => at,
    });
    const avoided = async () =>
      (await registry.getSingleMetricAsString('cascade_cutoff_runs_avoided_total')).split('\n').at(-1);
    expect(await avoided()).toBe('cascade_cutoff_runs_avoided_total 31');
    expect(await avoided()).toBe('cascade_cutoff_runs_avoided_total 31');
    cutoff = { enabled: true, outputsReads: 14, cutOff: 6, runsAvoided: 33 };
    at += 1_001; // one controls read serves a second of scrapes
    expect(await avoided()).toBe('cascade_cutoff_runs_avoided_total 33');
    cutoff = undefined;
    at += 1_001;
    expect(await avoided()).toBe('cascade_cutoff_runs_avoided_total 33');
    expect(errors).toHaveLength(1);
  });
});

describe('POST /api/cascades/{id}/resume', () => {
  it('resumes a paused cascade, says what paused it, and counts pauses in /metrics; refuses one not paused', async () => {
    const { app, source } = build();
    const pause = { since: 1_700_000_000_000, failures: 3, reason: '3 runs failed (CASCADE_MAX_FAILURES=3)' };
    source.pauses = [{ cascadeId: 'cascade-run-1', ...pause }];
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: bearer })).body).toMatch(
      /^cascade_paused_cascades 1$/m,
    );
    const resumed = await post(app, '/api/cascades/cascade-run-1/resume', { by: 'alice' });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json()).toEqual({
      cascadeId: 'cascade-run-1',
      by: 'alice',
      at: expect.any(Number),
      pause,
    });
    const again = await post(app, '/api/cascades/cascade-run-1/resume', { by: 'alice' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({ error: 'action_refused', message: 'cascade cascade-run-1 is not paused' });
  });
});
