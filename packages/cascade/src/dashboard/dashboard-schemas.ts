/** The dashboard's JSON API shapes: one zod schema per answer, documented in /openapi.json. */
import { z } from 'zod';
import type { StackState } from '../cascade-contract.js';
import { STACK_STATES } from '../estate/estate-views.js';

const runLink = {
  runId: z.string(),
  runUrl: z.string().describe('Link to the run in Spacelift (or the simulator)'),
};

/** One object per state; a cascade's stacks extend each with their runs (one object, one schema). */
const stackViewVariants = [
  z.object({ state: z.literal('idle') }),
  z.object({
    state: z.literal('waiting'),
    waitingFor: z.array(z.string()).describe('Upstreams that still need or run a run'),
  }),
  z.object({ state: z.literal('blocked'), blockedBy: z.string(), reason: z.string() }),
  z.object({ state: z.literal('cyclic'), cycle: z.string() }),
  z.object({ state: z.literal('triggering') }),
  z.object({ state: z.literal('queued'), ...runLink, runState: z.string() }),
  z.object({ state: z.literal('running'), ...runLink, runState: z.string() }),
  z.object({ state: z.literal('awaiting-confirmation'), ...runLink, runState: z.string() }),
  z.object({ state: z.literal('finished'), ...runLink }),
  z
    .object({ state: z.literal('deciding'), ...runLink })
    .describe('Its run finished; its outputs are read to decide whether it changed anything (early cutoff)'),
  z
    .object({
      state: z.literal('up-to-date'),
      ...runLink,
      reason: z.string().describe('"run <id> changed nothing", or "upstream <id>: run <id> changed nothing"'),
      spared: z
        .array(z.string())
        .describe('Stacks that no longer need a run because its run changed nothing'),
    })
    .describe(
      "A run that changed nothing (its own, or an upstream's: the run link is that run) made it up to date",
    ),
  z.object({ state: z.literal('failed'), ...runLink, runState: z.string() }),
  z.object({ state: z.literal('canceled'), reason: z.string() }),
  z.object({
    state: z.literal('held'),
    hold: z.enum(['freeze', 'window', 'approval', 'pause']).describe("What holds it: an operators' rule"),
    reason: z.string(),
    heldSince: z.number().describe('Unix ms the hold began'),
    cascadeId: z.string().optional().describe('The cascade whose approval (or pause) holds it'),
  }),
] as const;

const stackViewSchema = z
  .discriminatedUnion('state', stackViewVariants)
  .describe("A stack's state in the cascade model");

const stateName = z.enum(STACK_STATES as [StackState, ...StackState[]]);

const cascadePhaseSchema = z
  .enum(['running', 'held', 'blocked', 'completed', 'canceled'])
  .describe(
    'Under way: running, or held (it waits on a person or a rule: heldOn says on what). Ended: ' +
      'completed, blocked (all that was left waits on a failure, a cycle or a rejection), canceled',
  );

/** How a cascade relates to others. */
const cascadeLinks = {
  heldOn: z.array(z.string()).describe('What a held cascade waits on, in words; empty unless held'),
  resumes: z.array(z.string()).describe('Cascades that ended blocked whose stacks this one took over'),
  resumedBy: z.array(z.string()).describe('Cascades that took over stacks this one left blocked'),
  merged: z.array(z.string()).describe('Cascades merged into this one (a change reached both)'),
};

const problemSchema = z.object({
  kind: z.enum(['unknown-dependency', 'cycle', 'labels-and-native']),
  stackIds: z.array(z.string()),
  message: z.string(),
});

const estateStackSchema = z.object({
  id: z.string(),
  name: z.string(),
  space: z.string().nullable(),
  labels: z.array(z.string()),
  upstreams: z.array(z.string()).describe('Declared by dependsOn labels: the edges the cascade follows'),
  nativeUpstreams: z.array(z.string()).describe('Native Spacelift stack dependencies'),
  view: stackViewSchema,
});

const windowSchema = z
  .object({
    open: z.boolean(),
    next: z
      .object({
        start: z.number().describe('Unix ms'),
        end: z.number().describe('Unix ms'),
        opens: z.string().describe("In words, e.g. 'Mon 09:00 (Europe/Berlin)'"),
      })
      .nullable()
      .describe('Its next opening; null: none within the schedule the coordinator computed'),
  })
  .nullable()
  .describe(
    "The estate's change window (CASCADE_CHANGE_WINDOWS): while closed no trigger is decided; null without one",
  );

const freezeSchema = z
  .object({
    since: z.number().describe('Unix ms'),
    by: z.string().describe('Who froze it'),
    reason: z.string().nullable(),
    until: z.number().nullable().describe('Unix ms it lifts by itself; null: until someone unfreezes'),
  })
  .describe('A freeze of the estate: no trigger is decided while it holds; runs in flight go on');

const cascadeCountsSchema = z
  .object({ running: z.number(), held: z.number(), blocked: z.number() })
  .describe('Cascades by state: under way (running, held), and ended blocked with stacks still blocked');

const cutoffCountsSchema = z
  .object({
    enabled: z.boolean().describe('CASCADE_CUTOFF (and a coordinator started after early cutoff)'),
    outputsReads: z
      .number()
      .describe('Outputs reads answered: one per FINISHED run of a stack with dependents'),
    cutOff: z.number().describe('FINISHED runs that changed nothing: not a change for their dependents'),
    runsAvoided: z.number().describe('Needs withdrawn because the runs above them changed nothing'),
  })
  .describe('Early cutoff: counted by the coordinator since it started (carried through continue-as-new)');

export const estateSchema = z.object({
  generatedAt: z.number().describe('Unix ms'),
  coordinator: z
    .enum(['running', 'not-started'])
    .describe('not-started: no delivery or worker has started the estate coordinator yet'),
  graphSource: z
    .enum(['spacelift', 'coordinator'])
    .describe('spacelift: a read of every stack; coordinator: the stacks it knows, without edges'),
  account: z
    .string()
    .nullable()
    .describe(
      "The Spacelift account (SPACELIFT_BASE_URL's host) the coordinator serves; null when not known",
    ),
  graphVersion: z.string().describe('Changes when a stack, label or edge changes'),
  graphReadAt: z.number().nullable().describe("Unix ms of the coordinator's last full read"),
  labelPrefix: z.string(),
  stacks: z.array(estateStackSchema),
  problems: z.array(problemSchema),
  activeCascades: z.array(z.string()).describe('Cascades under way (running or held)'),
  cascadeCounts: cascadeCountsSchema,
  freeze: freezeSchema.nullable().describe('The freeze in force; null when not frozen'),
  window: windowSchema,
  cutoff: cutoffCountsSchema
    .nullable()
    .describe('Early cutoff; null before the coordinator runs (or from an older one)'),
  actions: z.object({
    cancel: z.boolean().describe('Whether cancelling is offered (CASCADE_ADMIN_TOKEN is set)'),
    control: z
      .boolean()
      .describe(
        'Whether the operator controls (freeze, unfreeze, approve, reject, resume) are offered (CASCADE_ADMIN_TOKEN is set)',
      ),
  }),
});

export const estateStatesSchema = z.object({
  generatedAt: z.number(),
  coordinator: z.enum(['running', 'not-started']),
  graphVersion: z.string(),
  states: z.record(z.string(), stackViewSchema),
  activeCascades: z.array(z.string()),
  cascadeCounts: cascadeCountsSchema,
  freeze: freezeSchema.nullable(),
  window: windowSchema,
});

const stackRunSchema = z.object({
  id: z.string(),
  state: z.string(),
  type: z.string().nullable(),
  createdAt: z.number().nullable().describe('Unix seconds'),
  updatedAt: z.number().nullable().describe('Unix seconds of the latest state change'),
  triggeredBy: z.string().nullable(),
  title: z.string().nullable(),
  commit: z.string().nullable(),
  url: z.string(),
});

const planSchema = z.object({
  root: z.string(),
  waves: z.array(z.array(z.string())).describe('Stacks a finished run of root would trigger, in order'),
  cycles: z.array(z.array(z.string())),
  unknownDependencies: z.array(z.object({ stackId: z.string(), dependsOn: z.string() })),
});

export const stackDetailSchema = z.object({
  id: z.string(),
  name: z.string(),
  space: z.string().nullable(),
  labels: z.array(z.string()),
  upstreams: z.array(z.string()),
  downstreams: z.array(z.string()),
  nativeUpstreams: z.array(z.string()),
  view: stackViewSchema,
  runs: z.array(stackRunSchema),
  runsSource: z
    .enum(['spacelift', 'coordinator'])
    .describe('spacelift: read from the API; coordinator: only the run the coordinator follows'),
  plan: planSchema,
  problems: z.array(problemSchema),
});

const cascadeRunSchema = z.object({
  runId: z.string(),
  state: z.string(),
  own: z.boolean(),
  at: z.number().describe('Unix ms the run was triggered or first seen'),
});

const [firstInCascade, ...restInCascade] = stackViewVariants.map((variant) =>
  variant.extend({
    runs: z.array(cascadeRunSchema),
    since: z.number().describe('Unix ms the stack entered its state'),
  }),
);

const pauseSchema = z
  .object({
    since: z.number().describe('Unix ms'),
    failures: z.number().describe('Runs of the cascade that failed'),
    reason: z.string().describe('e.g. "3 runs failed (CASCADE_MAX_FAILURES=3)"'),
  })
  .describe('The cascade paused itself: its failure budget (CASCADE_MAX_FAILURES) is spent');

const cascadeDetailSchema = z.object({
  id: z.string(),
  phase: cascadePhaseSchema,
  ...cascadeLinks,
  paused: pauseSchema.optional().describe('Set while it is paused by its failure budget'),
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  changes: z.array(
    z.object({
      stackId: z.string(),
      runId: z.string(),
      at: z.number(),
      joined: z.boolean().optional().describe('The change joined the cascade while it was under way'),
    }),
  ),
  // Not an intersection: its JSON Schema (allOf of two closed objects) would refuse every answer.
  stacks: z.record(
    z.string(),
    z
      .discriminatedUnion('state', [firstInCascade!, ...restInCascade])
      .describe("A stack's state in the cascade, its runs and since when"),
  ),
});

export const cascadeViewSchema = cascadeDetailSchema.extend({
  runEndedAt: z
    .record(z.string(), z.number())
    .describe("Unix ms each ended run of the cascade reached its terminal state (Spacelift's run history)"),
});

const cascadeSummarySchema = z.object({
  id: z.string(),
  phase: cascadePhaseSchema,
  ...cascadeLinks,
  startedAt: z.number(),
  endedAt: z.number().nullable(),
  roots: z.array(z.string()),
  joinedBy: z.array(z.string()).describe('Stacks of the changes that joined it while under way'),
  counts: z.record(stateName, z.number()),
  total: z.number(),
});

export const cascadeListSchema = z.object({ cascades: z.array(cascadeSummarySchema) });

/** Longest id in a path; a longer one is refused before routing (400, like any id that cannot be one). */
export const ID_MAX_LENGTH = 200;

const idField = z
  .string()
  .min(1)
  .max(ID_MAX_LENGTH)
  .regex(/^[\w.:@-]+$/, 'must be a stack, cascade or run id (letters, digits, - _ . : @)');

export const idParamsSchema = z.object({ id: idField });

/** A stack in a cascade: `/api/cascades/{id}/stacks/{stack}/...`. */
export const cascadeStackParamsSchema = z.object({ id: idField, stack: idField });

export const cascadeListQuerySchema = z.object({
  limit: z.coerce
    .number({ error: 'limit must be a whole number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(200, 'limit must be at most 200')
    .default(20),
});

export const cancelAnswerSchema = z.object({ id: z.string(), action: z.literal('cancel-requested') });

/** The API's error answer. */
export const errorSchema = z.object({
  error: z.string().describe('Machine-readable error code'),
  message: z.string().describe('What was wrong and how to fix it'),
});

/** Who acts: a name (the token authorizes, the name labels). */
const byField = z
  .string()
  .trim()
  .min(1, 'by must name who acts')
  .max(100, 'by must be at most 100 characters')
  .describe('Who acts: the name shown with the action (the token authorizes, the name labels)');

export const freezeBodySchema = z.strictObject({
  by: byField,
  reason: z.string().trim().max(500, 'reason must be at most 500 characters').optional(),
  until: z.iso
    .datetime({ offset: true, error: 'until must be an ISO 8601 time, e.g. 2026-05-04T16:00:00+02:00' })
    .optional()
    .describe('When the freeze lifts by itself (ISO 8601, in the future); absent: until unfreeze'),
});

export const unfreezeBodySchema = z.strictObject({ by: byField });

export const verdictBodySchema = z.strictObject({
  by: byField,
  note: z.string().trim().max(500, 'note must be at most 500 characters').optional(),
});

export const resumeAnswerSchema = z.object({
  cascadeId: z.string(),
  by: z.string(),
  at: z.number().describe('Unix ms'),
  pause: pauseSchema.describe('The pause it lifted'),
});

export const decisionSchema = z
  .object({
    cascadeId: z.string(),
    stackId: z.string(),
    verdict: z.enum(['approved', 'rejected']),
    by: z.string(),
    at: z.number().describe('Unix ms'),
    note: z.string().nullable(),
  })
  .describe('The verdict the coordinator recorded: it holds for that cascade');

export const freezeAnswerSchema = z.object({ freeze: freezeSchema });

export const unfreezeAnswerSchema = z.object({
  freeze: freezeSchema.describe('The freeze lifted'),
  by: z.string(),
  waiting: z.array(z.string()).describe('Stacks that waited and run now, each once, in order'),
});
