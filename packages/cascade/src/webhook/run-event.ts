import { z } from 'zod';
import type { RunEvent } from '../cascade-contract.js';

/**
 * Webhook payload shapes Spacelift sends, and their normalisation into a {@link RunEvent}.
 * Pure: no I/O. Unknown extra fields are accepted and dropped, so additions on Spacelift's
 * side never break delivery.
 */

const NANOSECONDS_PER_SECOND = 1_000_000_000;
const NANOSECONDS_PER_MILLISECOND = 1_000_000;

const count = z.number().int().nonnegative();
/**
 * A run's `delta` (`resources` is the stack's total, not a change, and is not read). One that
 * does not read as counts is taken as absent, never a reason to refuse the delivery: early
 * cutoff then counts the run as a change.
 */
const runDeltaSchema = z
  .object({ added: count, changed: count, deleted: count })
  .nullish()
  .catch(null)
  .describe("What the run's plan added, changed and deleted; its stack's resource total is ignored");

/** Spacelift's default run state change payload (a webhook fires on every state change). */
const runWebhookPayloadSchema = z
  .object({
    account: z.string().nullish(),
    state: z.string().min(1).describe('Run state, e.g. QUEUED, APPLYING, FINISHED, FAILED'),
    stateVersion: z
      .number()
      .int()
      .nonnegative()
      .nullish()
      .describe('Grows with each state change of one run'),
    timestamp: z.number().nonnegative().describe('Unix seconds of the state change'),
    timestamp_millis: z.number().nonnegative().nullish().describe('Unix milliseconds of the state change'),
    run: z.object({
      id: z.string().min(1),
      type: z.string().min(1).describe('TRACKED, PROPOSED, TASK...'),
      branch: z.string().nullish(),
      commit: z.object({ hash: z.string().nullish() }).nullish(),
      createdAt: z.number().nonnegative().nullish().describe('Unix seconds the run was created'),
      driftDetection: z.boolean().nullish().describe('A drift-detection (reconciliation) run'),
      triggeredBy: z.string().nullish(),
      delta: runDeltaSchema,
    }),
    stack: z.object({
      id: z.string().min(1),
      name: z.string().nullish(),
      labels: z.array(z.string()).nullish(),
    }),
  })
  .describe("Spacelift's default run webhook payload");

/**
 * The notification-policy input (`run_updated`, snake_case, nanosecond timestamps) that users
 * forward as a custom webhook payload; it has no state version.
 */
const notificationPolicyPayloadSchema = z
  .object({
    account: z.object({ name: z.string().nullish() }).nullish(),
    run_updated: z.object({
      state: z.string().min(1),
      run: z.object({
        id: z.string().min(1),
        type: z.string().min(1),
        branch: z.string().nullish(),
        commit: z.object({ hash: z.string().nullish() }).nullish(),
        triggered_by: z.string().nullish(),
        created_at: z.number().nonnegative().nullish().describe('Unix nanoseconds'),
        updated_at: z.number().nonnegative().describe('Unix nanoseconds'),
        drift_detection: z.boolean().nullish(),
      }),
      stack: z.object({
        id: z.string().min(1),
        name: z.string().nullish(),
        labels: z.array(z.string()).nullish(),
        space: z.object({ id: z.string().nullish() }).nullish(),
      }),
    }),
  })
  .describe('Notification-policy run_updated input forwarded as a custom payload');

/** An internal-error notification: acknowledged, never acted on. */
const internalErrorPayloadSchema = z
  .object({
    title: z.string(),
    error: z.string(),
    severity: z.string().nullish(),
    body: z.string().nullish(),
    account: z.string().nullish(),
  })
  .describe('Internal-error notification');

/** A body after validation: a run state change, or an internal error to acknowledge. */
export type WebhookEvent =
  | { kind: 'run'; event: RunEvent }
  | { kind: 'internal-error'; title: string; error: string; severity: string | null }
  | { kind: 'other-event'; eventType: string };

/** The `event_type` of run state deliveries; other event types are acknowledged and ignored. */
const RUN_STATE_EVENT_TYPE = 'run_state_changed_event';

/** One failing field: a dotted path (`run.id`, `stack.labels[2]`, `(root)`) and what is wrong. */
export interface PayloadIssue {
  path: string;
  message: string;
}

export type ParseWebhookResult = { ok: true; value: WebhookEvent } | { ok: false; issues: PayloadIssue[] };

type PayloadShape = 'run' | 'notification-policy' | 'internal-error' | 'other-event';

/**
 * Picks the shape by its distinguishing keys, so a bad body gets errors for the shape it was
 * meant to be instead of a union error listing every alternative.
 */
function detectShape(body: unknown): PayloadShape {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'run';
  // An event we do not act on must still be answered 2xx: Spacelift disables failing webhooks.
  const eventType = (body as { event_type?: unknown }).event_type;
  if (typeof eventType === 'string' && eventType !== RUN_STATE_EVENT_TYPE) return 'other-event';
  if ('run_updated' in body) return 'notification-policy';
  if (!('run' in body) && !('state' in body) && 'error' in body) return 'internal-error';
  return 'run';
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}

function toIssues(error: z.ZodError): PayloadIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

function fromRunPayload(p: z.output<typeof runWebhookPayloadSchema>): WebhookEvent {
  return {
    kind: 'run',
    event: {
      runId: p.run.id,
      stackId: p.stack.id,
      state: p.state,
      stateVersion: p.stateVersion ?? null,
      runType: p.run.type,
      branch: p.run.branch ?? null,
      commitSha: p.run.commit?.hash ?? null,
      timestamp: p.timestamp,
      timestampMillis: p.timestamp_millis ?? null,
      runCreatedAt: p.run.createdAt ?? null,
      driftDetection: p.run.driftDetection ?? false,
      spaceId: null,
      stackName: p.stack.name ?? null,
      stackLabels: p.stack.labels ?? null,
      account: p.account ?? null,
      triggeredBy: p.run.triggeredBy ?? null,
      delta: p.run.delta
        ? { added: p.run.delta.added, changed: p.run.delta.changed, deleted: p.run.delta.deleted }
        : null,
    },
  };
}

function fromNotificationPolicy(p: z.output<typeof notificationPolicyPayloadSchema>): WebhookEvent {
  const { run, stack, state } = p.run_updated;
  return {
    kind: 'run',
    event: {
      runId: run.id,
      stackId: stack.id,
      state,
      stateVersion: null,
      runType: run.type,
      branch: run.branch ?? null,
      commitSha: run.commit?.hash ?? null,
      timestamp: Math.floor(run.updated_at / NANOSECONDS_PER_SECOND),
      timestampMillis: Math.floor(run.updated_at / NANOSECONDS_PER_MILLISECOND),
      runCreatedAt: run.created_at == null ? null : Math.floor(run.created_at / NANOSECONDS_PER_SECOND),
      driftDetection: run.drift_detection ?? false,
      spaceId: stack.space?.id ?? null,
      stackName: stack.name ?? null,
      stackLabels: stack.labels ?? null,
      account: p.account?.name ?? null,
      triggeredBy: run.triggered_by ?? null,
      // The notification-policy input has no delta: early cutoff counts such runs as changes.
      delta: null,
    },
  };
}

function fromInternalError(p: z.output<typeof internalErrorPayloadSchema>): WebhookEvent {
  return { kind: 'internal-error', title: p.title, error: p.error, severity: p.severity ?? null };
}

/** Any delivery whose `event_type` is not a run state change. */
const otherEventPayloadSchema = z
  .object({ event_type: z.string().min(1) })
  .describe('Another Spacelift event type: acknowledged, never acted on');

const normalisingSchemas = {
  run: runWebhookPayloadSchema.transform(fromRunPayload),
  'notification-policy': notificationPolicyPayloadSchema.transform(fromNotificationPolicy),
  'internal-error': internalErrorPayloadSchema.transform(fromInternalError),
  'other-event': otherEventPayloadSchema.transform((p): WebhookEvent => ({
    kind: 'other-event',
    eventType: p.event_type,
  })),
} satisfies Record<PayloadShape, z.ZodType<WebhookEvent>>;

/**
 * Every body the webhook accepts, normalised to a {@link WebhookEvent}. It documents the
 * endpoint; {@link parseWebhookPayload} validates with it member by member for precise errors.
 */
export const webhookPayloadSchema = z.union([
  normalisingSchemas.run,
  normalisingSchemas['notification-policy'],
  normalisingSchemas['internal-error'],
  normalisingSchemas['other-event'],
]);

/** Validates a parsed JSON body and normalises it; failures list every failing field path. */
export function parseWebhookPayload(body: unknown): ParseWebhookResult {
  const result = normalisingSchemas[detectShape(body)].safeParse(body);
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toIssues(result.error) };
}
