import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  buildSchema,
  GraphQLError,
  isObjectType,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import { isTerminalRunState, type RunType } from 'spacelift-client';
import type { BlueprintRecord } from './blueprints.js';
import type { ContextRecord, ContextSettings } from './contexts.js';
import { driftRun, pushCommit, uiRun } from './run-sources.js';
import type { RunRecord } from './runs.js';
import type { RunOutcome } from './seed-schema.js';
import { search, type SearchInput } from './search.js';
import type { SpaceSettings } from './spaces.js';
import type { SpaceliftStore } from './spacelift-store.js';
import type { DependencyRecord } from './stack-dependencies.js';
import type { StackWebhookSettings } from './stack-webhooks.js';
import type { StackRecord, StackSettings } from './stacks.js';
import { SpaceliftStoreError } from './store-error.js';

/** What `apiKeyUser` gets for a key: a session, or why not. */
export type LoginResult =
  | { kind: 'ok'; user: { id: string; jwt: string; validUntil: number } }
  /** No key with this id: the API answers `null`, as Spacelift does. */
  | { kind: 'unknown-key' }
  /** A known id with the wrong secret: `unauthorized`. */
  | { kind: 'wrong-secret' };

/** What every resolver gets: the shared store and who is calling. */
export interface SpaceliftResolverContext {
  store: SpaceliftStore;
  /** Recorded as a run's `triggeredBy` and a lock's `lockedBy`, e.g. `api::<key id>`. */
  identity: string;
  login: (id: string, secret: string) => LoginResult;
}

/** Spacelift's API (the client's `schema.graphql`) plus the simulator-only mutations. */
function readSchemaSource(): string {
  const clientSchema = createRequire(import.meta.url).resolve('spacelift-client/schema.graphql');
  // The same relative path works from src/spacelift and dist/spacelift.
  const extension = new URL('../../simulator-extension.graphql', import.meta.url);
  return `${readFileSync(clientSchema, 'utf8')}\n${readFileSync(extension, 'utf8')}`;
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

interface WebhookArgs {
  stack: string;
  id: string;
  input: StackWebhookSettings;
}

interface RunArgs {
  stack: string;
  run: string;
  note?: string | null;
}

function contextSettings(store: SpaceliftStore, input: ContextInput): ContextSettings {
  for (const a of input.stackAttachments ?? []) store.stacks.require(a.stack);
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
      return [store.runs.stackState(s.id)];
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
  stack: store.stacks.get(d.stackId),
  dependsOnStack: store.stacks.get(d.dependsOnStackId),
  referenceCount: 0,
});

const blueprintTemplate = (b: BlueprintRecord): string =>
  JSON.stringify({ inputs: b.inputs, stack: b.stack }, null, 2);

/** Newest first, after the run `before` when given (spacectl's paging). */
function runPage(runs: readonly RunRecord[], before: string | null | undefined): RunRecord[] {
  const newestFirst = [...runs].reverse();
  if (!before) return newestFirst;
  const index = newestFirst.findIndex((r) => r.id === before);
  return index < 0 ? [] : newestFirst.slice(index + 1);
}

/** Field resolvers by type; fields not listed read the record property of the same name. */
const resolvers: Record<string, Record<string, Resolver<never, never>>> = {
  Query: {
    spaces: (_, __, { store }) => store.spaces.list(),
    space: (_, { id }: { id: string }, { store }) => store.spaces.get(id),
    stacks: (_, __, { store }) => store.stacks.list(),
    stack: (_, { id }: { id: string }, { store }) => store.stacks.get(id),
    searchStacks: (_, { input }: { input: SearchInput }, { store }) =>
      search(store.stacks.list(), input, stackSearchField(store), searchText),
    contexts: (_, __, { store }) => store.contexts.list(),
    context: (_, { id }: { id: string }, { store }) => store.contexts.get(id),
    searchContexts: (_, { input }: { input: SearchInput }, { store }) =>
      search(store.contexts.list(), input, namedSearchField, searchText),
    blueprint: (_, { id }: { id: string }, { store }) => store.blueprints.get(id),
    searchBlueprints: (_, { input }: { input: SearchInput }, { store }) =>
      search(store.blueprints.list(), input, namedSearchField, searchText),
    runStack: (_, { runId }: { runId: string }, { store }) => {
      const run = store.runs.find(runId);
      return run ? store.stacks.get(run.stackId) : null;
    },
  },
  Mutation: {
    apiKeyUser: (_, { id, secret }: { id: string; secret: string }, { login }) => {
      const result = login(id, secret);
      if (result.kind === 'wrong-secret') throw new GraphQLError('unauthorized');
      return result.kind === 'ok' ? result.user : null;
    },
    spaceCreate: (_, { input }: { input: SpaceSettings }, { store }) => store.spaces.create(input),
    spaceUpdate: (_, { space, input }: { space: string; input: SpaceSettings }, { store }) =>
      store.spaces.update(space, input),
    spaceDelete: (_, { space }: { space: string }, { store }) => store.deleteSpace(space),
    stackCreate: (_, { input }: { input: StackSettings }, { store }) => store.stacks.create(input),
    stackUpdate: (_, { id, input }: { id: string; input: StackSettings }, { store }) =>
      store.stacks.update(id, input),
    stackDelete: (_, { id }: { id: string }, { store }) => store.deleteStack(id),
    stackLock: (_, { id, note }: { id: string; note?: string | null }, { store, identity }) =>
      store.stacks.lock(id, identity, note ?? null),
    stackUnlock: (_, { id }: { id: string }, { store, identity }) => store.stacks.unlock(id, identity),
    stackDisable: (_, { id }: { id: string }, { store }) => store.stacks.setDisabled(id, true),
    stackEnable: (_, { id }: { id: string }, { store }) => store.stacks.setDisabled(id, false),
    stackDependencyCreate: (
      _,
      { input }: { input: { stackId: string; dependsOnStackId: string } },
      { store },
    ) => dependencyOf(store, store.dependencies.create(input.stackId, input.dependsOnStackId)),
    stackDependenciesCreateInBatch: (
      _,
      { input }: { input: { dependencies: Array<{ stackId: string; dependsOnStackId: string }> } },
      { store },
    ) =>
      input.dependencies.map((d) =>
        dependencyOf(store, store.dependencies.create(d.stackId, d.dependsOnStackId)),
      ),
    stackDependencyDelete: (_, { id }: { id: string }, { store }) =>
      dependencyOf(store, store.dependencies.delete(id)),
    contextCreateV2: (_, { input }: { input: ContextInput }, { store }) =>
      store.contexts.create(contextSettings(store, input)),
    contextUpdateV2: (
      _,
      {
        id,
        input,
        replaceConfigElements,
      }: { id: string; input: ContextInput; replaceConfigElements?: boolean | null },
      { store },
    ) => store.contexts.update(id, contextSettings(store, input), replaceConfigElements ?? false),
    contextDelete: (_, { id }: { id: string }, { store }) => store.contexts.delete(id),
    blueprintCreateStack: (
      _,
      { id, input }: { id: string; input: { templateInputs: Array<{ id: string; value: string }> } },
      { store },
    ) => store.createStackFromBlueprint(id, input.templateInputs),
    runTrigger: (
      _,
      { stack, commitSha, runType }: { stack: string; commitSha?: string | null; runType?: RunType | null },
      { store, identity },
    ) => store.runs.trigger(stack, { type: runType ?? 'TRACKED', commitSha, triggeredBy: identity }),
    runCancel: (_, { stack, run, note }: RunArgs, { store }) => store.runs.cancel(stack, run, note ?? null),
    runConfirm: (_, { stack, run, note }: Partial<RunArgs> & { stack: string }, { store }) =>
      store.runs.decide(stack, run ?? null, 'CONFIRMED', note ?? null),
    runDiscard: (_, { stack, run, note }: Partial<RunArgs> & { stack: string }, { store }) =>
      store.runs.decide(stack, run ?? null, 'DISCARDED', note ?? null),
    runStop: (_, { stack, run, note }: RunArgs, { store }) => store.runs.stop(stack, run, note ?? null),
    runRetry: (_, { stack, run }: RunArgs, { store, identity }) => store.runs.retry(stack, run, identity),
    webhooksIntegrationCreate: (_, { stack, input }: Omit<WebhookArgs, 'id'>, { store }) =>
      store.webhooks.create(stack, input),
    webhooksIntegrationUpdate: (_, { stack, id, input }: WebhookArgs, { store }) =>
      store.webhooks.update(stack, id, input),
    webhooksIntegrationDelete: (_, { stack, id }: Omit<WebhookArgs, 'input'>, { store }) =>
      store.webhooks.delete(stack, id),
    // Simulator-only (simulator-extension.graphql).
    simulatorPush: (
      _,
      {
        stacks,
        commitSha,
        message,
      }: { stacks: string[]; commitSha?: string | null; message?: string | null },
      { store },
    ) => pushCommit(store, stacks, commitSha ?? null, message ?? null),
    simulatorUiRun: (
      _,
      { stack, user, runType }: { stack: string; user: string; runType?: RunType | null },
      { store },
    ) => uiRun(store, stack, user, runType ?? 'TRACKED'),
    simulatorDriftRun: (_, { stack }: { stack: string }, { store }) => driftRun(store, stack),
    simulatorSetStackBehaviour: (
      _,
      {
        stack,
        input,
      }: { stack: string; input: { outcome?: RunOutcome | null; changesOutputs?: number | null } },
      { store },
    ) => {
      const { id, outcome, changesOutputs, resources } = store.stacks.setBehaviour(stack, {
        outcome: input.outcome ?? undefined,
        changesOutputs: input.changesOutputs ?? undefined,
      });
      return { stackId: id, outcome, changesOutputs, resources };
    },
  },
  Stack: {
    spaceDetails: (s: StackRecord, _, { store }) => ({
      id: s.space,
      name: store.spaces.get(s.space)?.name ?? s.space,
    }),
    state: (s: StackRecord, _, { store }) => store.runs.stackState(s.id),
    stateSetAt: (s: StackRecord, _, { store }) => store.runs.stackStateSetAt(s.id),
    runs: (s: StackRecord, { before }: { before?: string | null }, { store }) =>
      runPage(
        (store.runs.ofStack(s.id) ?? []).filter((r) => r.type !== 'PROPOSED'),
        before,
      ),
    proposedRuns: (s: StackRecord, { before }: { before?: string | null }, { store }) =>
      runPage(
        (store.runs.ofStack(s.id) ?? []).filter((r) => r.type === 'PROPOSED'),
        before,
      ),
    run: (s: StackRecord, { id }: { id: string }, { store }) => store.runs.get(s.id, id),
    dependsOn: (s: StackRecord, _, { store }) =>
      store.dependencies.upstreamOf(s.id).map((d) => dependencyOf(store, d)),
    isDependedOnBy: (s: StackRecord, _, { store }) =>
      store.dependencies.downstreamOf(s.id).map((d) => dependencyOf(store, d)),
    integrations: (s: StackRecord, _, { store }) => ({ webhooks: store.webhooks.ofStack(s.id) }),
    // A sensitive output's value is not revealed (see README, "Stack outputs").
    outputs: (s: StackRecord) => s.outputs.map((o) => ({ ...o, value: o.sensitive ? null : o.value })),
  },
  WebhooksIntegration: {
    // Spacelift stopped returning webhook secrets in 2025 (see README, "Webhook integrations").
    secret: () => '',
  },
  Context: {
    // Write-only values are never sent back, as in Spacelift.
    config: (c: ContextRecord) => c.config.map((e) => ({ ...e, value: e.writeOnly ? null : e.value })),
  },
  Blueprint: {
    space: (b: BlueprintRecord, _, { store }) => ({
      id: b.space,
      name: store.spaces.get(b.space)?.name ?? b.space,
    }),
    template: (b: BlueprintRecord) => ({ template: blueprintTemplate(b) }),
    rawTemplate: (b: BlueprintRecord) => blueprintTemplate(b),
  },
  Run: {
    finished: (r: RunRecord) => isTerminalRunState(r.state),
    simulatorStackId: (r: RunRecord) => r.stackId,
    history: (r: RunRecord) => [...r.history].reverse(),
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
 * An executable schema: Spacelift's API plus the simulator-only mutations, with resolvers
 * over a {@link SpaceliftStore} taken from the context ({@link SpaceliftResolverContext}).
 * MockSpacelift executes it in process; the simulator serves it over HTTP.
 */
export function createSpaceliftSchema(): GraphQLSchema {
  const schema = buildSchema(readSchemaSource());
  for (const [typeName, fields] of Object.entries(resolvers)) {
    const type = schema.getType(typeName);
    if (!isObjectType(type)) throw new TypeError(`schema has no object type ${typeName}`);
    for (const [fieldName, resolve] of Object.entries(fields)) {
      const field = type.getFields()[fieldName];
      if (!field) throw new TypeError(`schema has no field ${typeName}.${fieldName}`);
      field.resolve = reportStoreErrors(resolve);
    }
  }
  return schema;
}
