import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { signWebhookBody } from 'spacelift-client';
import { afterEach, describe, expect, it } from 'vitest';
import { PARENT_WORKFLOW } from '../../src/constants.js';
import { runStateSignal } from '../../src/coordinator-contract.js';
import {
  buildWebhookServer,
  webhookOpenApiDocument,
  type WebhookServerOptions,
} from '../../src/webhook/server.js';
import { WebhookMetrics } from '../../src/webhook/webhook-metrics.js';
import { ConfigError } from '../../src/config/config-error.js';
import { FakeCascadePort } from './fake-cascade-port.js';
import {
  TEST_ESTATE_ID,
  TEST_SECRET,
  cascadeOptions,
  exampleBody,
  lifecycleLines,
  signedHeaders,
} from './webhook-examples.js';

const RUN_STATE_SIGNAL = runStateSignal.name;

const servers: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function server(overrides: Partial<WebhookServerOptions> = {}) {
  const port = new FakeCascadePort();
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const app = buildWebhookServer({
    gateway: port,
    secrets: [TEST_SECRET],
    estateId: TEST_ESTATE_ID,
    taskQueue: 'test-queue',
    cascadeOptions,
    logger,
    ...overrides,
  });
  servers.push(app);
  return { app, port, logLines };
}

const post = (app: FastifyInstance, body: string, headers: Record<string, string> = signedHeaders(body)) =>
  app.inject({ method: 'POST', url: '/webhook', payload: body, headers });

describe('POST /webhook: every example body gets its action', () => {
  it.each([
    ['run-finished-tracked.json', 'signalled', '01EF9PFPNFFM2MQXTJKHK1B869'],
    ['notification-policy-run-updated.json', 'signalled', '01HZX4A1B2C3D4E5F6G7H8J9KA'],
    ['run-failed-tracked.json', 'signalled', '01HZX3M2R8W5N3P9C7D6E2F1GB'],
    ['run-finished-proposed.json', 'ignored', undefined],
    ['internal-error.json', 'ignored', undefined],
  ])('%s -> 202 %s', async (name, action, runId) => {
    const { app, port } = server();
    const res = await post(app, exampleBody(name));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual(runId ? { action, workflowId: TEST_ESTATE_ID } : { action });
    expect(port.observations.map((o) => o.runId)).toEqual(runId ? [runId] : []);
  });

  it('an event type we do not act on is 202 ignored, so Spacelift never disables the webhook for it', async () => {
    const { app, port } = server();
    const res = await post(app, JSON.stringify({ event_type: 'policy_evaluated_event', account: 'acme' }));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ action: 'ignored' });
    expect(port.calls).toEqual([]);
  });

  it('signals the coordinator with the observation and the options it starts with', async () => {
    const { app, port } = server();
    const body = JSON.stringify({
      ...JSON.parse(exampleBody('run-finished-tracked.json')),
      timestamp_millis: 1596979684567,
    });
    expect((await post(app, body)).statusCode).toBe(202);
    expect(port.calls).toEqual([
      {
        workflowType: PARENT_WORKFLOW,
        workflowId: TEST_ESTATE_ID,
        taskQueue: 'test-queue',
        args: [{ options: cascadeOptions }],
        signalName: RUN_STATE_SIGNAL,
        signalArgs: [
          {
            stackId: 'spacelift-demo',
            runId: '01EF9PFPNFFM2MQXTJKHK1B869',
            state: 'FINISHED',
            stateVersion: 4,
            runType: 'TRACKED',
            triggeredBy: 'marcinw@spacelift.io',
            createdAt: 1596979665,
            createdAtMs: null,
            at: 1596979684567,
            driftDetection: false,
            stackLabels: [],
            delta: { added: 0, changed: 0, deleted: 0 },
          },
        ],
      },
    ]);
  });

  it("answers the progress of the cascade's own runs at once; the run's end makes its held progress old news", async () => {
    const { app, port } = server({ ownIdentity: 'api::cascade-key' });
    const own = (line: string) =>
      JSON.stringify({
        ...JSON.parse(line),
        run: { ...JSON.parse(line).run, triggeredBy: 'api::cascade-key' },
      });
    const actions: string[] = [];
    for (const line of lifecycleLines())
      actions.push((await post(app, own(line))).json<{ action: string }>().action);
    expect(actions).toEqual(['forwarded', 'forwarded', 'ignored', 'ignored', 'ignored', 'signalled']);
    // QUEUED at once (the exact creation); PREPARING held, then superseded by the end
    // (dispatch-run-event.test.ts times the hold).
    expect(port.observations.map((o) => o.state)).toEqual(['QUEUED', 'FINISHED']);
    await app.close();
    expect(port.observations.map((o) => o.state)).toEqual(['QUEUED', 'FINISHED']);
  });

  it('sends held progress when it closes', async () => {
    const { app, port } = server({ ownIdentity: 'api::cascade-key' });
    const [, preparing] = lifecycleLines();
    const body = JSON.parse(preparing!);
    body.run.triggeredBy = 'api::cascade-key';
    expect((await post(app, JSON.stringify(body))).json<{ action: string }>().action).toBe('forwarded');
    expect(port.observations).toEqual([]);
    await app.close();
    expect(port.observations.map((o) => o.state)).toEqual(['PREPARING']);
  });

  it('answers each lifecycle line in order, signalling its significant states', async () => {
    const { app, port } = server();
    const actions: string[] = [];
    for (const line of lifecycleLines()) {
      const res = await post(app, line);
      expect(res.statusCode).toBe(202);
      actions.push(res.json<{ action: string }>().action);
    }
    expect(actions).toEqual(['signalled', 'signalled', 'ignored', 'ignored', 'ignored', 'signalled']);
    expect(port.observations.map((o) => o.state)).toEqual(['QUEUED', 'PREPARING', 'FINISHED']);
  });

  it('signals a redelivery again (the coordinator ignores what it already knows)', async () => {
    const { app, port } = server();
    const body = exampleBody('run-finished-tracked.json');
    expect((await post(app, body)).json()).toEqual({ action: 'signalled', workflowId: TEST_ESTATE_ID });
    expect((await post(app, body)).json()).toEqual({ action: 'signalled', workflowId: TEST_ESTATE_ID });
    expect(port.calls).toHaveLength(2);
    expect(port.calls[1]).toEqual(port.calls[0]);
    expect([...port.running]).toEqual([TEST_ESTATE_ID]);
  });

  it('signals the estate id it was built with', async () => {
    const { app, port } = server({ estateId: 'estate-eu' });
    const res = await post(app, exampleBody('run-finished-tracked.json'));
    expect(res.json()).toEqual({ action: 'signalled', workflowId: 'estate-eu' });
    expect(port.calls.map((c) => c.workflowId)).toEqual(['estate-eu']);
  });

  it('accepts application/json with a charset', async () => {
    const { app } = server();
    const body = exampleBody('run-finished-tracked.json');
    const res = await post(app, body, {
      ...signedHeaders(body),
      'content-type': 'application/json; charset=utf-8',
    });
    expect(res.statusCode).toBe(202);
  });
});

describe('POST /webhook: bad input gets its status and signals nothing', () => {
  const good = exampleBody('run-finished-tracked.json');
  const noRunId = JSON.stringify({ ...JSON.parse(good), run: { type: 'TRACKED' } });
  const wrongTypes = JSON.stringify({ ...JSON.parse(good), state: 3, timestamp: 'yesterday' });
  const huge = JSON.stringify({ ...JSON.parse(good), padding: 'x'.repeat(1024 * 1024 + 1) });
  const cases: Array<{
    name: string;
    body: string;
    headers: Record<string, string>;
    status: number;
    error: string;
    details?: string[];
  }> = [
    {
      name: 'truncated JSON',
      body: good.slice(0, 40),
      headers: signedHeaders(good.slice(0, 40)),
      status: 400,
      error: 'malformed_json',
    },
    { name: 'empty body', body: '', headers: signedHeaders(''), status: 400, error: 'malformed_json' },
    {
      name: 'wrong types',
      body: wrongTypes,
      headers: signedHeaders(wrongTypes),
      status: 400,
      error: 'invalid_payload',
      details: ['state', 'timestamp'],
    },
    {
      name: 'missing run id',
      body: noRunId,
      headers: signedHeaders(noRunId),
      status: 400,
      error: 'invalid_payload',
      details: ['run.id'],
    },
    {
      name: 'body over 1 MiB',
      body: huge,
      headers: signedHeaders(huge),
      status: 413,
      error: 'payload_too_large',
    },
    {
      name: 'text/plain content type',
      body: good,
      headers: { ...signedHeaders(good), 'content-type': 'text/plain' },
      status: 415,
      error: 'unsupported_media_type',
    },
    {
      name: 'form content type',
      body: good,
      headers: { ...signedHeaders(good), 'content-type': 'application/x-www-form-urlencoded' },
      status: 415,
      error: 'unsupported_media_type',
    },
    {
      name: 'bad signature',
      body: good,
      headers: { ...signedHeaders(good), 'x-signature-256': `sha256=${'0'.repeat(64)}` },
      status: 401,
      error: 'invalid_signature',
    },
    {
      name: 'malformed signature header',
      body: good,
      headers: { ...signedHeaders(good), 'x-signature-256': 'not-a-signature' },
      status: 401,
      error: 'invalid_signature',
    },
    {
      name: 'missing signature',
      body: good,
      headers: { 'content-type': 'application/json' },
      status: 401,
      error: 'invalid_signature',
    },
    {
      name: 'signature of a different body',
      body: good,
      headers: signedHeaders(exampleBody('run-failed-tracked.json')),
      status: 401,
      error: 'invalid_signature',
    },
    {
      name: 'signed with another secret',
      body: good,
      headers: signedHeaders(good, 'not-the-secret'),
      status: 401,
      error: 'invalid_signature',
    },
    {
      name: 'bad signature on malformed JSON (signature is checked first)',
      body: '{"state": ',
      headers: signedHeaders('{}'),
      status: 401,
      error: 'invalid_signature',
    },
  ];
  for (const c of cases) {
    it(`${c.name} -> ${c.status} ${c.error}`, async () => {
      const { app, port } = server();
      const res = await post(app, c.body, c.headers);
      expect(res.statusCode).toBe(c.status);
      const body = res.json<{ error: string; message: string; details?: Array<{ path: string }> }>();
      expect(body.error).toBe(c.error);
      expect(body.message.length).toBeGreaterThan(10);
      if (c.details) expect(body.details?.map((d) => d.path)).toEqual(c.details);
      expect(port.calls).toEqual([]);
    });
  }

  it('honours a configured body limit', async () => {
    const { app, port } = server({ bodyLimit: 100 });
    const res = await post(app, good);
    expect(res.statusCode).toBe(413);
    expect(port.calls).toEqual([]);
  });
});

describe('secret rotation', () => {
  it('accepts bodies signed with the old and with the new secret, and nothing else', async () => {
    const { app, port } = server({ secrets: ['old-secret', 'new-secret'] });
    const a = exampleBody('run-finished-tracked.json');
    const b = exampleBody('notification-policy-run-updated.json');
    expect((await post(app, a, signedHeaders(a, 'old-secret'))).statusCode).toBe(202);
    expect((await post(app, b, signedHeaders(b, 'new-secret'))).statusCode).toBe(202);
    expect((await post(app, a, signedHeaders(a, 'older-secret'))).statusCode).toBe(401);
    expect(port.calls).toHaveLength(2);
  });
});

describe('unsigned webhooks', () => {
  it('refuses to build without a secret unless unsigned webhooks are allowed', () => {
    expect(() => server({ secrets: [] })).toThrow(ConfigError);
    expect(() => server({ secrets: [''] })).toThrow(/SPACELIFT_WEBHOOK_SECRET/);
  });

  it('accepts unsigned webhooks when allowed, and warns about it', async () => {
    const { app, logLines } = server({ secrets: [], allowUnsigned: true });
    const body = exampleBody('run-finished-tracked.json');
    const res = await post(app, body, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ action: 'signalled', workflowId: TEST_ESTATE_ID });
    expect(logLines.some((l) => l.includes('UNSIGNED'))).toBe(true);
  });
});

describe('Temporal unreachable', () => {
  it('answers 503 with Retry-After, and /readyz is 503', async () => {
    const { app, port } = server({ retryAfterSeconds: 7 });
    port.unavailable = true;
    const res = await post(app, exampleBody('run-finished-tracked.json'));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.json()).toMatchObject({ error: 'temporal_unavailable' });
    expect(port.calls).toEqual([]);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ error: 'temporal_unavailable' });
  });
});

describe('logging', () => {
  it('logs an event summary and never the secret or the signature', async () => {
    const { app, logLines } = server();
    const body = exampleBody('run-finished-tracked.json');
    await post(app, body);
    await post(app, body, signedHeaders(body, 'wrong'));
    const summary = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.action === 'signalled');
    expect(summary).toMatchObject({
      runId: '01EF9PFPNFFM2MQXTJKHK1B869',
      stackId: 'spacelift-demo',
      state: 'FINISHED',
      stateVersion: 4,
      runType: 'TRACKED',
      action: 'signalled',
      workflowId: TEST_ESTATE_ID,
    });
    const all = logLines.join('\n');
    expect(all).not.toContain(TEST_SECRET);
    expect(all).not.toContain(signWebhookBody(TEST_SECRET, body).slice(7));
    expect(all).not.toContain(signWebhookBody('wrong', body).slice(7));
  });
});

describe('operational endpoints', () => {
  it('GET /healthz is alive; GET /readyz is 200 when Temporal answers', async () => {
    const { app } = server();
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });

  it('counts deliveries by outcome and action, with a latency histogram (served by the admin listener)', async () => {
    const metrics = new WebhookMetrics();
    const { app } = server({ metrics });
    const body = exampleBody('run-finished-tracked.json');
    const proposed = exampleBody('run-finished-proposed.json');
    await post(app, body);
    await post(app, body);
    await post(app, proposed);
    await post(app, body, signedHeaders(body, 'wrong'));
    const text = await metrics.registry.metrics();
    expect(text).toContain('cascade_webhooks_total{outcome="accepted",action="signalled"} 2');
    expect(text).toContain('cascade_webhooks_total{outcome="accepted",action="ignored"} 1');
    expect(text).toContain('cascade_webhooks_total{outcome="invalid_signature",action="none"} 1');
    expect(text).toContain('cascade_webhook_duration_seconds_count{outcome="accepted"} 3');
  });

  it('keeps metrics per server', async () => {
    const [a, b] = [new WebhookMetrics(), new WebhookMetrics()];
    server({ metrics: a });
    const other = server({ metrics: b });
    await post(other.app, exampleBody('run-finished-tracked.json'));
    expect(await a.registry.metrics()).not.toContain('action="signalled"');
    expect(await b.registry.metrics()).toContain('action="signalled"');
  });

  it('its OpenAPI document (published by the admin listener) has POST /webhook with its body and answers', async () => {
    const spec = (await webhookOpenApiDocument()) as unknown as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(spec.openapi).toMatch(/^3\./);
    const webhook = spec.paths['/webhook']?.post;
    expect(webhook?.requestBody).toBeDefined();
    expect(Object.keys(webhook?.responses ?? {})).toEqual(
      expect.arrayContaining(['202', '400', '401', '413', '415', '503']),
    );
    expect(JSON.stringify(webhook?.requestBody)).toContain('run_updated');
    expect(Object.keys(spec.paths).sort()).toEqual(['/healthz', '/readyz', '/webhook']);
  });

  it('unknown routes answer the JSON error body', async () => {
    const { app } = server();
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'not_found' });
  });
});

describe('the public listener serves nothing of the admin side', () => {
  it.each([
    ['GET', '/'],
    ['GET', '/dashboard/app.js'],
    ['GET', '/dashboard/vendor/dagre.js'],
    ['GET', '/api/estate'],
    ['GET', '/api/estate/states'],
    ['GET', '/api/stacks/network'],
    ['GET', '/api/cascades'],
    ['GET', '/api/cascades/cascade-1'],
    ['POST', '/api/cascades/cascade-1/cancel'],
    ['GET', '/api/status'],
    ['GET', '/docs'],
    ['GET', '/docs/'],
    ['GET', '/docs/json'],
    ['GET', '/openapi.json'],
    ['GET', '/metrics'],
    ['HEAD', '/metrics'],
  ] as const)('%s %s -> 404', async (method, url) => {
    const { app } = server();
    const res = await app.inject({
      method,
      url,
      headers: { authorization: 'Bearer admin-token-0123456789abcdef' },
    });
    expect(res.statusCode).toBe(404);
    if (method !== 'HEAD')
      expect(res.json()).toEqual({ error: 'not_found', message: `No route ${method} ${url}` });
  });
});

describe('rate limit', () => {
  it('answers 429 past the per-client limit, signalling nothing more', async () => {
    const { app, port } = server({ rateLimit: { max: 2, windowMs: 60_000 } });
    const lines = lifecycleLines();
    const statuses: number[] = [];
    for (const line of lines.slice(0, 3)) statuses.push((await post(app, line)).statusCode);
    expect(statuses).toEqual([202, 202, 429]);
    // QUEUED and PREPARING got through; the third delivery never reached the coordinator.
    expect(port.observations.map((o) => o.state)).toEqual(['QUEUED', 'PREPARING']);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
