import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { signWebhookBody } from 'spacelift-client';
import { afterEach, describe, expect, it } from 'vitest';
import { buildWebhookServer } from '../../src/webhook/server.js';
import { FakeCascadePort } from './fake-cascade-port.js';
import { TEST_ESTATE_ID, TEST_SECRET, cascadeOptions, exampleBody } from './webhook-examples.js';

// Edge cases found by fuzzing the receiver (bench/fuzz): sent over real HTTP where the framing
// matters (repeated headers, raw bytes).

const servers: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function server() {
  const port = new FakeCascadePort();
  const app = buildWebhookServer({
    gateway: port,
    secrets: [TEST_SECRET],
    estateId: TEST_ESTATE_ID,
    taskQueue: 'test-queue',
    cascadeOptions,
    logger: pino({ level: 'silent' }),
  });
  servers.push(app);
  return { app, port };
}

/** One request over a real socket; array header values are sent as repeated header lines. */
async function send(
  app: FastifyInstance,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: Buffer | string,
): Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> }> {
  const url = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const body = exampleBody('run-finished-tracked.json');

describe('wrong method on a known path', () => {
  it.each([
    ['GET', '/webhook', 'POST'],
    ['TRACE', '/healthz', 'GET, HEAD'],
    ['DELETE', '/readyz', 'GET, HEAD'],
    // QUERY is a body method: without a Content-Type it failed body parsing first (400).
    ['QUERY', '/healthz', 'GET, HEAD'],
  ])('%s %s -> 405 with Allow: %s', async (method, path, allow) => {
    const { app } = server();
    const res = await app.inject({ method: method as 'GET', url: path });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.json()).toEqual({
      error: 'method_not_allowed',
      message: `${method} ${path} is not supported; use ${allow}`,
    });
  });

  it('an unknown path stays 404', async () => {
    const { app } = server();
    const res = await app.inject({ method: 'TRACE', url: '/nowhere' });
    expect(res.statusCode).toBe(404);
  });
});

describe('Content-Encoding', () => {
  it('a gzip body is refused with 415 naming the encoding, not a signature error', async () => {
    const { app, port } = server();
    const gz = gzipSync(body);
    const res = await send(
      app,
      'POST',
      '/webhook',
      {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'x-signature-256': signWebhookBody(TEST_SECRET, body),
      },
      gz,
    );
    expect(res.status).toBe(415);
    expect(res.json).toEqual({
      error: 'unsupported_media_type',
      message: 'Content-Encoding gzip is not supported: send the webhook body uncompressed',
    });
    expect(port.calls).toHaveLength(0);
  });

  it('an unknown encoding is refused even when the bytes are signed', async () => {
    const { app, port } = server();
    const res = await send(
      app,
      'POST',
      '/webhook',
      {
        'content-type': 'application/json',
        'content-encoding': 'br',
        'x-signature-256': signWebhookBody(TEST_SECRET, body),
      },
      body,
    );
    expect(res.status).toBe(415);
    expect(port.calls).toHaveLength(0);
  });

  it('identity is no encoding at all', async () => {
    const { app, port } = server();
    const res = await send(
      app,
      'POST',
      '/webhook',
      {
        'content-type': 'application/json',
        'content-encoding': 'identity',
        'x-signature-256': signWebhookBody(TEST_SECRET, body),
      },
      body,
    );
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ action: 'signalled', workflowId: TEST_ESTATE_ID });
    expect(port.observations.map((o) => o.runId)).toEqual(['01EF9PFPNFFM2MQXTJKHK1B869']);
  });
});

describe('repeated X-Signature-256', () => {
  it('is 401 saying the header came more than once, even when both copies are valid', async () => {
    const { app, port } = server();
    const sig = signWebhookBody(TEST_SECRET, body);
    const res = await send(
      app,
      'POST',
      '/webhook',
      { 'content-type': 'application/json', 'x-signature-256': [sig, sig] },
      body,
    );
    expect(res.status).toBe(401);
    expect(res.json).toEqual({
      error: 'invalid_signature',
      message: 'The X-Signature-256 header was sent 2 times: send exactly one signature',
    });
    expect(port.calls).toHaveLength(0);
  });
});
