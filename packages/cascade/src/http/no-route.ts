import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Methods a 405 answer may list in `Allow`, in that order. */
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** A route's URL pattern as a regular expression over request paths (`:id` one segment, `*` the rest). */
function pathPattern(url: string): RegExp {
  const segments = url.split('/').map((segment) => {
    if (segment.startsWith(':')) return '[^/]+';
    if (segment === '*') return '.*';
    return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${segments.join('/')}$`);
}

/**
 * The answer of a request no route takes: 405 with `Allow` when the path is known with another
 * method (RFC 9110; paths with parameters too), else 404; both with the JSON error body of our
 * APIs. Call it before registering routes: it watches them being added. Used by both listeners.
 */
export function noRouteHandler(app: FastifyInstance) {
  const routes: Array<{ method: string; pattern: RegExp }> = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const pattern = pathPattern(route.url);
    for (const method of methods) routes.push({ method: String(method), pattern });
  });
  return (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? request.url;
    const allow = HTTP_METHODS.filter((method) =>
      routes.some((route) => route.method === method && route.pattern.test(path)),
    );
    if (allow.length > 0) {
      return reply
        .code(405)
        .header('allow', allow.join(', '))
        .send({
          error: 'method_not_allowed',
          message: `${request.method} ${path} is not supported; use ${allow.join(', ')}`,
        });
    }
    return reply.code(404).send({ error: 'not_found', message: `No route ${request.method} ${request.url}` });
  };
}
