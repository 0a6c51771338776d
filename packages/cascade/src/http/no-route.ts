import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Methods a 405 answer may list in `Allow`, in that order. */
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * The answer of a request no route takes: 405 with `Allow` when the path is known with another
 * method (RFC 9110), else 404; both with the JSON error body of our APIs. Used by both listeners.
 */
export function noRouteHandler(app: FastifyInstance) {
  return (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? request.url;
    const allow = HTTP_METHODS.filter((method) => app.hasRoute({ method, url: path }));
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
