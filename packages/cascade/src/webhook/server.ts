import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { pino } from 'pino';
import { SIGNATURE_256_HEADER } from 'spacelift-client';
import { z } from 'zod';
import type { CascadeOptions } from '../cascade-contract.js';
import { MERGEABLE_SIGNALS } from '../coordinator-contract.js';
import { ConfigError } from '../config/config-error.js';
import { listenerUrl } from '../http/listener-url.js';
import { noRouteHandler } from '../http/no-route.js';
import { TemporalUnavailableError, type CascadePort } from './cascade-port.js';
import { dispatchRunEvent, type DispatchResult } from './dispatch-run-event.js';
import { parseWebhookPayload, webhookPayloadSchema } from './run-event.js';
import { webhookSecretProblem } from './webhook-config.js';
import { readSignedBody } from './signed-body.js';
import {
  UnsupportedContentEncodingError,
  WebhookPayloadError,
  WebhookRequestError,
} from './webhook-errors.js';
import { WebhookMetrics, type WebhookOutcome } from './webhook-metrics.js';
import { ProgressHold } from './progress-hold.js';
import { SignalBatcher } from './signal-batcher.js';

export interface WebhookServerOptions {
  /** Where cascades are started and run events routed (Temporal in production). */
  gateway: CascadePort;
  /** Accepted webhook secrets; several while rotating. */
  secrets: readonly string[];
  /** Accept unsigned webhooks when no secret is set (logs a warning); otherwise building refuses. */
  allowUnsigned?: boolean;
  /** The estate coordinator's workflow id. */
  estateId: string;
  taskQueue: string;
  /** Options the coordinator gets when a delivery starts it. */
  cascadeOptions: CascadeOptions;
  /**
   * `triggeredBy` of the cascade's own runs (the worker's API key): their progress deliveries
   * are answered without waiting for Temporal. Unset, every forwarded delivery waits.
   */
  ownIdentity?: string;
  /** The Spacelift account this receiver serves: a coordinator its delivery starts records it. */
  account?: string;
  /** Largest accepted body in bytes; default 1 MiB. */
  bodyLimit?: number;
  /** Requests per client IP per window on /webhook; max 0 (default) turns it off. */
  rateLimit?: { max: number; windowMs: number };
  /** Whole-request deadline; 0 disables. Default 30 s. */
  requestTimeoutMs?: number;
  /** Idle socket deadline; default 10 s. */
  connectionTimeoutMs?: number;
  /** `Retry-After` seconds of a 503 answer; default 5. */
  retryAfterSeconds?: number;
  logger?: FastifyBaseLogger;
  /**
   * Where deliveries are counted; the admin listener serves its registry on `/metrics`. Default:
   * a registry of this receiver alone.
   */
  metrics?: WebhookMetrics;
}

const errorBodySchema = z.object({
  error: z.string().describe('Machine-readable error code'),
  message: z.string().describe('What was wrong and how to fix it'),
  details: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .optional()
    .describe('Failing fields of the payload'),
});
type ErrorBody = z.infer<typeof errorBodySchema>;

const acceptedBodySchema = z.object({
  action: z.enum(['signalled', 'spooled', 'forwarded', 'ignored']),
  workflowId: z.string().optional().describe('The workflow signalled (the estate coordinator)'),
});

/** Fastify error codes mapped to our outcome, status and error code. */
const FASTIFY_ERRORS: Record<string, { outcome: WebhookOutcome; status: number; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    outcome: 'payload_too_large',
    status: 413,
    message: 'The body is larger than the configured limit (CASCADE_WEBHOOK_BODY_LIMIT)',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    outcome: 'unsupported_media_type',
    status: 415,
    message: 'Send the webhook with Content-Type: application/json',
  },
};

function toErrorAnswer(
  err: FastifyError | Error,
  retryAfterSeconds: number,
): { outcome: WebhookOutcome; status: number; body: ErrorBody } {
  if (err instanceof WebhookRequestError) {
    const body: ErrorBody = { error: err.code, message: err.message };
    if (err.details) body.details = err.details;
    return { outcome: err.code, status: err.statusCode, body };
  }
  if (err instanceof TemporalUnavailableError) {
    return {
      outcome: 'temporal_unavailable',
      status: 503,
      body: {
        error: 'temporal_unavailable',
        message: `Temporal is unreachable; nothing was started. Retry after ${retryAfterSeconds} s`,
      },
    };
  }
  const code = 'code' in err ? err.code : undefined;
  const known = code ? FASTIFY_ERRORS[code] : undefined;
  if (known)
    return {
      outcome: known.outcome,
      status: known.status,
      body: { error: known.outcome, message: known.message },
    };
  if ('statusCode' in err && err.statusCode === 429) {
    return { outcome: 'rate_limited', status: 429, body: { error: 'rate_limited', message: err.message } };
  }
  if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode < 500) {
    return {
      outcome: 'invalid_payload',
      status: err.statusCode,
      body: { error: 'bad_request', message: err.message },
    };
  }
  return {
    outcome: 'internal_error',
    status: 500,
    body: { error: 'internal_error', message: 'The webhook could not be handled; it can be redelivered' },
  };
}

/**
 * Every value sent for a header, in order (`rawHeaders` is [name, value, name, value, ...]):
 * Node joins repeated headers with ", ", which would hide that there were several.
 */
function headerCopies(rawHeaders: readonly string[], name: string): string[] {
  const copies: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === name) copies.push(rawHeaders[i + 1]!);
  }
  return copies;
}

/**
 * Builds the webhook receiver, the public listener: `POST /webhook` (signed Spacelift run
 * webhooks), `GET /healthz` and `GET /readyz`, nothing else (the dashboard, API, docs and metrics
 * are on the admin listener, `admin/admin-server.ts`). Its routes are documented by
 * {@link webhookOpenApiDocument}. Throws {@link ConfigError} when no secret is set and
 * unsigned webhooks were not explicitly allowed.
 */
export function buildWebhookServer(options: WebhookServerOptions): FastifyInstance {
  const secrets = options.secrets.filter((s) => s.length > 0);
  const secretProblem = webhookSecretProblem(secrets, options.allowUnsigned ?? false);
  if (secretProblem) throw new ConfigError([secretProblem]);
  const retryAfterSeconds = options.retryAfterSeconds ?? 5;
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const metrics = options.metrics ?? new WebhookMetrics();
  const logger = options.logger ?? pino({ level: 'info' });
  // Deliveries that come while a signal is in flight reach the coordinator together.
  const gateway = new SignalBatcher(options.gateway, MERGEABLE_SIGNALS);
  /** Signals of deliveries already answered: closing waits for them. */
  const backgroundSignals = new Set<Promise<unknown>>();
  const progressHold = new ProgressHold();

  const app = Fastify({
    loggerInstance: logger,
    bodyLimit,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    connectionTimeout: options.connectionTimeoutMs ?? 10_000,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onClose', async () => {
    progressHold.flush();
    await Promise.all(backgroundSignals);
  });

  if (secrets.length === 0) {
    app.log.warn(
      'No webhook secret is set: accepting UNSIGNED webhooks (CASCADE_ALLOW_UNSIGNED_WEBHOOKS=true)',
    );
  }

  void app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Spacelift Cascade webhook receiver',
        description: 'Receives Spacelift run webhooks and starts stack dependency cascades in Temporal',
        version: '0.1.0',
      },
    },
    transform: jsonSchemaTransform,
  });
  const rateLimit = options.rateLimit ?? { max: 0, windowMs: 60_000 };
  if (rateLimit.max > 0) void app.register(fastifyRateLimit, { global: false });

  // A known path asked with another method is 405 + Allow (RFC 9110), not "no route".
  const answerNoRoute = noRouteHandler(app);
  app.setNotFoundHandler(answerNoRoute);

  app.setErrorHandler((err: FastifyError, request, reply) => {
    // Without a route, a body error (e.g. QUERY without Content-Type) is still "no such route".
    if (request.is404) return answerNoRoute(request, reply);
    const answer = toErrorAnswer(err, retryAfterSeconds);
    if (request.routeOptions.url === '/webhook')
      metrics.record(answer.outcome, null, reply.elapsedTime / 1000);
    if (answer.status >= 500) request.log.error({ err, outcome: answer.outcome }, 'webhook not handled');
    else request.log.warn({ outcome: answer.outcome, status: answer.status }, answer.body.message);
    if (answer.status === 503) void reply.header('retry-after', String(retryAfterSeconds));
    return reply.code(answer.status).send(answer.body);
  });

  // Own scope: the raw-bytes JSON parser (needed for the signature) applies to /webhook only.
  void app.register((scope, _opts, done) => {
    scope.removeAllContentTypeParsers();
    // Nothing here decodes bodies: an encoded one would otherwise be read as JSON (or fail the
    // signature) and the error would point at the wrong cause.
    scope.addHook('onRequest', (request, _reply, done) => {
      const encoding = request.headers['content-encoding']?.trim();
      done(
        encoding && encoding.toLowerCase() !== 'identity'
          ? new UnsupportedContentEncodingError(encoding)
          : undefined,
      );
    });
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit },
      (request, raw, parsed) => {
        try {
          const signatures = headerCopies(request.raw.rawHeaders, SIGNATURE_256_HEADER);
          parsed(null, readSignedBody(raw, signatures, secrets));
        } catch (err) {
          parsed(err as Error, undefined);
        }
      },
    );

    scope.withTypeProvider<ZodTypeProvider>().post(
      '/webhook',
      {
        schema: {
          summary: 'Receive a Spacelift run webhook',
          description:
            'Signed with the X-Signature-256 header: sha256=<hex HMAC-SHA256(secret, raw body)>. A FINISHED TRACKED run starts a ' +
            'cascade of its dependent stacks; terminal states of runs a cascade waits for are routed to it.',
          body: webhookPayloadSchema,
          response: {
            202: acceptedBodySchema,
            400: errorBodySchema,
            401: errorBodySchema,
            413: errorBodySchema,
            415: errorBodySchema.describe('Not application/json, or a Content-Encoding other than identity'),
            429: errorBodySchema,
            500: errorBodySchema,
            503: errorBodySchema,
          },
        },
        // Only the body has a schema here; it is validated shape by shape so errors name the
        // fields of the intended payload instead of every union alternative.
        validatorCompiler: () => (data: unknown) => {
          const result = parseWebhookPayload(data);
          return result.ok ? { value: result.value } : { error: new WebhookPayloadError(result.issues) };
        },
        config:
          rateLimit.max > 0 ? { rateLimit: { max: rateLimit.max, timeWindow: rateLimit.windowMs } } : {},
      },
      async (request, reply) => {
        const payload = request.body;
        let result: DispatchResult;
        if (payload.kind === 'internal-error') {
          request.log.warn(
            { title: payload.title, error: payload.error, severity: payload.severity, action: 'ignored' },
            'Spacelift internal-error notification acknowledged',
          );
          result = { action: 'ignored', reason: 'internal-error notification' };
        } else if (payload.kind === 'other-event') {
          result = { action: 'ignored', reason: `event type ${payload.eventType} starts nothing` };
        } else {
          const { event } = payload;
          result = await dispatchRunEvent(event, gateway, {
            estateId: options.estateId,
            taskQueue: options.taskQueue,
            cascadeOptions: options.cascadeOptions,
            ownIdentity: options.ownIdentity,
            account: options.account,
            progressHold,
          });
          if (result.background) {
            const signal = result.background.catch((err: unknown) =>
              app.log.warn(
                { err, runId: event.runId, state: event.state },
                'a run progress delivery did not reach the coordinator; it polls the run when quiet',
              ),
            );
            backgroundSignals.add(signal);
            void signal.finally(() => backgroundSignals.delete(signal));
          }
          request.log.info(
            {
              runId: event.runId,
              stackId: event.stackId,
              state: event.state,
              stateVersion: event.stateVersion,
              runType: event.runType,
              action: result.action,
              workflowId: result.workflowId,
            },
            `webhook ${result.action}: ${result.reason}`,
          );
        }
        metrics.record('accepted', result.action, reply.elapsedTime / 1000);
        return reply
          .code(202)
          .send(
            result.workflowId
              ? { action: result.action, workflowId: result.workflowId }
              : { action: result.action },
          );
      },
    );
    done();
  });

  // Registered as a plugin so @fastify/swagger (loaded first) sees and documents these routes.
  void app.register((scope, _opts, done) => {
    scope.get(
      '/healthz',
      { schema: { summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok') }) } } },
      () => ({
        status: 'ok' as const,
      }),
    );

    scope.get(
      '/readyz',
      {
        schema: {
          summary: 'Readiness: Temporal answers',
          response: { 200: z.object({ status: z.literal('ready') }), 503: errorBodySchema },
        },
      },
      async () => {
        await gateway.checkReady();
        return { status: 'ready' as const };
      },
    );
    done();
  });

  return app;
}

/** An OpenAPI document as @fastify/swagger generates it. */
export type OpenApiDocument = Exclude<ReturnType<FastifyInstance['swagger']>, string>;

/** A receiver that is never listened on: what its OpenAPI document is generated from. */
const idlePort: CascadePort = {
  signalWithStart: () => Promise.reject(new TemporalUnavailableError('documentation only')),
  checkReady: () => Promise.resolve(),
};

/**
 * The OpenAPI document of the receiver's routes (`/webhook`, `/healthz`, `/readyz`), generated
 * from their schemas; the admin listener's `/openapi.json` includes it, since the public listener
 * serves no documentation.
 */
export async function webhookOpenApiDocument(): Promise<OpenApiDocument> {
  const app = buildWebhookServer({
    gateway: idlePort,
    secrets: [],
    allowUnsigned: true,
    estateId: 'documentation',
    taskQueue: 'documentation',
    // Never read: this receiver takes no delivery.
    cascadeOptions: {} as CascadeOptions,
    logger: pino({ level: 'silent' }),
  });
  try {
    await app.ready();
    return app.swagger();
  } finally {
    await app.close();
  }
}

/** Starts listening; resolves to the bound address (e.g. `http://0.0.0.0:8000`). */
export async function listenWebhookServer(
  app: FastifyInstance,
  at: { port: number; host: string },
): Promise<string> {
  await app.listen({ port: at.port, host: at.host });
  return listenerUrl(app);
}
