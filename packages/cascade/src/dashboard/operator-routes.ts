/**
 * The admin API's operator actions: freeze and unfreeze the estate, approve or reject a stack
 * awaiting approval in a cascade, resume a cascade its failure budget paused. Each needs the admin token
 * (`Authorization: Bearer <token>`; actions are off without CASCADE_ADMIN_TOKEN) and a name
 * (`by`: the token authorizes, the name labels); the coordinator validates it and answers, or
 * says why it refuses (409). Errors in the API's `{ error, message }` shape.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ActionRefusedError } from '../temporal/coordinator.js';
import type { DashboardSource } from './dashboard-source.js';
import {
  cascadeStackParamsSchema,
  decisionSchema,
  errorSchema,
  freezeAnswerSchema,
  freezeBodySchema,
  idParamsSchema,
  resumeAnswerSchema,
  unfreezeAnswerSchema,
  unfreezeBodySchema,
  verdictBodySchema,
} from './dashboard-schemas.js';

const ACTION_ERRORS = {
  400: errorSchema.describe('The body is not a valid request'),
  401: errorSchema,
  403: errorSchema.describe('Actions are off: CASCADE_ADMIN_TOKEN is not set on the service'),
  409: errorSchema.describe("The coordinator refused the action; the message says why (e.g. 'not frozen')"),
  503: errorSchema,
};

const TOKEN_NOTE =
  'Needs CASCADE_ADMIN_TOKEN on the service, sent as `Authorization: Bearer <token>` (403 without it set). ';

/** Runs an action: its answer, or the coordinator's refusal as a 409. */
async function act<T>(reply: FastifyReply, action: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof ActionRefusedError)
      return reply.code(409).send({ error: 'action_refused', message: err.message });
    throw err;
  }
}

/** Registers the operator actions (freeze, unfreeze, approve, reject, resume) on the dashboard's scope. */
export function registerOperatorRoutes(
  app: FastifyInstance,
  options: {
    source: DashboardSource;
    /** Answers a request that may not act (no token set, or not sent) and says true. */
    refuse: (request: FastifyRequest, reply: FastifyReply) => boolean;
  },
): void {
  const scope = app.withTypeProvider<ZodTypeProvider>();
  const { source, refuse } = options;

  scope.post(
    '/api/freeze',
    {
      schema: {
        summary: 'Freeze the estate: no trigger is decided until unfreeze or `until` (admin)',
        description:
          TOKEN_NOTE +
          'Runs already in flight go on and needs keep accumulating; unfreezing runs each waiting stack ' +
          'once, in order. It does not stop git pushes in Spacelift itself: lock stacks in Spacelift for that.',
        tags: ['operator'],
        body: freezeBodySchema,
        response: { 200: freezeAnswerSchema, ...ACTION_ERRORS },
      },
    },
    async (request, reply) => {
      if (refuse(request, reply)) return reply;
      const { by, reason, until } = request.body;
      return act(reply, async () => {
        const freeze = await source.freeze({
          by,
          reason: reason ?? null,
          until: until === undefined ? null : Date.parse(until),
        });
        request.log.info({ by, reason, until }, 'estate frozen from the admin API');
        return { freeze };
      });
    },
  );

  scope.post(
    '/api/unfreeze',
    {
      schema: {
        summary: 'Lift the freeze: each waiting stack runs once, in order (admin)',
        description: TOKEN_NOTE + 'Refused (409) when the estate is not frozen.',
        tags: ['operator'],
        body: unfreezeBodySchema,
        response: { 200: unfreezeAnswerSchema, ...ACTION_ERRORS },
      },
    },
    async (request, reply) => {
      if (refuse(request, reply)) return reply;
      return act(reply, async () => {
        const answer = await source.unfreeze(request.body.by);
        request.log.info(
          { by: answer.by, waiting: answer.waiting.length },
          'estate unfrozen from the admin API',
        );
        return answer;
      });
    },
  );

  for (const [action, verdict] of [
    ['approve', 'approved'],
    ['reject', 'rejected'],
  ] as const) {
    scope.post(
      `/api/cascades/:id/stacks/:stack/${action}`,
      {
        schema: {
          summary:
            verdict === 'approved'
              ? 'Approve a stack labelled cascade:approval in a cascade: it may run (admin)'
              : 'Reject a stack labelled cascade:approval in a cascade: it and what is below it end blocked (admin)',
          description:
            TOKEN_NOTE +
            'The verdict holds for that cascade (changes that join it need no new one; a new cascade does). ' +
            'Refused (409) for a stack without the label, not reached by the cascade, already run, or the same verdict twice.',
          tags: ['operator'],
          params: cascadeStackParamsSchema,
          body: verdictBodySchema,
          response: { 200: decisionSchema, ...ACTION_ERRORS },
        },
      },
      async (request, reply) => {
        if (refuse(request, reply)) return reply;
        const { id, stack } = request.params;
        const { by, note } = request.body;
        return act(reply, async () => {
          const decision = await source.decide(
            { cascadeId: id, stackId: stack, by, note: note ?? null },
            verdict,
          );
          request.log.info({ ...decision }, `stack ${verdict} from the admin API`);
          return decision;
        });
      },
    );
  }

  scope.post(
    '/api/cascades/:id/resume',
    {
      schema: {
        summary: 'Resume a cascade its failure budget (CASCADE_MAX_FAILURES) paused (admin)',
        description: TOKEN_NOTE + 'Its budget starts again; refused (409) when it is not paused.',
        tags: ['operator'],
        params: idParamsSchema,
        body: unfreezeBodySchema,
        response: { 200: resumeAnswerSchema, ...ACTION_ERRORS },
      },
    },
    async (request, reply) => {
      if (refuse(request, reply)) return reply;
      return act(reply, async () => {
        const answer = await source.resume({ cascadeId: request.params.id, by: request.body.by });
        request.log.info(
          { cascadeId: answer.cascadeId, by: answer.by },
          'cascade resumed from the admin API',
        );
        return answer;
      });
    },
  );
}
