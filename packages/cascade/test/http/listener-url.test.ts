import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { listenerUrl } from '../../src/http/listener-url.js';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

describe('listenerUrl', () => {
  it.each([
    ['0.0.0.0', /^http:\/\/0\.0\.0\.0:\d+$/],
    ['127.0.0.1', /^http:\/\/127\.0\.0\.1:\d+$/],
    ['::1', /^http:\/\/\[::1\]:\d+$/],
  ])('names the address a server bound to %s listens on, with its real port', async (host, url) => {
    const app = Fastify();
    apps.push(app);
    // Fastify's own answer names 127.0.0.1 for 0.0.0.0: what the banner printed before.
    await app.listen({ host, port: 0 });
    expect(listenerUrl(app)).toMatch(url);
    expect(listenerUrl(app)).not.toMatch(/:0$/);
  });
});
