import { readFileSync } from 'node:fs';
import {
  buildSchema,
  GraphQLError,
  isObjectType,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import type { RunType } from '../types.js';
import { isTerminalRunState } from '../types.js';
import { search, type SearchInput } from './search.js';
import type {
  BlueprintRecord,
  ContextRecord,
  ContextSettings,
  DependencyRecord,
  RunRecord,
  SpaceSettings,
  SpaceliftStore,
  StackRecord,
  StackSettings,
} from './spacelift-store.js';
import { SpaceliftStoreError } from './store-error.js';

/** What every resolver gets: the shared store and who is calling. */
export interface SpaceliftResolverContext {
  store: SpaceliftStore;
  /** Recorded as a run's `triggeredBy` and a lock's `lockedBy`, e.g. `api::<key id>`. */
  identity: string;
  /** Answers `apiKeyUser`; `null` for a wrong key (the API then says `unauthorized`). */
  login: (id: string, secret: string) => { id: string; jwt: string; validUntil: number } | null;
}

/** The client's `schema.graphql` text; the same relative path works from `src/testing` and `dist/testing`. */
export function readSchemaSource(): string {
  return readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8');
}

type Resolver<A = Record<string, never>, S = unknown> = (
  source: S,
  args: A,
  context: SpaceliftResolverContext,
) => unknown;

interface ContextInput {
  name: string;
  space: string;
  description?: string | null;
  labels?: string[] | null;
  stackAttachments?: Array<{ stack: string; priority: number }> | null;
  configAttachments?: ContextSettings['config'];
}

const unauthorized = (): GraphQLError => new GraphQLError('unauthorized');

function contextSettings(store: SpaceliftStore, input: ContextInput): ContextSettings {
  for (const a of input.stackAttachments ?? []) {
    if (!store.getStack(a.stack)) throw new SpaceliftStoreError('NOT_FOUND', `stack "${a.stack}" not found`);
  }
  const { name, space, description, labels, configAttachments } = input;
  return { name, space, description, labels, config: configAttachments };
}

const stackSearchField = (store: SpaceliftStore) => (s: StackRecord, field: string) => {
  switch (field) {
    case 'label':
      return s.labels;
    case 'name':
    case 'id':
    case 'branch':
    case 'repository':
    case 'space':
      return [s[field]];
    case 'projectRoot':
      return [s.projectRoot ?? ''];
    case 'state':
      return [store.stackState(s.id)];
    case 'administrative':
      return s.administrative;
    case 'locked':
      return s.lockedBy !== null;
    case 'createdAt':
      return [String(s.createdAt).padStart(12, '0')];
    default:
      return undefined;
  }
};

const namedSearchField = (
  r: { id: string; name: string; labels: string[]; space: string },
  field: string,
) => {
  switch (field) {
    case 'label':
      return r.labels;
    case 'name':
    case 'id':
    case 'space':
      return [r[field]];
    default:
      return undefined;
  }
};

const searchText = (r: { id: string; name: string; description: string | null; labels: string[] }): string =>
  [r.id, r.name, r.description ?? '', ...r.labels].join('\n');

const dependencyOf = (store: SpaceliftStore, d: DependencyRecord) => ({
  ...d,
  stack: store.getStack(d.stackId),
  dependsOnStack: store.getStack(d.dependsOnStackId),
  referenceCount: 0,
});

const blueprintTemplate = (b: BlueprintRecord): string =>
  JSON.stringify({ inputs: b.inputs, stack: b.stack }, null, 2);

/** Field resolvers by type; fields not listed read the record property of the same name. */
const resolvers: Record<string, Record<string, Resolver<never, never>>> = {
  Query: {
    spaces: (_, __, { store }) => store.listSpaces(),
    space: (_, { id }: { id: string }, { store }) => store.getSpace(id),
    stacks: (_, __, { store }) => store.listStacks(),
    stack: (_, { id }: { id: string }, { store }) => store.getStack(id),
    searchStacks: (_, { input }: { input: SearchInput }, { store }) =>
      search(store.listStacks(), input, stackSearchField(store), searchText),
    contexts: (_, __, { store }) => store.listContexts(),
    context: (_, { id }: { id: string }, { store }) => store.getContext(id),
    searchContexts: (_, { input }: { input: SearchInput }, { store }) =>
      search(store.listContexts(), input, namedSearchField, searchText),
    blueprint: (_, { id }: { id: string }, { store }) => store.getBlueprint(id),
    searchBlueprints: (_, { input }: { input: SearchInput }, { store }) =>
      search(store.listBlueprints(), input, namedSearchField, searchText),
    runStack: (_, { runId }: { runId: string }, { store }) => {
      const run = store.findRun(runId);
      return run ? store.getStack(run.stackId) : null;
    },
  },
  Mutation: {
    apiKeyUser: (_, { id, secret }: { id: string; secret: string }, { login }) => {
      const user = login(id, secret);
      if (!user) throw unauthorized();
      return user;
    },
    spaceCreate: (_, { input }: { input: SpaceSettings }, { store }) => store.createSpace(input),
    spaceUpdate: (_, { space, input }: { space: string; input: SpaceSettings }, { store }) =>
      store.updateSpace(space, input),
    spaceDelete: (_, { space }: { space: string }, { store }) => store.deleteSpace(space),
    stackCreate: (_, { input }: { input: StackSettings }, { store }) => store.createStack(input),
    stackUpdate: (_, { id, input }: { id: string; input: StackSettings }, { store }) =>
      store.updateStack(id, input),
    stackDelete: (_, { id }: { id: string }, { store }) => store.deleteStack(id),
    stackLock: (_, { id, note }: { id: string; note?: string | null }, { store, identity }) =>
      store.lockStack(id, identity, note ?? null),
    stackUnlock: (_, { id }: { id: string }, { store }) => store.unlockStack(id),
    stackDependencyCreate: (
      _,
      { input }: { input: { stackId: string; dependsOnStackId: string } },
      { store },
    ) => dependencyOf(store, store.createDependency(input.stackId, input.dependsOnStackId)),
    stackDependenciesCreateInBatch: (
      _,
      { input }: { input: { dependencies: Array<{ stackId: string; dependsOnStackId: string }> } },
      { store },
    ) =>
      input.dependencies.map((d) =>
        dependencyOf(store, store.createDependency(d.stackId, d.dependsOnStackId)),
      ),
    stackDependencyDelete: (_, { id }: { id: string }, { store }) =>
      dependencyOf(store, store.deleteDependency(id)),
    contextCreateV2: (_, { input }: { input: ContextInput }, { store }) =>
      store.createContext(contextSettings(store, input)),
    contextUpdateV2: (
      _,
      {
        id,
        input,
        replaceConfigElements,
      }: { id: string; input: ContextInput; replaceConfigElements?: boolean | null },
      { store },
    ) => store.updateContext(id, contextSettings(store, input), replaceConfigElements ?? false),
    contextDelete: (_, { id }: { id: string }, { store }) => store.deleteContext(id),
    blueprintCreateStack: (
      _,
      { id, input }: { id: string; input: { templateInputs: Array<{ id: string; value: string }> } },
      { store },
    ) => store.createStackFromBlueprint(id, input.templateInputs),
    runTrigger: (
      _,
      { stack, commitSha, runType }: { stack: string; commitSha?: string | null; runType?: RunType | null },
      { store, identity },
    ) => store.triggerRun(stack, { type: runType ?? 'TRACKED', commitSha, triggeredBy: identity }),
    runCancel: (_, { stack, run, note }: { stack: string; run: string; note?: string | null }, { store }) =>
      store.cancelRun(stack, run, note ?? null),
    runConfirm: (
      _,
      { stack, run, note }: { stack: string; run?: string | null; note?: string | null },
      { store },
    ) => store.decideRun(stack, run ?? null, 'CONFIRMED', note ?? null),
    runDiscard: (
      _,
      { stack, run, note }: { stack: string; run?: string | null; note?: string | null },
      { store },
    ) => store.decideRun(stack, run ?? null, 'DISCARDED', note ?? null),
    runStop: (_, { stack, run, note }: { stack: string; run: string; note?: string | null }, { store }) =>
      store.stopRun(stack, run, note ?? null),
    runRetry: (_, { stack, run }: { stack: string; run: string }, { store, identity }) =>
      store.retryRun(stack, run, identity),
  },
  Stack: {
    spaceDetails: (s: StackRecord, _, { store }) => {
      const space = store.getSpace(s.space);
      return { id: s.space, name: space?.name ?? s.space };
    },
    state: (s: StackRecord, _, { store }) => store.stackState(s.id),
    stateSetAt: (s: StackRecord, _, { store }) => store.stackStateSetAt(s.id),
    runs: (s: StackRecord, { before }: { before?: string | null }, { store }) => {
      const newestFirst = [...(store.stackRuns(s.id) ?? [])].reverse();
      if (!before) return newestFirst;
      const index = newestFirst.findIndex((r) => r.id === before);
      return index < 0 ? [] : newestFirst.slice(index + 1);
    },
    run: (s: StackRecord, { id }: { id: string }, { store }) => store.getRun(s.id, id),
    dependsOn: (s: StackRecord, _, { store }) =>
      store
        .listDependencies()
        .filter((d) => d.stackId === s.id)
        .map((d) => dependencyOf(store, d)),
    isDependedOnBy: (s: StackRecord, _, { store }) =>
      store
        .listDependencies()
        .filter((d) => d.dependsOnStackId === s.id)
        .map((d) => dependencyOf(store, d)),
  },
  Context: {
    // Write-only values are never sent back, as in Spacelift.
    config: (c: ContextRecord) => c.config.map((e) => ({ ...e, value: e.writeOnly ? null : e.value })),
  },
  Blueprint: {
    space: (b: BlueprintRecord, _, { store }) => ({
      id: b.space,
      name: store.getSpace(b.space)?.name ?? b.space,
    }),
    template: (b: BlueprintRecord) => ({ template: blueprintTemplate(b) }),
    rawTemplate: (b: BlueprintRecord) => blueprintTemplate(b),
  },
  Run: {
    finished: (r: RunRecord) => isTerminalRunState(r.state),
  },
};

/** Store errors become GraphQL errors with the same message and a `code` extension. */
function reportStoreErrors(
  resolve: Resolver<never, never>,
): GraphQLFieldResolver<unknown, SpaceliftResolverContext> {
  return (source, args, context) => {
    try {
      return resolve(source as never, args as never, context);
    } catch (error) {
      if (error instanceof SpaceliftStoreError) {
        // No originalError: servers mask errors whose cause is not a GraphQLError.
        throw new GraphQLError(error.message, { extensions: { code: error.code } });
      }
      throw error;
    }
  };
}

/**
 * An executable schema: `schema.graphql` with resolvers over a {@link SpaceliftStore}
 * taken from the context ({@link SpaceliftResolverContext}). MockSpacelift executes it
 * in process; the simulator serves it over HTTP.
 */
export function createSpaceliftSchema(): GraphQLSchema {
  const schema = buildSchema(readSchemaSource());
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) throw new TypeError(`schema.graphql has no object type ${typeName}`);
    for (const [fieldName, resolve] of Object.entries(fields)) {
      const field = type.getFields()[fieldName];
      if (!field) throw new TypeError(`schema.graphql has no field ${typeName}.${fieldName}`);
      field.resolve = reportStoreErrors(resolve);
    }
  }
  return schema;
}
