import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { GraphQLError, parse, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { SessionToken, type Session } from './auth/session-token.js';
import { resolveOptions, type ResolvedOptions, type SpaceliftOptions } from './client-options.js';
import {
  SpaceliftAuthError,
  SpaceliftGraphQLError,
  SpaceliftHttpError,
  SpaceliftNotFoundError,
  SpaceliftValidationError,
} from './errors.js';
import {
  ApiKeyUserDocument,
  CreateContextDocument,
  CreateSpaceDocument,
  CreateStackFromBlueprintDocument,
  CreateStackWebhookDocument,
  DeleteContextDocument,
  DeleteSpaceDocument,
  DeleteStackDocument,
  DeleteStackWebhookDocument,
  GetBlueprintDocument,
  GetContextDocument,
  GetContextsDocument,
  GetRunDocument,
  GetSpaceDocument,
  GetSpacesDocument,
  GetStackDependenciesDocument,
  GetStackDocument,
  GetStackInputDocument,
  GetStackOutputsDocument,
  GetStackRunsDocument,
  GetStacksDocument,
  ListStackWebhooksDocument,
  SearchBlueprintsDocument,
  SearchStacksDocument,
  TriggerRunDocument,
  UpdateStackDocument,
  UpdateStackWebhookDocument,
  type SearchInput,
  type StackInput,
  type WebhooksIntegrationInput,
} from './generated/graphql.generated.js';
import { GraphQLTransport, type GraphQLResponseBody } from './http/graphql-transport.js';
import { TokenBucket, type Clock } from './http/token-bucket.js';
import { applyLabelChange } from './label-change.js';
import { operationInfo } from './operation-info.js';
import { assertValidAgainstSchema, parseQueryFields, withSelection } from './query-fields.js';
import type {
  Blueprint,
  BlueprintStackCreateOptions,
  Context,
  CreateContextInput,
  CreateSpaceInput,
  LabelChange,
  QueryFields,
  QueryOptions,
  Run,
  SearchStacksOptions,
  Space,
  Stack,
  StackDependencies,
  StackOutput,
  StackWebhook,
  StackWebhookInput,
  TriggerRunOptions,
} from './types.js';

const SEARCH_PAGE_SIZE = 50;

const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

function webhookInput(input: StackWebhookInput): WebhooksIntegrationInput {
  const sent: WebhooksIntegrationInput = {
    enabled: input.enabled ?? true,
    endpoint: input.endpoint,
    secret: input.secret,
  };
  // Left out rather than sent as null, so Spacelift applies its own default.
  if (input.retryOnFailure !== undefined) sent.retryOnFailure = input.retryOnFailure;
  return sent;
}

const isUnauthorized = (errors: readonly GraphQLFormattedError[] | undefined): boolean =>
  errors?.some((e) => e.message.toLowerCase() === 'unauthorized') ?? false;

interface Connection<TNode> {
  edges: Array<{ node: TNode }>;
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

/**
 * Typed client for Spacelift's GraphQL API.
 *
 * ```ts
 * const spacelift = new Spacelift(); // SPACELIFT_BASE_URL, SPACELIFT_KEY_ID, SPACELIFT_KEY_SECRET
 * const stacks = await spacelift.searchStacks({ labels: ['dependsOn:network'] });
 * ```
 *
 * Logs in with the API key on first use and renews the JWT before it expires; retries
 * queries on network errors, 429 and 5xx; throws the typed errors of `errors.ts`.
 */
export class Spacelift {
  private readonly options: ResolvedOptions;
  private readonly transport: GraphQLTransport;
  private readonly session: SessionToken;
  private readonly selections = new Map<string, DocumentNode>();

  /** @throws {SpaceliftConfigError} when a credential is neither passed nor in the environment. */
  constructor(options: SpaceliftOptions = {}) {
    this.options = resolveOptions(options, process.env);
    const { rateLimit } = this.options;
    this.transport = new GraphQLTransport({
      endpoint: this.options.endpoint,
      fetch: this.options.fetch,
      timeoutMs: this.options.timeoutMs,
      retry: this.options.retry,
      rateLimiter: rateLimit ? new TokenBucket(rateLimit, systemClock) : null,
      log: this.options.log,
      clock: systemClock,
      random: Math.random,
    });
    this.session = new SessionToken(
      () => this.login(),
      this.options.tokenRefreshMarginSeconds,
      () => systemClock.now(),
    );
  }

  /** The GraphQL endpoint requests go to, e.g. `https://acme.app.spacelift.io/graphql`. */
  get endpoint(): string {
    return this.options.endpoint;
  }

  // Stacks

  /** Default fields: `id`, `space`. */
  async getStacks(options?: QueryOptions): Promise<Partial<Stack>[]> {
    const document = this.select(GetStacksDocument, ['stacks'], options?.queryFields);
    return (await this.request(document, {})).stacks;
  }

  /** `null` when the stack does not exist or is not visible. Default fields: all of {@link Stack}. */
  async getStackById(id: string, options?: QueryOptions): Promise<Partial<Stack> | null> {
    const document = this.select(GetStackDocument, ['stack'], options?.queryFields);
    return (await this.request(document, { id })).stack;
  }

  /** Pages through `searchStacks` (50 a page) and returns every match. */
  async searchStacks(options: SearchStacksOptions = {}): Promise<Partial<Stack>[]> {
    const document = this.select(
      SearchStacksDocument,
      ['searchStacks', 'edges', 'node'],
      options.queryFields,
    );
    const predicates = (options.labels ?? []).map((label) => ({
      field: 'label',
      constraint: { stringMatches: [label] },
    }));
    return this.collectPages('SearchStacks', options.pageSize, async (page) => {
      const input: SearchInput = { ...page, predicates };
      if (options.fullTextSearch !== undefined) input.fullTextSearch = options.fullTextSearch;
      return (await this.request(document, { input })).searchStacks;
    });
  }

  /** Native Spacelift stack dependencies, both directions. `null` for an unknown stack. */
  async getStackDependencies(id: string): Promise<StackDependencies | null> {
    return (await this.request(GetStackDependenciesDocument, { id })).stack;
  }

  /** Adds and removes labels (e.g. `dependsOn:<id>`) keeping every other stack setting. */
  async updateStackLabels(id: string, change: LabelChange): Promise<Stack> {
    const current = (await this.request(GetStackInputDocument, { id })).stack;
    if (!current) throw new SpaceliftNotFoundError('stack', id);
    const labels = applyLabelChange(current.labels, change);
    // stackUpdate replaces the whole stack: send every setting back as read.
    const input: StackInput = {
      name: current.name,
      space: current.space,
      description: current.description,
      repository: current.repository,
      branch: current.branch,
      projectRoot: current.projectRoot,
      administrative: current.administrative,
      autodeploy: current.autodeploy,
      labels,
    };
    if (current.provider !== null) input.provider = current.provider;
    if (current.namespace !== null) input.namespace = current.namespace;
    if (current.terraformVersion !== null) input.terraformVersion = current.terraformVersion;
    return (await this.request(UpdateStackDocument, { id, input })).stackUpdate;
  }

  async deleteStack(id: string, options: { destroyResources?: boolean } = {}): Promise<{ id: string }> {
    const variables =
      options.destroyResources === undefined ? { id } : { id, destroyResources: options.destroyResources };
    return (await this.request(DeleteStackDocument, variables)).stackDelete;
  }

  /** The outputs of the stack's last applied tracked run; `null` for an unknown stack. */
  async getStackOutputs(stackId: string): Promise<StackOutput[] | null> {
    return (await this.request(GetStackOutputsDocument, { stackId })).stack?.outputs ?? null;
  }

  // Stack webhooks (Spacelift's per-stack webhook integrations)

  /** The stack's webhooks; `null` for an unknown stack. Their `secret` reads as an empty string. */
  async getStackWebhooks(stackId: string): Promise<StackWebhook[] | null> {
    const stack = (await this.request(ListStackWebhooksDocument, { stack: stackId })).stack;
    return stack ? (stack.integrations?.webhooks ?? []) : null;
  }

  /**
   * Adds a webhook to the stack: Spacelift then POSTs each of the stack's run state changes
   * to `input.endpoint`, signed with `input.secret`.
   *
   * @throws {SpaceliftGraphQLError} for an unknown stack or an invalid endpoint.
   */
  async createStackWebhook(stackId: string, input: StackWebhookInput): Promise<StackWebhook> {
    const data = await this.request(CreateStackWebhookDocument, {
      stack: stackId,
      input: webhookInput(input),
    });
    return data.webhooksIntegrationCreate;
  }

  /**
   * Replaces a webhook's settings; `enabled: true` (the default) also turns on again a
   * webhook Spacelift disabled after failed deliveries.
   *
   * @throws {SpaceliftGraphQLError} when the stack has no such webhook.
   */
  async updateStackWebhook(
    stackId: string,
    webhookId: string,
    input: StackWebhookInput,
  ): Promise<StackWebhook> {
    const data = await this.request(UpdateStackWebhookDocument, {
      stack: stackId,
      webhook: webhookId,
      input: webhookInput(input),
    });
    return data.webhooksIntegrationUpdate;
  }

  /** @throws {SpaceliftGraphQLError} when the stack has no such webhook. */
  async deleteStackWebhook(stackId: string, webhookId: string): Promise<{ id: string }> {
    return (await this.request(DeleteStackWebhookDocument, { stack: stackId, webhook: webhookId }))
      .webhooksIntegrationDelete;
  }

  // Spaces

  /** Default fields: `id`, `name`. */
  async getSpaces(options?: QueryOptions): Promise<Partial<Space>[]> {
    const document = this.select(GetSpacesDocument, ['spaces'], options?.queryFields);
    return (await this.request(document, {})).spaces;
  }

  async getSpaceById(id: string, options?: QueryOptions): Promise<Partial<Space> | null> {
    const document = this.select(GetSpaceDocument, ['space'], options?.queryFields);
    return (await this.request(document, { id })).space;
  }

  async createSpace(input: CreateSpaceInput): Promise<Space> {
    const data = await this.request(CreateSpaceDocument, {
      input: {
        name: input.name,
        parentSpace: input.parentSpaceId,
        description: input.description ?? '',
        inheritEntities: input.inheritEntities ?? false,
        labels: input.labels ?? [],
      },
    });
    return data.spaceCreate;
  }

  async deleteSpace(id: string): Promise<{ id: string; name: string }> {
    return (await this.request(DeleteSpaceDocument, { space: id })).spaceDelete;
  }

  // Contexts

  /** Default fields: `id`, `name`. */
  async getContexts(options?: QueryOptions): Promise<Partial<Context>[]> {
    const document = this.select(GetContextsDocument, ['contexts'], options?.queryFields);
    return (await this.request(document, {})).contexts;
  }

  async getContextById(id: string, options?: QueryOptions): Promise<Partial<Context> | null> {
    const document = this.select(GetContextDocument, ['context'], options?.queryFields);
    return (await this.request(document, { id })).context;
  }

  async createContext(input: CreateContextInput): Promise<Context> {
    const data = await this.request(CreateContextDocument, {
      input: {
        name: input.name,
        space: input.spaceId,
        description: input.description ?? null,
        labels: input.labels ?? [],
        configAttachments: (input.envvars ?? []).map((envvar) => ({
          id: envvar.id,
          value: envvar.value,
          type: envvar.type ?? 'ENVIRONMENT_VARIABLE',
          writeOnly: envvar.writeOnly ?? false,
          description: envvar.description ?? null,
        })),
      },
    });
    return data.contextCreateV2;
  }

  async deleteContext(id: string): Promise<{ id: string; name: string }> {
    const deleted = (await this.request(DeleteContextDocument, { id })).contextDelete;
    if (!deleted) throw new SpaceliftNotFoundError('context', id);
    return deleted;
  }

  // Blueprints

  /** Default fields: `id`, `name`. */
  async getBlueprints(options?: QueryOptions): Promise<Partial<Blueprint>[]> {
    const document = this.select(
      SearchBlueprintsDocument,
      ['searchBlueprints', 'edges', 'node'],
      options?.queryFields,
    );
    return this.collectPages(
      'SearchBlueprints',
      undefined,
      async (page) => (await this.request(document, { input: page })).searchBlueprints,
    );
  }

  async getBlueprintById(id: string, options?: QueryOptions): Promise<Partial<Blueprint> | null> {
    const document = this.select(GetBlueprintDocument, ['blueprint'], options?.queryFields);
    return (await this.request(document, { id })).blueprint;
  }

  async createStackFromBlueprint(
    blueprintId: string,
    options: BlueprintStackCreateOptions,
  ): Promise<{ stackIds: string[]; runIds: string[] }> {
    const data = await this.request(CreateStackFromBlueprintDocument, {
      id: blueprintId,
      input: { templateInputs: options.inputs.map(({ id, value }) => ({ id, value })) },
    });
    return data.blueprintCreateStack;
  }

  // Runs

  /** Triggers a run (TRACKED by default) and returns it as created (state QUEUED). */
  async triggerRun(stackId: string, options: TriggerRunOptions = {}): Promise<Run> {
    const data = await this.request(TriggerRunDocument, {
      stack: stackId,
      runType: options.runType ?? 'TRACKED',
      commitSha: options.commitSha ?? null,
    });
    return data.runTrigger;
  }

  /** `null` when the stack or the run does not exist. */
  async getRun(stackId: string, runId: string): Promise<Run | null> {
    return (await this.request(GetRunDocument, { stack: stackId, run: runId })).stack?.run ?? null;
  }

  /** The stack's tracked runs (proposed ones apart), newest first. `null` for an unknown stack. */
  async getStackRuns(stackId: string): Promise<Run[] | null> {
    return (await this.request(GetStackRunsDocument, { stack: stackId })).stack?.runs ?? null;
  }

  // Raw GraphQL

  /**
   * Sends any query or mutation (logging in first). Pass a `TypedDocumentNode` for a typed
   * result; a string is parsed locally first, so a syntax error fails before any request.
   * Only queries are retried.
   */
  async execute<TResult, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TResult, TVariables> | string,
    variables?: TVariables,
  ): Promise<TResult> {
    return this.request(typeof document === 'string' ? parseDocument(document) : document, variables);
  }

  /** Sends an authenticated request; on `unauthorized` it logs in again once and retries. */
  private async request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables | undefined,
  ): Promise<TResult> {
    const info = operationInfo(document);
    for (let attempt = 0; ; attempt++) {
      const jwt = await this.session.get();
      let status: number;
      let body: GraphQLResponseBody;
      try {
        ({ status, body } = await this.transport.send({
          query: info.query,
          operationName: info.operationName,
          variables: variables as Record<string, unknown> | undefined,
          idempotent: !info.isMutation,
          jwt,
        }));
      } catch (error) {
        if (!(error instanceof SpaceliftHttpError && error.status === 401)) throw error;
        status = 401;
        body = { errors: [{ message: 'unauthorized' }] };
      }
      if (status === 401 || isUnauthorized(body.errors)) {
        this.session.invalidate(jwt);
        if (attempt === 0) {
          this.options.log.warn({ operation: info.operationName }, 'spacelift JWT refused, logging in again');
          continue;
        }
        throw new SpaceliftAuthError(
          `${info.operationName ?? 'GraphQL operation'} is unauthorized even after a fresh login: ` +
            'check the API key has access to this resource.',
          info.operationName,
          'unauthorized',
        );
      }
      if (body.errors?.length) throw new SpaceliftGraphQLError(info.operationName, body.errors);
      if (!body.data) {
        throw new SpaceliftHttpError(status, info.operationName, 'response has neither data nor errors');
      }
      return body.data as TResult;
    }
  }

  /** Exchanges the API key for a JWT. */
  private async login(): Promise<Session> {
    const info = operationInfo(ApiKeyUserDocument);
    this.options.log.debug({ keyId: this.options.keyId }, 'spacelift login');
    const refused = (reason: string) =>
      new SpaceliftAuthError(
        `Spacelift refused API key "${this.options.keyId}" (${reason}): check SPACELIFT_KEY_ID and SPACELIFT_KEY_SECRET.`,
        info.operationName,
        'key-refused',
      );
    let body: GraphQLResponseBody;
    try {
      ({ body } = await this.transport.send({
        query: info.query,
        operationName: info.operationName,
        variables: { id: this.options.keyId, secret: this.options.keySecret },
        idempotent: true,
      }));
    } catch (error) {
      if (error instanceof SpaceliftHttpError && (error.status === 401 || error.status === 403)) {
        throw refused(`HTTP ${error.status}`);
      }
      throw error;
    }
    if (body.errors?.length) throw refused(body.errors.map((e) => e.message).join('; '));
    const user = (body.data as { apiKeyUser?: Session | null } | null | undefined)?.apiKeyUser;
    if (!user) {
      // Spacelift answers null, not an error, for a key id it does not know.
      throw new SpaceliftAuthError(
        `Spacelift does not know API key "${this.options.keyId}" (apiKeyUser returned null): ` +
          'check SPACELIFT_KEY_ID and that the key exists in this account (SPACELIFT_BASE_URL).',
        info.operationName,
        'unknown-key',
      );
    }
    return { jwt: user.jwt, validUntil: user.validUntil };
  }

  /** `document` as is, or with the selection at `path` replaced by the caller's `queryFields`. */
  private select<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    path: readonly string[],
    queryFields: QueryFields | undefined,
  ): TypedDocumentNode<TResult, TVariables> {
    if (queryFields === undefined) return document;
    const key = `${operationInfo(document).operationName}\n${JSON.stringify(queryFields)}`;
    const cached = this.selections.get(key);
    if (cached) return cached;
    const built = withSelection(document, path, parseQueryFields(queryFields));
    if (this.options.validateQueryFieldsAgainstSchema) assertValidAgainstSchema(built, queryFields);
    // Bounded: callers with ever-changing field lists must not grow memory forever.
    if (this.selections.size >= 256) this.selections.clear();
    this.selections.set(key, built);
    return built;
  }

  /** Follows `pageInfo.endCursor` until the last page and returns every node. */
  private async collectPages<TNode>(
    operationName: string,
    pageSize: number | undefined,
    fetchPage: (page: { first: number; after?: string }) => Promise<Connection<TNode>>,
  ): Promise<TNode[]> {
    const first = pageSize ?? SEARCH_PAGE_SIZE;
    if (!Number.isInteger(first) || first < 1) {
      throw new SpaceliftValidationError(`pageSize must be a positive integer, got ${pageSize}.`);
    }
    const nodes: TNode[] = [];
    let after: string | undefined;
    for (;;) {
      const connection = await fetchPage(after === undefined ? { first } : { first, after });
      for (const edge of connection.edges) nodes.push(edge.node);
      const { hasNextPage, endCursor } = connection.pageInfo;
      if (!hasNextPage) return nodes;
      if (endCursor === null || endCursor === after) {
        throw new SpaceliftGraphQLError(operationName, [
          { message: `hasNextPage is true but endCursor ${JSON.stringify(endCursor)} does not advance` },
        ]);
      }
      after = endCursor;
    }
  }
}

function parseDocument(source: string): DocumentNode {
  try {
    return parse(source, { noLocation: true });
  } catch (error) {
    const reason = error instanceof GraphQLError ? error.message : String(error);
    throw new SpaceliftValidationError(`execute() was given a document that is not GraphQL: ${reason}`);
  }
}
