import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { pino } from 'pino';
import { Gauge, Registry } from 'prom-client';
import { z } from 'zod';
import { DEFAULT_WEBHOOK_PORT } from '../constants.js';
import { dashboardRoutes, hasAdminBearer, type DashboardOptions } from '../dashboard/dashboard-routes.js';
import { errorSchema, ID_MAX_LENGTH } from '../dashboard/dashboard-schemas.js';
import { listenerUrl } from '../http/listener-url.js';
import { noRouteHandler } from '../http/no-route.js';
import { webhookOpenApiDocument, type OpenApiDocument } from '../webhook/server.js';
import { AdminExposureError, adminExposureProblem } from './admin-exposure.js';
import { registerControlMetrics } from './control-metrics.js';
import { serviceStatusSchema, type Problem, type ProblemSource } from './service-status.js';

export interface AdminServerOptions {
  /** CASCADE_ADMIN_HOST: beyond loopback only with `adminToken` (see {@link adminExposureProblem}). */
  host: string;
  /** CASCADE_ADMIN_PORT; 0 takes a free port. */
  port: number;
  /**
   * CASCADE_ADMIN_TOKEN. Set: `/api/*` and `/metrics` need it as `Authorization: Bearer <token>`
   * and actions are on. Null: all is open (loopback only) and actions are off.
   */
  adminToken: string | null;
  /** What the dashboard and its JSON API read. */
  dashboard: Omit<DashboardOptions, 'adminToken'>;
  /** The open problems `GET /api/status` and the `cascade_open_problems` gauge show. Default: none. */
  problems?: ProblemSource;
  /** Other registries `/metrics` serves beside the admin's own: the receiver's `WebhookMetrics.registry`. */
  metrics?: readonly Registry[];
  /** Where the receiver listens (e.g. `http://203.0.113.7:8000`): its routes' server in /openapi.json. */
  receiverUrl?: string;
  logger?: FastifyBaseLogger;
}

/** The admin listener: built, then started and stopped on its own. */
export interface AdminServer {
  readonly app: FastifyInstance;
  /** Listens on the configured host and port; resolves to the bound address, e.g. `http://127.0.0.1:8001`. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** Routes that need the admin token when one is set (their route pattern, not the raw URL). */
const needsToken = (route: string | undefined) =>
  route !== undefined && (route.startsWith('/api/') || route === '/metrics');

const SECURITY_SCHEME = 'adminToken';

/** The parts of an OpenAPI 3 document read and written here. */
interface DocumentParts {
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown> } & Record<string, unknown>;
}
type Operation = { responses?: Record<string, unknown> };

/**
 * The admin side's document with the receiver's routes added, each naming the receiver as its
 * server, and the token each gated operation needs.
 */
function documentBothSides<D extends object>(
  adminDocument: D,
  receiverDocument: OpenApiDocument | null,
  receiverServer: { url: string; description: string; variables?: Record<string, { default: string }> },
  tokenSet: boolean,
): D {
  const admin = adminDocument as DocumentParts;
  const receiver = receiverDocument as DocumentParts | null;
  const paths = { ...admin.paths };
  const unauthorized = {
    description: 'The admin token is missing or wrong',
    content: { 'application/json': { schema: z.toJSONSchema(errorSchema) } },
  };
  for (const [path, item] of Object.entries(paths)) {
    const gated = path.startsWith('/api/') || path === '/metrics';
    if (!gated) continue;
    const operations = Object.fromEntries(
      Object.entries(item).map(([method, value]) => {
        const operation = value as Operation;
        // Actions need the token even when reading does not.
        const secured = tokenSet || method === 'post';
        if (!secured) return [method, operation];
        return [
          method,
          {
            ...operation,
            security: [{ [SECURITY_SCHEME]: [] }],
            responses: { 401: unauthorized, ...operation.responses },
          },
        ];
      }),
    );
    paths[path] = operations;
  }
  for (const [path, item] of Object.entries(receiver?.paths ?? {})) {
    const operations = Object.fromEntries(
      Object.entries(item).map(([method, operation]) => [
        method,
        { ...(operation as object), tags: ['receiver'] },
      ]),
    );
    paths[path] = { servers: [receiverServer], ...operations };
  }
  return {
    ...adminDocument,
    paths,
    components: {
      ...admin.components,
      schemas: { ...receiver?.components?.schemas, ...admin.components?.schemas },
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          description: 'CASCADE_ADMIN_TOKEN of the service',
        },
      },
    },
  };
}

/**
 * Answers of requests refused before routing, in the API's error shape. A too long id is a bad
 * request like any id its schema refuses (400, documented), not an undocumented 414.
 */
function answerRoutingError(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const known: Record<string, string> = {
    FST_ERR_MAX_PARAM_LENGTH: `An id in the path is longer than ${ID_MAX_LENGTH} characters`,
    FST_ERR_BAD_URL: 'The path is not a valid URL: check its percent-encoding (UTF-8)',
  };
  const message = err.code ? known[err.code] : undefined;
  void (message
    ? reply.code(400).send({ error: 'bad_request', message })
    : reply.code(500).send({ error: 'internal_error', message: 'The request could not be routed' }));
}

/**
 * Builds the admin listener: the dashboard page (`/` and its files), its JSON API (`/api/*`),
 * `GET /api/status` (the service's open problems), `/docs` and `/openapi.json` (documenting both
 * listeners) and `/metrics` (Prometheus: the receiver's registry and `cascade_open_problems`).
 * Throws {@link AdminExposureError} for a non-loopback host without a token.
 */
export function buildAdminServer(options: AdminServerOptions): AdminServer {
  const adminToken = options.adminToken && options.adminToken.length > 0 ? options.adminToken : null;
  const exposure = adminExposureProblem(options.host, adminToken);
  if (exposure) throw new AdminExposureError(options.host, exposure);
  const problemSource: ProblemSource = options.problems ?? (() => []);
  const logger = options.logger ?? pino({ level: 'info' });

  const registry = new Registry();
  let openProblems: readonly Problem[] = [];
  const gatherProblems = async () => {
    openProblems = await problemSource();
    return openProblems;
  };
  new Gauge({
    name: 'cascade_open_problems',
    help: 'Problems the service reports on GET /api/status (0 when all is well)',
    registers: [registry],
    async collect() {
      try {
        await gatherProblems();
      } catch (err) {
        logger.warn({ err }, 'could not gather the open problems; the gauge keeps its last value');
      }
      this.set(openProblems.length);
    },
  });
  registerControlMetrics(registry, {
    read: () => options.dashboard.source.controls(),
    onError: (err) =>
      logger.warn({ err }, 'could not read the operator controls; their gauges keep their last values'),
  });
  // Built once: a metric name served twice is a wiring mistake, found at start.
  const served = Registry.merge([registry, ...(options.metrics ?? [])]);

  let receiverDocument: OpenApiDocument | null = null;
  const receiverServer = options.receiverUrl
    ? { url: options.receiverUrl, description: 'Public listener (HOST, PORT): the webhook receiver' }
    : {
        url: 'http://{host}:{port}',
        description: 'Public listener (HOST, PORT): the webhook receiver',
        variables: { host: { default: '127.0.0.1' }, port: { default: String(DEFAULT_WEBHOOK_PORT) } },
      };

  const app = Fastify({
    loggerInstance: logger,
    // Longer ids are refused before routing, shorter ones by their schema: 400 either way.
    routerOptions: { maxParamLength: ID_MAX_LENGTH },
    frameworkErrors: answerRoutingError,
    // Nothing here is worth draining on stop: an open page or a kept-alive client must not hold it.
    forceCloseConnections: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const answerNoRoute = noRouteHandler(app);
  app.setNotFoundHandler(answerNoRoute);
  app.setErrorHandler((err: FastifyError, request, reply) => {
    // Without a route, a body error (e.g. QUERY without Content-Type) is still "no such route".
    if (request.is404) return answerNoRoute(request, reply);
    if (err.validation || (typeof err.statusCode === 'number' && err.statusCode < 500)) {
      return reply.code(err.statusCode ?? 400).send({ error: 'bad_request', message: err.message });
    }
    request.log.error({ err }, 'admin request failed');
    return reply
      .code(500)
      .send({ error: 'internal_error', message: 'The request failed; see the service log' });
  });

  if (adminToken) {
    app.addHook('onRequest', async (request, reply) => {
      if (!needsToken(request.routeOptions.url)) return;
      if (hasAdminBearer(request.headers.authorization, adminToken)) return;
      return reply.code(401).header('www-authenticate', 'Bearer').send({
        error: 'unauthorized',
        message:
          'The admin API needs the admin token: send CASCADE_ADMIN_TOKEN as Authorization: Bearer <token>',
      });
    });
  }

  app.addHook('onReady', async () => {
    receiverDocument = await webhookOpenApiDocument();
  });
  void app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Spacelift Cascade',
        description:
          'Two listeners. The public one (HOST, PORT; default 0.0.0.0:8000) receives Spacelift run ' +
          'webhooks and answers health checks: the operations tagged "receiver", with their own server. ' +
          'The admin one (CASCADE_ADMIN_HOST, CASCADE_ADMIN_PORT; default 127.0.0.1:8001) serves the ' +
          'dashboard, this JSON API, these docs and /metrics; with CASCADE_ADMIN_TOKEN set, /api and ' +
          '/metrics need it as a bearer token, and actions always do.',
        version: '0.1.0',
      },
    },
    transform: jsonSchemaTransform,
    transformObject: (document) =>
      'openapiObject' in document
        ? documentBothSides(document.openapiObject, receiverDocument, receiverServer, adminToken !== null)
        : document.swaggerObject,
  });
  void app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  // Registered as plugins so @fastify/swagger (loaded first) documents their routes.
  void app.register(dashboardRoutes({ ...options.dashboard, adminToken }));
  void app.register((plain, _opts, done) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    scope.get(
      '/api/status',
      {
        schema: {
          summary: 'What is wrong with the service, in words, with what to do',
          description:
            '/readyz on the public listener only says whether webhooks are taken; this lists every open ' +
            'problem (Spacelift key, Temporal, worker, account binding, webhooks, configuration).',
          tags: ['admin'],
          response: { 200: serviceStatusSchema, 500: errorSchema },
        },
      },
      async () => {
        const problems = [...(await gatherProblems())];
        return { ok: problems.length === 0, problems };
      },
    );
    scope.get(
      '/metrics',
      { schema: { summary: 'Prometheus metrics of both listeners', tags: ['admin'] } },
      async (_request, reply) => reply.type(served.contentType).send(await served.metrics()),
    );
    done();
  });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

  return {
    app,
    listen: async () => {
      await app.listen({ host: options.host, port: options.port });
      return listenerUrl(app);
    },
    close: () => app.close(),
  };
}
