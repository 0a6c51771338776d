import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { graphql, GraphQLError, graphqlSync, print, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { SpaceliftApi } from '../api.js';
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
import { SpaceliftStoreError } from './store-error.js';

/** Fields returned when no `queryFields` are given (the same as the HTTP client's). */
export const DEFAULT_FIELDS = {
  stacks: ['id', 'space'],
  stack: [
    'id',
    'name',
    'description',
    'space',
    'repository',
    'branch',
    'projectRoot',
    'administrative',
    'autodeploy',
    'labels',
    'state',
  ],
  searchStacks: ['id', 'name', 'description', 'space', 'labels', 'state'],
  spaces: ['id', 'name'],
  space: ['id', 'name', 'description', 'parentSpace', 'inheritEntities', 'labels'],
  contexts: ['id', 'name'],
  context: ['id', 'name', 'description', 'labels', 'space', 'config { id value type description writeOnly }'],
  blueprints: ['id', 'name'],
  blueprint: ['id', 'name', 'description', 'state', 'labels', 'space { id name }', 'template { template }'],
  run: [
    'id',
    'state',
    'type',
    'branch',
    'createdAt',
    'triggeredBy',
    'title',
    'commit { hash authorLogin message url }',
    'history { state stateVersion timestamp terminal }',
  ],
} as const;

const RUN_BY_ID = `query($stack: ID!, $run: ID!) { stack(id: $stack) { run(id: $run) { ${DEFAULT_FIELDS.run.join(' ')} } } }`;

const DEPENDENCY_FIELDS = 'id triggerAlways stack { id name } dependsOnStack { id name }';

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
const spaceliftSchema = (): GraphQLSchema => (sharedSchema ??= createSpaceliftSchema());

/** Finds the store error behind a GraphQL error, so callers get the typed error back. */
function storeErrorOf(error: GraphQLError): SpaceliftStoreError {
  for (let e: unknown = error; e instanceof Error; e = (e as { originalError?: unknown }).originalError) {
    if (e instanceof SpaceliftStoreError) return e;
    if (!(e instanceof GraphQLError)) break;
  }
  return new SpaceliftStoreError('GRAPHQL', error.message);
}

/**
 * An in-memory Spacelift implementing {@link SpaceliftApi}, for unit tests. It executes
 * GraphQL against the same schema and resolvers the simulator serves, so `queryFields`,
 * `execute` and errors behave as they do over HTTP. Runs do not move on their own: tests
 * drive them with {@link MockSpacelift.advanceRun} / {@link MockSpacelift.finishRun}.
 */
export class MockSpacelift implements SpaceliftApi {
  readonly store: SpaceliftStore;
  readonly identity: string;

  constructor(options: MockSpaceliftOptions = {}) {
    this.identity = options.identity ?? 'api::mock';
    if (options.store) {
      this.store = options.store;
      if (options.seed) this.store.applySeed(options.seed);
    } else {
      this.store = new SpaceliftStore({ seed: options.seed, now: options.now });
    }
  }

  /** Adds spaces, stacks, contexts and blueprints (see `SeedSchema`). */
  seed(input: SeedInput): this {
    this.store.applySeed(input);
    return this;
  }

  // --- stacks ---

  async getStacks(options?: QueryOptions): Promise<Partial<Stack>[]> {
    return (
      await this.query<{ stacks: Partial<Stack>[] }>(`{ stacks { ${this.fields(options, 'stacks')} } }`)
    ).stacks;
  }

  async getStackById(id: string, options?: QueryOptions): Promise<Partial<Stack> | null> {
    const sel = this.fields(options, 'stack');
    return (
      await this.query<{ stack: Partial<Stack> | null }>(`query($id: ID!) { stack(id: $id) { ${sel} } }`, {
        id,
      })
    ).stack;
  }

  async searchStacks(options: SearchStacksOptions = {}): Promise<Partial<Stack>[]> {
    const sel = this.fields(options, 'searchStacks');
    const doc = `query($input: SearchInput!) {
      searchStacks(input: $input) { edges { node { ${sel} } } pageInfo { hasNextPage endCursor } }
    }`;
    const predicates = (options.labels ?? []).map((label) => ({
      field: 'label',
      constraint: { stringMatches: [label] },
    }));
    type Page = {
      searchStacks: {
        edges: Array<{ node: Partial<Stack> }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
    const found: Partial<Stack>[] = [];
    let after: string | null = null;
    for (;;) {
      const input: Record<string, unknown> = {
        first: options.pageSize ?? 50,
        after,
        predicates,
        fullTextSearch: options.fullTextSearch ?? null,
      };
      const { edges, pageInfo } = (await this.query<Page>(doc, { input })).searchStacks;
      found.push(...edges.map((e) => e.node));
      if (!pageInfo.hasNextPage || !pageInfo.endCursor) return found;
      after = pageInfo.endCursor;
    }
  }

  async getStackDependencies(id: string): Promise<StackDependencies | null> {
    const doc = `query($id: ID!) {
      stack(id: $id) { id dependsOn { ${DEPENDENCY_FIELDS} } isDependedOnBy { ${DEPENDENCY_FIELDS} } }
    }`;
    return (await this.query<{ stack: StackDependencies | null }>(doc, { id })).stack;
  }

  async updateStackLabels(id: string, change: LabelChange): Promise<Stack> {
    this.store.changeStackLabels(id, change.add ?? [], change.remove ?? []);
    return (await this.getStackById(id)) as Stack;
  }

  async deleteStack(id: string, options: { destroyResources?: boolean } = {}): Promise<{ id: string }> {
    const doc = `mutation($id: ID!, $destroy: Boolean) { stackDelete(id: $id, destroyResources: $destroy) { id } }`;
    return (
      await this.query<{ stackDelete: { id: string } }>(doc, {
        id,
        destroy: options.destroyResources ?? false,
      })
    ).stackDelete;
  }

  // --- spaces ---

  async getSpaces(options?: QueryOptions): Promise<Partial<Space>[]> {
    return (
      await this.query<{ spaces: Partial<Space>[] }>(`{ spaces { ${this.fields(options, 'spaces')} } }`)
    ).spaces;
  }

  async getSpaceById(id: string, options?: QueryOptions): Promise<Partial<Space> | null> {
    const sel = this.fields(options, 'space');
    return (
      await this.query<{ space: Partial<Space> | null }>(`query($id: ID!) { space(id: $id) { ${sel} } }`, {
        id,
      })
    ).space;
  }

  async createSpace(input: CreateSpaceInput): Promise<Space> {
    const doc = `mutation($input: SpaceInput!) { spaceCreate(input: $input) { ${DEFAULT_FIELDS.space.join(' ')} } }`;
    const variables = {
      input: {
        name: input.name,
        parentSpace: input.parentSpaceId,
        description: input.description ?? '',
        labels: input.labels ?? [],
        inheritEntities: input.inheritEntities ?? false,
      },
    };
    return (await this.query<{ spaceCreate: Space }>(doc, variables)).spaceCreate;
  }

  async deleteSpace(id: string): Promise<{ id: string; name: string }> {
    const doc = `mutation($id: ID!) { spaceDelete(space: $id) { id name } }`;
    return (await this.query<{ spaceDelete: { id: string; name: string } }>(doc, { id })).spaceDelete;
  }

  // --- contexts ---

  async getContexts(options?: QueryOptions): Promise<Partial<Context>[]> {
    return (
      await this.query<{ contexts: Partial<Context>[] }>(
        `{ contexts { ${this.fields(options, 'contexts')} } }`,
      )
    ).contexts;
  }

  async getContextById(id: string, options?: QueryOptions): Promise<Partial<Context> | null> {
    const sel = this.fields(options, 'context');
    return (
      await this.query<{ context: Partial<Context> | null }>(
        `query($id: ID!) { context(id: $id) { ${sel} } }`,
        {
          id,
        },
      )
    ).context;
  }

  async createContext(input: CreateContextInput): Promise<Context> {
    const sel = DEFAULT_FIELDS.context.join(' ');
    const doc = `mutation($input: ContextInput!) { contextCreateV2(input: $input) { ${sel} } }`;
    const variables = {
      input: {
        name: input.name,
        space: input.spaceId,
        description: input.description ?? null,
        labels: input.labels ?? [],
        configAttachments: (input.envvars ?? []).map((e) => ({
          id: e.id,
          value: e.value,
          type: e.type ?? 'ENVIRONMENT_VARIABLE',
          writeOnly: e.writeOnly ?? false,
          description: e.description ?? null,
        })),
      },
    };
    return (await this.query<{ contextCreateV2: Context }>(doc, variables)).contextCreateV2;
  }

  async deleteContext(id: string): Promise<{ id: string; name: string }> {
    const doc = `mutation($id: ID!) { contextDelete(id: $id) { id name } }`;
    const deleted = (
      await this.query<{ contextDelete: { id: string; name: string } | null }>(doc, {
        id,
      })
    ).contextDelete;
    if (!deleted) throw new SpaceliftStoreError('NOT_FOUND', `context "${id}" not found`);
    return deleted;
  }

  // --- blueprints ---

  async getBlueprints(options?: QueryOptions): Promise<Partial<Blueprint>[]> {
    const sel = this.fields(options, 'blueprints');
    const doc = `{ searchBlueprints(input: { first: 1000 }) { edges { node { ${sel} } } } }`;
    type Result = { searchBlueprints: { edges: Array<{ node: Partial<Blueprint> }> } };
    return (await this.query<Result>(doc)).searchBlueprints.edges.map((e) => e.node);
  }

  async getBlueprintById(id: string, options?: QueryOptions): Promise<Partial<Blueprint> | null> {
    const sel = this.fields(options, 'blueprint');
    const doc = `query($id: ID!) { blueprint(id: $id) { ${sel} } }`;
    return (await this.query<{ blueprint: Partial<Blueprint> | null }>(doc, { id })).blueprint;
  }

  async createStackFromBlueprint(
    blueprintId: string,
    options: BlueprintStackCreateOptions,
  ): Promise<{ stackIds: string[]; runIds: string[] }> {
    const doc = `mutation($id: ID!, $input: BlueprintStackCreateInput!) {
      blueprintCreateStack(id: $id, input: $input) { stackIds runIds }
    }`;
    type Result = { blueprintCreateStack: { stackIds: string[]; runIds: string[] } };
    return (await this.query<Result>(doc, { id: blueprintId, input: { templateInputs: options.inputs } }))
      .blueprintCreateStack;
  }

  // --- runs ---

  async triggerRun(stackId: string, options: TriggerRunOptions = {}): Promise<Run> {
    const doc = `mutation($stack: ID!, $commitSha: String, $runType: RunType) {
      runTrigger(stack: $stack, commitSha: $commitSha, runType: $runType) { ${DEFAULT_FIELDS.run.join(' ')} }
    }`;
    const variables = {
      stack: stackId,
      commitSha: options.commitSha ?? null,
      runType: options.runType ?? 'TRACKED',
    };
    return (await this.query<{ runTrigger: Run }>(doc, variables)).runTrigger;
  }

  async getRun(stackId: string, runId: string): Promise<Run | null> {
    return (
      (await this.query<{ stack: { run: Run | null } | null }>(RUN_BY_ID, { stack: stackId, run: runId }))
        .stack?.run ?? null
    );
  }

  async getStackRuns(stackId: string): Promise<Run[] | null> {
    const doc = `query($id: ID!) { stack(id: $id) { runs { ${DEFAULT_FIELDS.run.join(' ')} } } }`;
    return (await this.query<{ stack: { runs: Run[] } | null }>(doc, { id: stackId })).stack?.runs ?? null;
  }

  // --- raw GraphQL ---

  execute<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables> | string,
    variables?: TVariables,
  ): Promise<TResult> {
    return this.query<TResult>(typeof document === 'string' ? document : print(document), variables);
  }

  // --- test controls ---

  /** Moves a run straight to `state` (recorded in its history like any change). */
  advanceRun(stackId: string, runId: string, state: RunState): Run {
    this.store.transitionRun(stackId, runId, state);
    return this.readRun(stackId, runId)!;
  }

  /** Moves a run one step along its lifecycle; the run as it is afterwards. */
  stepRun(stackId: string, runId: string): Run {
    this.store.stepRun(stackId, runId);
    return this.readRun(stackId, runId)!;
  }

  /**
   * Moves a run through the rest of its lifecycle, ending as the stack's seeded `outcome`
   * says (FINISHED by default; FAILED after planning; UNCONFIRMED stays there).
   */
  finishRun(stackId: string, runId: string): Run {
    while (this.store.stepRun(stackId, runId));
    return this.readRun(stackId, runId)!;
  }

  /** Listens to every run state change; returns an unsubscribe function. */
  onRunStateChange(listener: RunStateListener): () => void {
    return this.store.onRunStateChange(listener);
  }

  // --- internals ---

  private readRun(stackId: string, runId: string): Run | null {
    return (
      this.querySync<{ stack: { run: Run | null } | null }>(RUN_BY_ID, { stack: stackId, run: runId }).stack
        ?.run ?? null
    );
  }

  private fields(options: QueryOptions | undefined, kind: keyof typeof DEFAULT_FIELDS): string {
    const fields = options?.queryFields?.length ? options.queryFields : DEFAULT_FIELDS[kind];
    return fields.join('\n');
  }

  private async query<T>(source: string, variables?: Record<string, unknown>): Promise<T> {
    return this.toData<T>(await graphql(this.request(source, variables)));
  }

  private querySync<T>(source: string, variables?: Record<string, unknown>): T {
    return this.toData<T>(graphqlSync(this.request(source, variables)));
  }

  private request(source: string, variableValues: Record<string, unknown> | undefined) {
    const contextValue: SpaceliftResolverContext = {
      store: this.store,
      identity: this.identity,
      login: (id) => ({ id, jwt: 'mock-jwt', validUntil: this.store.nowSeconds() + 3600 }),
    };
    return { schema: spaceliftSchema(), source, variableValues, contextValue };
  }

  private toData<T>(result: ExecutionResult): T {
    const [error] = result.errors ?? [];
    if (error) throw storeErrorOf(error);
    // Plain JSON, like an HTTP client gets (graphql-js builds null-prototype objects).
    return JSON.parse(JSON.stringify(result.data)) as T;
  }
}
