import type { FastifyInstance } from 'fastify';

/**
 * The address a listening server is bound to, as a URL (`http://0.0.0.0:8000`,
 * `http://[::1]:8001`): what the banner prints, unlike Fastify's `listen()` answer, which names
 * 127.0.0.1 for a server bound to every interface.
 */
export function listenerUrl(app: FastifyInstance): string {
  const address = app.server.address();
  if (address === null || typeof address === 'string') return `http://${String(address)}`;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
