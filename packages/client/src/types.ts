/**
 * Domain types of the Spacelift API as this client returns them. They are derived from the
 * types generated from schema.graphql and src/operations (the single source of truth), so a
 * schema or document change shows up here at compile time.
 */
import type {
  BlueprintFieldsFragment,
  ConfigType,
  CreateContextMutation,
  GetStackDependenciesQuery,
  GetStackOutputsQuery,
  RunFieldsFragment,
  RunState as SchemaRunState,
  RunType as SchemaRunType,
  SpaceFieldsFragment,
  StackDependencyFieldsFragment,
  StackFieldsFragment,
  StackWebhookFieldsFragment,
} from './generated/graphql.generated.js';

export type RunState = SchemaRunState;
export type RunType = SchemaRunType;

export const RUN_STATES = [
  'QUEUED',
  'PREPARING',
  'INITIALIZING',
  'PLANNING',
  'UNCONFIRMED',
  'CONFIRMED',
  'APPLYING',
  'PERFORMING',
  'DESTROYING',
  'PREPARING_APPLY',
  'PREPARING_REPLAN',
  'REPLAN_REQUESTED',
  'READY',
  'PENDING_REVIEW',
  'PENDING',
  'FINISHED',
  'FAILED',
  'STOPPED',
  'CANCELED',
  'DISCARDED',
  'SKIPPED',
] as const satisfies readonly RunState[];
// Fails to compile when the schema gains a run state this list lacks.
const _allRunStatesListed: Exclude<RunState, (typeof RUN_STATES)[number]> extends never ? true : never = true;

export const TERMINAL_RUN_STATES = [
  'FINISHED',
  'FAILED',
  'STOPPED',
  'CANCELED',
  'DISCARDED',
  'SKIPPED',
] as const satisfies readonly RunState[];
export type TerminalRunState = (typeof TERMINAL_RUN_STATES)[number];
export const isTerminalRunState = (s: string): s is TerminalRunState =>
  (TERMINAL_RUN_STATES as readonly string[]).includes(s);

export type Space = SpaceFieldsFragment;

/** `space` is the space ID; `state` mirrors the most recent tracked run (NONE when there is none). */
export type Stack = StackFieldsFragment;

type CreatedContext = CreateContextMutation['contextCreateV2'];
export type ConfigElement = CreatedContext['config'][number];
export type Context = CreatedContext;

export type Blueprint = BlueprintFieldsFragment;

/** `timestamp` is unix seconds. */
export type RunHistoryEntry = RunFieldsFragment['history'][number];
/** `createdAt` is unix seconds; `delta` is null until planning has ended. */
export type Run = RunFieldsFragment;
/**
 * What a run's plan adds, changes and deletes (`addCount`, `changeCount`, `deleteCount`; the
 * webhook payload's `added`, `changed`, `deleted`). `resources` is the stack's total, not a change.
 */
export type RunDelta = NonNullable<Run['delta']>;

export type StackDependency = StackDependencyFieldsFragment;
export type StackDependencies = NonNullable<GetStackDependenciesQuery['stack']>;

/**
 * A webhook integration of a stack: Spacelift POSTs the stack's run state changes to
 * `endpoint`, signed with its secret. Spacelift disables it (`enabled: false`) after 10
 * failed deliveries in a row. `secret` reads as an empty string: Spacelift no longer returns
 * it, so compare secrets you set, not what you read. `retryOnFailure` may be null (unset).
 */
export type StackWebhook = StackWebhookFieldsFragment;

/** What to create or update a stack webhook with. */
export interface StackWebhookInput {
  endpoint: string;
  /** Signs each delivery (`X-Signature-256`); empty for unsigned deliveries. */
  secret: string;
  /** Default true. */
  enabled?: boolean;
  /** Redeliver after a failed delivery; Spacelift's default is false. */
  retryOnFailure?: boolean;
}

/**
 * An output of a stack (from its last tracked run that applied). `value` is a string (JSON
 * for non-string outputs) and null for a sensitive output: the API does not reveal it.
 */
export type StackOutput = NonNullable<GetStackOutputsQuery['stack']>['outputs'][number];

/** Fields to select: plain names (`id`) or nested selections (`config { id value }`). */
export type QueryFields = readonly string[];
export interface QueryOptions {
  queryFields?: QueryFields;
}

export interface CreateSpaceInput {
  name: string;
  parentSpaceId: string;
  description?: string;
  labels?: string[];
  inheritEntities?: boolean;
}

export interface ContextEnvVarInput {
  id: string;
  value: string;
  type?: ConfigType;
  writeOnly?: boolean;
  description?: string;
}

export interface CreateContextInput {
  name: string;
  spaceId: string;
  description?: string;
  labels?: string[];
  envvars?: ContextEnvVarInput[];
}

export interface BlueprintStackCreateOptions {
  inputs: Array<{ id: string; value: string }>;
}

export interface TriggerRunOptions {
  runType?: Extract<RunType, 'TRACKED' | 'PROPOSED'>;
  commitSha?: string;
}

export interface SearchStacksOptions extends QueryOptions {
  /** Every label must match (stringMatches predicate on `label`). */
  labels?: string[];
  fullTextSearch?: string;
  /** Page size; Spacelift's own clients use 50. */
  pageSize?: number;
}

export interface LabelChange {
  add?: string[];
  remove?: string[];
}
