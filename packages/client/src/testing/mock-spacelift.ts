import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { graphql, graphqlSync, print, type GraphQLSchema } from 'graphql';
import type { SpaceliftApi } from '../api.js';
import { GetRunDocument } from '../generated/graphql.generated.js';
import { Spacelift } from '../spacelift.js';
import type {
  Blueprint,
  BlueprintStackCreateOptions,
  Context,
  CreateContextInput,
  CreateSpaceInput,
  LabelChange,
  QueryOptions,
  Run,
  RunState,
  SearchStacksOptions,
  Space,
  Stack,
  StackDependencies,
  TriggerRunOptions,
} from '../types.js';
import type { SeedInput } from './seed-schema.js';
import { createSpaceliftSchema, type SpaceliftResolverContext } from './spacelift-schema.js';
import { SpaceliftStore, type RunStateListener } from './spacelift-store.js';

export interface MockSpaceliftOptions {
  /** Initial data; a `root` space always exists. */
  seed?: SeedInput;
  /** Share state with something else (e.g. a running simulator); `seed` is then added to it. */
  store?: SpaceliftStore;
  /** Recorded as `triggeredBy` of runs this mock triggers. Default `api::mock`. */
  identity?: string;
  /** Clock in milliseconds for a new store. */
  now?: () => number;
}

let sharedSchema: GraphQLSchema | undefined;
/** The executable schema is the same for every store (the store comes with each request). */
const spaceliftSchema = (): GraphQLSchema => (sharedSchema ??= createSpaceliftSchema());

const RUN_BY_ID = print(GetRunDocument);

/**
 * An in-memory Spacelift implementing {@link SpaceliftApi}, for unit tests.
 *
 * Every call goes through the real {@link Spacelift} client, whose `fetch` executes the
 * request in process against `schema.graphql` with the resolvers the simulator serves. So
 * documents, `queryFields` checks, results and typed errors are those of the HTTP client,
 * with no network. Runs do not move on their own: drive them with
 * {@link MockSpacelift.advanceRun}, {@link MockSpacelift.stepRun} or {@link MockSpacelift.finishRun}.
 */
export class MockSpacelift implements SpaceliftApi {
  /** The state behind this mock; share it with a simulator to see the same account. */
  readonly store: SpaceliftStore;
  readonly identity: string;
  private readonly client: Spacelift;

  constructor(options: MockSpaceliftOptions = {}) {
    this.identity = options.identity ?? 'api::mock';
    if (options.store) {
      this.store = options.store;
      if (options.seed) this.store.applySeed(options.seed);
    } else {
      this.store = new SpaceliftStore({ seed: options.seed, now: options.now });
    }
    this.client = new Spacelift({
      baseUrl: 'http://mock-spacelift.invalid',
      keyId: 'mock',
      keySecret: 'mock',
      fetch: (_url, init) => this.handle(init),
      retry: { retries: 0 },
    });
  }

  /** Adds spaces, stacks, contexts and blueprints (see `SeedSchema`). */
  seed(input: SeedInput): this {
    this.store.applySeed(input);
    return this;
  }

  getStacks(options?: QueryOptions): Promise<Partial<Stack>[]> {
    return this.client.getStacks(options);
  }

  getStackById(id: string, options?: QueryOptions): Promise<Partial<Stack> | null> {
    return this.client.getStackById(id, options);
  }

  searchStacks(options?: SearchStacksOptions): Promise<Partial<Stack>[]> {
    return this.client.searchStacks(options);
  }

  getStackDependencies(id: string): Promise<StackDependencies | null> {
    return this.client.getStackDependencies(id);
  }

  updateStackLabels(id: string, change: LabelChange): Promise<Stack> {
    return this.client.updateStackLabels(id, change);
  }

  deleteStack(id: string, options?: { destroyResources?: boolean }): Promise<{ id: string }> {
    return this.client.deleteStack(id, options);
  }

  getSpaces(options?: QueryOptions): Promise<Partial<Space>[]> {
    return this.client.getSpaces(options);
  }

  getSpaceById(id: string, options?: QueryOptions): Promise<Partial<Space> | null> {
    return this.client.getSpaceById(id, options);
  }

  createSpace(input: CreateSpaceInput): Promise<Space> {
    return this.client.createSpace(input);
  }

  deleteSpace(id: string): Promise<{ id: string; name: string }> {
    return this.client.deleteSpace(id);
  }

  getContexts(options?: QueryOptions): Promise<Partial<Context>[]> {
    return this.client.getContexts(options);
  }

  getContextById(id: string, options?: QueryOptions): Promise<Partial<Context> | null> {
    return this.client.getContextById(id, options);
  }

  createContext(input: CreateContextInput): Promise<Context> {
    return this.client.createContext(input);
  }

  deleteContext(id: string): Promise<{ id: string; name: string }> {
    return this.client.deleteContext(id);
  }

  getBlueprints(options?: QueryOptions): Promise<Partial<Blueprint>[]> {
    return this.client.getBlueprints(options);
  }

  getBlueprintById(id: string, options?: QueryOptions): Promise<Partial<Blueprint> | null> {
    return this.client.getBlueprintById(id, options);
  }

  createStackFromBlueprint(
    blueprintId: string,
    options: BlueprintStackCreateOptions,
  ): Promise<{ stackIds: string[]; runIds: string[] }> {
    return this.client.createStackFromBlueprint(blueprintId, options);
  }

  triggerRun(stackId: string, options?: TriggerRunOptions): Promise<Run> {
    return this.client.triggerRun(stackId, options);
  }

  getRun(stackId: string, runId: string): Promise<Run | null> {
    return this.client.getRun(stackId, runId);
  }

  getStackRuns(stackId: string): Promise<Run[] | null> {
    return this.client.getStackRuns(stackId);
  }

  execute<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables> | string,
    variables?: TVariables,
  ): Promise<TResult> {
    return this.client.execute(document, variables);
  }

  // --- test controls (synchronous: they touch the store directly) ---

  /** Moves a run straight to `state`, recorded in its history like any change. */
  advanceRun(stackId: string, runId: string, state: RunState): Run {
    this.store.transitionRun(stackId, runId, state);
    return this.readRun(stackId, runId);
  }

  /** Moves a run one step along its lifecycle; returns the run as it is afterwards. */
  stepRun(stackId: string, runId: string): Run {
    this.store.stepRun(stackId, runId);
    return this.readRun(stackId, runId);
  }

  /**
   * Moves a run through the rest of its lifecycle, ending as the stack's seeded `outcome`
   * says (FINISHED by default; FAILED after planning; UNCONFIRMED stays there).
   */
  finishRun(stackId: string, runId: string): Run {
    while (this.store.stepRun(stackId, runId));
    return this.readRun(stackId, runId);
  }

  /** Listens to every run state change; returns an unsubscribe function. */
  onRunStateChange(listener: RunStateListener): () => void {
    return this.store.onRunStateChange(listener);
  }

  // --- in-process transport ---

  private context(): SpaceliftResolverContext {
    return {
      store: this.store,
      identity: this.identity,
      login: (id) => ({ id, jwt: 'mock-jwt', validUntil: this.store.nowSeconds() + 3600 }),
    };
  }

  private async handle(init: RequestInit | undefined): Promise<Response> {
    // The client always sends a JSON string body.
    const request = JSON.parse(init?.body as string) as {
      query: string;
      operationName?: string | null;
      variables?: Record<string, unknown> | null;
    };
    const result = await graphql({
      schema: spaceliftSchema(),
      source: request.query,
      operationName: request.operationName,
      variableValues: request.variables,
      contextValue: this.context(),
    });
    return new Response(JSON.stringify(result), { headers: { 'content-type': 'application/json' } });
  }

  /** The run in the client's shape (`GetRun`'s selection), read synchronously. */
  private readRun(stackId: string, runId: string): Run {
    const result = graphqlSync({
      schema: spaceliftSchema(),
      source: RUN_BY_ID,
      variableValues: { stack: stackId, run: runId },
      contextValue: this.context(),
    });
    const data = JSON.parse(JSON.stringify(result.data)) as { stack: { run: Run } };
    return data.stack.run;
  }
}
