import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type {
  Blueprint,
  BlueprintStackCreateOptions,
  Context,
  CreateContextInput,
  CreateSpaceInput,
  LabelChange,
  QueryOptions,
  Run,
  SearchStacksOptions,
  Space,
  Stack,
  StackDependencies,
  TriggerRunOptions,
} from './types.js';

/**
 * What both the HTTP client {@link Spacelift} and the in-memory `MockSpacelift` offer.
 * Code that talks to Spacelift should depend on this interface so tests can pass the mock.
 *
 * With `queryFields`, list and get methods return only the selected fields (hence `Partial`);
 * without it they return the documented default fields.
 */
export interface SpaceliftApi {
  /** Default fields: `id`, `space`. */
  getStacks(options?: QueryOptions): Promise<Partial<Stack>[]>;
  /** `null` when the stack does not exist or is not visible. Default fields: all of {@link Stack}. */
  getStackById(id: string, options?: QueryOptions): Promise<Partial<Stack> | null>;
  /** Pages through `searchStacks` (50 a page) and returns every match. */
  searchStacks(options?: SearchStacksOptions): Promise<Partial<Stack>[]>;
  /** Native Spacelift stack dependencies, both directions. `null` for an unknown stack. */
  getStackDependencies(id: string): Promise<StackDependencies | null>;
  /** Adds and removes labels (e.g. `dependsOn:<id>`) keeping every other stack setting. */
  updateStackLabels(id: string, change: LabelChange): Promise<Stack>;
  deleteStack(id: string, options?: { destroyResources?: boolean }): Promise<{ id: string }>;

  /** Default fields: `id`, `name`. */
  getSpaces(options?: QueryOptions): Promise<Partial<Space>[]>;
  getSpaceById(id: string, options?: QueryOptions): Promise<Partial<Space> | null>;
  createSpace(input: CreateSpaceInput): Promise<Space>;
  deleteSpace(id: string): Promise<{ id: string; name: string }>;

  /** Default fields: `id`, `name`. */
  getContexts(options?: QueryOptions): Promise<Partial<Context>[]>;
  getContextById(id: string, options?: QueryOptions): Promise<Partial<Context> | null>;
  createContext(input: CreateContextInput): Promise<Context>;
  deleteContext(id: string): Promise<{ id: string; name: string }>;

  /** Default fields: `id`, `name`. */
  getBlueprints(options?: QueryOptions): Promise<Partial<Blueprint>[]>;
  getBlueprintById(id: string, options?: QueryOptions): Promise<Partial<Blueprint> | null>;
  createStackFromBlueprint(
    blueprintId: string,
    options: BlueprintStackCreateOptions,
  ): Promise<{ stackIds: string[]; runIds: string[] }>;

  /** Triggers a run (TRACKED by default) and returns it as created (state QUEUED). */
  triggerRun(stackId: string, options?: TriggerRunOptions): Promise<Run>;
  /** `null` when the stack or the run does not exist. */
  getRun(stackId: string, runId: string): Promise<Run | null>;
  /** The stack's runs, newest first. `null` for an unknown stack. */
  getStackRuns(stackId: string): Promise<Run[] | null>;

  /** Raw GraphQL; typed when the document is a `TypedDocumentNode`. */
  execute<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables> | string,
    variables?: TVariables,
  ): Promise<TResult>;
}
