import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildWebhookServer } from '../../src/webhook/server.js';
import { FakeCascadePort } from './fake-cascade-port.js';
import { TEST_SECRET, cascadeOptions } from './webhook-examples.js';

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
    ownIdentity: 'api::01CASCADEKEY',
    taskQueue: 'test-queue',
    cascadeOptions,
    logger: pino({ level: 'silent' }),
  });
  servers.push(app);
  return { app, port };
}

describe('wrong method on a known path', () => {
  it.each([
    ['GET', '/webhook', 'POST'],
    ['TRACE', '/healthz', 'GET, HEAD'],
    ['DELETE', '/metrics', 'GET, HEAD'],
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
