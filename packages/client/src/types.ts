/**
 * Domain types of the Spacelift API as this client returns them.
 * NOTE(bootstrap): hand-written placeholders; to be derived from the generated schema types
 * (schema.graphql is the single source of truth) keeping these names and shapes.
 */

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
] as const;
export type RunState = (typeof RUN_STATES)[number];

export const TERMINAL_RUN_STATES = [
  'FINISHED',
  'FAILED',
  'STOPPED',
  'CANCELED',
  'DISCARDED',
  'SKIPPED',
] as const;
export type TerminalRunState = (typeof TERMINAL_RUN_STATES)[number];
export const isTerminalRunState = (s: string): s is TerminalRunState =>
  (TERMINAL_RUN_STATES as readonly string[]).includes(s);

export type RunType = 'TRACKED' | 'PROPOSED' | 'TASK' | 'TESTING' | 'DESTROY';

export interface Space {
  id: string;
  name: string;
  description: string | null;
  parentSpace: string | null;
  inheritEntities: boolean;
  labels: string[];
}

export interface Stack {
  id: string;
  name: string;
  description: string | null;
  /** The space ID. */
  space: string;
  repository: string;
  branch: string;
  projectRoot: string | null;
  administrative: boolean;
  autodeploy: boolean;
  labels: string[];
  /** Mirrors the most recent tracked run (NONE when there is none). */
  state: string;
}

export interface ConfigElement {
  id: string;
  value: string | null;
  type: 'ENVIRONMENT_VARIABLE' | 'FILE_MOUNT';
  description: string | null;
  writeOnly: boolean;
}

export interface Context {
  id: string;
  name: string;
  description: string | null;
  labels: string[];
  space: string;
  config: ConfigElement[];
}

export interface Blueprint {
  id: string;
  name: string;
  description: string | null;
  state: 'DRAFT' | 'PUBLISHED';
  labels: string[];
  space: { id: string; name: string };
  template: { template: string };
}

export interface RunHistoryEntry {
  state: RunState;
  stateVersion: number;
  /** Unix seconds. */
  timestamp: number;
  terminal: boolean;
}

export interface Run {
  id: string;
  state: RunState;
  type: RunType;
  branch: string | null;
  /** Unix seconds. */
  createdAt: number;
  triggeredBy: string | null;
  title: string | null;
  commit: { hash: string; authorLogin: string | null; message: string | null; url: string | null } | null;
  history: RunHistoryEntry[];
}

export interface StackDependency {
  id: string;
  triggerAlways: boolean;
  stack: { id: string; name: string };
  dependsOnStack: { id: string; name: string };
}

export interface StackDependencies {
  id: string;
  dependsOn: StackDependency[];
  isDependedOnBy: StackDependency[];
}

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
  type?: 'ENVIRONMENT_VARIABLE' | 'FILE_MOUNT';
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
  runType?: 'TRACKED' | 'PROPOSED';
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
