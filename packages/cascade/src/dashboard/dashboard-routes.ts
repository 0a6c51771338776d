import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyError, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { SpaceliftError } from 'spacelift-client';
import { z } from 'zod';
import type { StackView } from '../cascade-contract.js';
import { SUCCESS_STATE } from '../estate/run-states.js';
import { DashboardUnavailableError, type DashboardSource, type StackRun } from './dashboard-source.js';
import {
  cancelAnswerSchema,
  cascadeListQuerySchema,
  cascadeListSchema,
  cascadeViewSchema,
  estateSchema,
  estateStatesSchema,
  errorSchema,
  ID_MAX_LENGTH,
  idParamsSchema,
  stackDetailSchema,
} from './dashboard-schemas.js';
import { planFor } from '../graph/stack-plan.js';
import { estateProblems, mergeEstate, viewOf } from './estate-graph.js';
import { registerOperatorRoutes } from './operator-routes.js';

export interface DashboardOptions {
  source: DashboardSource;
  /** CASCADE_ADMIN_TOKEN: actions (cancel) need it as a bearer token; null offers none. */
  adminToken: string | null;
  labelPrefix: string;
}

/** Cascade counts before the coordinator runs (or from one started before they were counted). */
const NO_CASCADES = { running: 0, held: 0, blocked: 0 };

/** The answer of a route with an id in its path to an id that cannot be one (too long included). */
const idErrors = {
  400: errorSchema.describe(
    `The id is not a stack, cascade or run id (1 to ${ID_MAX_LENGTH} letters, digits, - _ . : @)`,
  ),
};

/** The page's files, shipped in this package's `dashboard/` folder (same path from src/ and dist/). */
const ASSETS_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));
const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'graph-view.js': 'text/javascript; charset=utf-8',
  'estate-view.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** dagre's self-contained ES module build, served from node_modules so the page works offline. */
function dagreModulePath(): string {
  const main = createRequire(import.meta.url).resolve('@dagrejs/dagre');
  return join(dirname(main), 'dagre.esm.js');
}

/** Timing-safe comparison of an `Authorization: Bearer <token>` header with the admin token. */
export function hasAdminBearer(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

/**
 * The dashboard: `GET /` (the page), its files, and the JSON API it reads (`/api/...`),
 * documented in /openapi.json; mounted on the admin listener (`admin/admin-server.ts`), which
 * guards it with the token and answers its bad requests and failures. Read-only unless an admin
 * token is configured.
 */
export function dashboardRoutes(options: DashboardOptions): FastifyPluginCallback {
  const { source } = options;
  const adminToken = options.adminToken && options.adminToken.length > 0 ? options.adminToken : null;

  /** Answers a request that may not act (403 actions off, 401 without the token) and says true. */
  const refuseAction = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (!adminToken) {
      void reply.code(403).send({
        error: 'actions_disabled',
        message: 'Actions are off: set CASCADE_ADMIN_TOKEN on the service to enable them',
      });
      return true;
    }
    if (!hasAdminBearer(request.headers.authorization, adminToken)) {
      void reply.code(401).header('www-authenticate', 'Bearer').send({
        error: 'unauthorized',
        message: 'Send the admin token as Authorization: Bearer <token>',
      });
      return true;
    }
    return false;
  };

  return (plain, _opts, done) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();

    scope.setErrorHandler((err: FastifyError, request, reply) => {
      if (err instanceof DashboardUnavailableError) {
        request.log.warn({ err }, 'dashboard query failed');
        return reply
          .code(503)
          .header('retry-after', '2')
          .send({ error: 'temporal_unavailable', message: err.message });
      }
      if ((err as unknown) instanceof SpaceliftError) {
        // A refused key or an unreachable account: said in words (GET /api/status has the remedy).
        request.log.warn({ err }, 'dashboard read of Spacelift failed');
        return reply
          .code(503)
          .header('retry-after', '5')
          .send({
            error: 'spacelift_unavailable',
            message: `Spacelift could not be read (${err.message}); GET /api/status says what to do`,
          });
      }
      // The rest (bad requests, failures) is answered by the server it is mounted on.
      throw err;
    });

    const page = (file: string, type: string) => async () => ({
      body: await readFile(join(ASSETS_DIR, file)),
      type,
    });
    const index = page('index.html', 'text/html; charset=utf-8');
    scope.get('/', { schema: { hide: true } }, async (_request, reply) => {
      const { body, type } = await index();
      return reply.type(type).header('cache-control', 'no-cache').send(body);
    });
    scope.get(
      '/dashboard/:file',
      { schema: { hide: true, params: z.object({ file: z.string() }) } },
      async (request, reply) => {
        const type = ASSETS[request.params.file];
        if (!type)
          return reply
            .code(404)
            .send({ error: 'not_found', message: `No dashboard file ${request.params.file}` });
        return reply
          .type(type)
          .header('cache-control', 'no-cache')
          .send(await readFile(join(ASSETS_DIR, request.params.file)));
      },
    );
    let dagre: Buffer | null = null;
    scope.get('/dashboard/vendor/dagre.js', { schema: { hide: true } }, async (_request, reply) => {
      dagre ??= await readFile(dagreModulePath());
      return reply
        .type('text/javascript; charset=utf-8')
        .header('cache-control', 'public, max-age=3600')
        .send(dagre);
    });

    const estateNow = async () => {
      const [graph, view] = await Promise.all([source.graph(), source.estate()]);
      return { graph, view, merged: mergeEstate(graph, view) };
    };

    scope.get(
      '/api/estate',
      {
        schema: {
          summary: 'The estate: every stack, its dependencies and state, and the problems found',
          tags: ['dashboard'],
          response: { 200: estateSchema, 503: errorSchema },
        },
      },
      async () => {
        const { graph, view, merged } = await estateNow();
        return {
          generatedAt: Date.now(),
          coordinator: view ? ('running' as const) : ('not-started' as const),
          graphSource: source.graphSource,
          account: source.account,
          graphVersion: merged.version,
          graphReadAt: view?.graphReadAt ?? null,
          labelPrefix: options.labelPrefix,
          stacks: merged.stacks.map((s) => ({
            id: s.id,
            name: s.name,
            space: s.space,
            labels: s.labels,
            upstreams: s.upstreams,
            nativeUpstreams: s.nativeUpstreams,
            view: s.view,
          })),
          problems: estateProblems(graph, view),
          activeCascades: view?.activeCascades ?? [],
          cascadeCounts: view?.cascadeCounts ?? NO_CASCADES,
          freeze: view?.freeze ?? null,
          window: view?.window ?? null,
          cutoff: view?.cutoff ?? null,
          actions: { cancel: adminToken !== null, control: adminToken !== null },
        };
      },
    );

    scope.get(
      '/api/estate/states',
      {
        schema: {
          summary: "Each stack's state only: what the page polls between graph changes",
          tags: ['dashboard'],
          response: { 200: estateStatesSchema, 503: errorSchema },
        },
      },
      async () => {
        const { view, merged } = await estateNow();
        const states: Record<string, StackView> = {};
        for (const s of merged.stacks) states[s.id] = s.view;
        return {
          generatedAt: Date.now(),
          coordinator: view ? ('running' as const) : ('not-started' as const),
          graphVersion: merged.version,
          states,
          activeCascades: view?.activeCascades ?? [],
          cascadeCounts: view?.cascadeCounts ?? NO_CASCADES,
          freeze: view?.freeze ?? null,
          window: view?.window ?? null,
        };
      },
    );

    scope.get(
      '/api/stacks/:id',
      {
        schema: {
          summary:
            'One stack: labels, upstreams and downstreams, recent runs, and what a change of it would trigger',
          tags: ['dashboard'],
          params: idParamsSchema,
          response: { 200: stackDetailSchema, ...idErrors, 404: errorSchema, 503: errorSchema },
        },
      },
      async (request, reply) => {
        const { id } = request.params;
        const { graph, view, merged } = await estateNow();
        const stack = merged.stacks.find((s) => s.id === id);
        if (!stack) {
          return reply.code(404).send({
            error: 'unknown_stack',
            message: `Stack "${id}" is not in the estate (or the API key cannot see it)`,
          });
        }
        let runs: StackRun[] | null = null;
        try {
          runs = await source.stackRuns(id);
        } catch (err) {
          request.log.warn(
            { err, stackId: id },
            'could not read the runs of a stack; showing the coordinator view',
          );
        }
        const current = viewOf(view, id);
        return {
          id: stack.id,
          name: stack.name,
          space: stack.space,
          labels: stack.labels,
          upstreams: stack.upstreams,
          downstreams: stack.downstreams,
          nativeUpstreams: stack.nativeUpstreams,
          view: current,
          runs: runs ?? coordinatorRuns(current),
          runsSource: runs ? ('spacelift' as const) : ('coordinator' as const),
          plan: planFor(graph.graph, id),
          problems: estateProblems(graph, view).filter((p) => p.stackIds.includes(id)),
        };
      },
    );

    scope.get(
      '/api/cascades',
      {
        schema: {
          summary: 'Recent cascades, running first, with progress counts',
          tags: ['dashboard'],
          querystring: cascadeListQuerySchema,
          response: { 200: cascadeListSchema, 400: errorSchema, 503: errorSchema },
        },
      },
      async (request) => ({ cascades: await source.cascades(request.query.limit) }),
    );

    scope.get(
      '/api/cascades/:id',
      {
        schema: {
          summary: 'One cascade (by its id or the id of a run in it): each stack, its runs and since when',
          tags: ['dashboard'],
          params: idParamsSchema,
          response: { 200: cascadeViewSchema, ...idErrors, 404: errorSchema, 503: errorSchema },
        },
      },
      async (request, reply) => {
        const cascade = await source.cascade(request.params.id);
        if (!cascade)
          return reply
            .code(404)
            .send({ error: 'unknown_cascade', message: `No cascade "${request.params.id}"` });
        const runs = Object.entries(cascade.stacks).flatMap(([stackId, s]) =>
          s.runs.map((r) => ({ stackId, runId: r.runId })),
        );
        return { ...cascade, runEndedAt: await source.runEnds(runs) };
      },
    );

    scope.post(
      '/api/cascades/:id/cancel',
      {
        schema: {
          summary: 'Cancel a cascade: no further stacks are triggered (admin)',
          description:
            'Needs CASCADE_ADMIN_TOKEN on the service, sent as `Authorization: Bearer <token>`. ' +
            'Without it set, actions are off (403).',
          tags: ['dashboard'],
          params: idParamsSchema,
          response: {
            202: cancelAnswerSchema,
            ...idErrors,
            401: errorSchema,
            403: errorSchema,
            404: errorSchema,
            409: errorSchema,
            503: errorSchema,
          },
        },
      },
      async (request, reply) => {
        if (refuseAction(request, reply)) return reply;
        const cascade = await source.cascade(request.params.id);
        if (!cascade)
          return reply
            .code(404)
            .send({ error: 'unknown_cascade', message: `No cascade "${request.params.id}"` });
        if (cascade.phase === 'completed' || cascade.phase === 'canceled') {
          return reply
            .code(409)
            .send({ error: 'cascade_ended', message: `Cascade ${cascade.id} has already ${cascade.phase}` });
        }
        await source.cancel(cascade.id);
        request.log.info({ cascadeId: cascade.id }, 'cascade cancel requested from the dashboard');
        return reply.code(202).send({ id: cascade.id, action: 'cancel-requested' as const });
      },
    );

    registerOperatorRoutes(plain, { source, refuse: refuseAction });

    done();
  };
}

/** Without a Spacelift API: the one run the coordinator follows for the stack, if any. */
function coordinatorRuns(view: StackView): StackRun[] {
  if (!('runId' in view)) return [];
  return [
    {
      id: view.runId,
      state: 'runState' in view ? view.runState : SUCCESS_STATE,
      type: null,
      createdAt: null,
      updatedAt: null,
      triggeredBy: null,
      title: null,
      commit: null,
      url: view.runUrl,
    },
  ];
}
