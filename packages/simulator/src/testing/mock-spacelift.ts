import { graphqlSync, print, type GraphQLSchema } from 'graphql';
import { GetRunDocument, Spacelift, type Run, type RunState } from 'spacelift-client';
import type { RunStateListener } from '../spacelift/runs.js';
import type { SeedInput } from '../spacelift/seed-schema.js';
import { createSpaceliftSchema, type SpaceliftResolverContext } from '../spacelift/spacelift-schema.js';
import { SpaceliftStore } from '../spacelift/spacelift-store.js';
import { inProcessFetch } from './in-process-fetch.js';

export interface MockSpaceliftOptions {
  /** Initial data; a `root` space always exists. */
  seed?: SeedInput;
  /** Share state with something else (e.g. a running simulator); `seed` is then added to it. */
  store?: SpaceliftStore;
  /** Recorded as `triggeredBy` of runs this mock triggers and as lock owner. Default `api::mock`. */
  identity?: string;
  /** Clock in milliseconds for a new store. */
  now?: () => number;
}

let sharedSchema: GraphQLSchema | undefined;
/** The executable schema is the same for every store (the store comes with each request). */
const spaceliftSchema = (): GraphQLSchema => (sharedSchema ??= createSpaceliftSchema());

const RUN_BY_ID = print(GetRunDocument);

/**
 * An in-memory Spacelift for unit tests: the real {@link Spacelift} client whose `fetch`
 * executes each request in process, against the schema and resolvers the simulator serves.
 * So documents, `queryFields` checks, results and typed errors are those of the HTTP client,
 * with no network, and every client method is here with the same signature.
 *
 * Runs do not move on their own: drive them with {@link MockSpacelift.advanceRun},
 * {@link MockSpacelift.stepRun} or {@link MockSpacelift.finishRun}.
 *
 * ```ts
 * import { MockSpacelift } from 'spacelift-simulator/testing';
 * const mock = new MockSpacelift({ seed: { stacks: [{ id: 'network' }] } });
 * const run = await mock.triggerRun('network');
 * mock.finishRun('network', run.id);
 * ```
 */
export class MockSpacelift extends Spacelift {
  /** The state behind this mock; share it with a simulator to see the same account. */
  readonly store: SpaceliftStore;
  readonly identity: string;
  private readonly resolverContext: SpaceliftResolverContext;

  constructor(options: MockSpaceliftOptions = {}) {
    const store = options.store ?? new SpaceliftStore({ seed: options.seed, now: options.now });
    if (options.store && options.seed) store.applySeed(options.seed);
    const identity = options.identity ?? 'api::mock';
    const context: SpaceliftResolverContext = {
      store,
      identity,
      login: (id) => ({ kind: 'ok', user: { id, jwt: 'mock-jwt', validUntil: store.nowSeconds() + 3600 } }),
    };
    super({
      baseUrl: 'http://mock-spacelift.invalid',
      keyId: 'mock',
      keySecret: 'mock',
      fetch: inProcessFetch(spaceliftSchema(), context),
      retry: { retries: 0 },
    });
    this.store = store;
    this.identity = identity;
    this.resolverContext = context;
  }

  /** Adds spaces, stacks, contexts and blueprints (see `SeedSchema`). */
  seed(input: SeedInput): this {
    this.store.applySeed(input);
    return this;
  }

  // Test controls: synchronous, they touch the store directly.

  /** Moves a run straight to `state`, recorded in its history like any change. */
  advanceRun(stackId: string, runId: string, state: RunState): Run {
    this.store.runs.transition(stackId, runId, state);
    return this.readRun(stackId, runId);
  }

  /** Moves a run one step along its lifecycle; returns the run as it is afterwards. */
  stepRun(stackId: string, runId: string): Run {
    this.store.runs.step(stackId, runId);
    return this.readRun(stackId, runId);
  }

  /**
   * Moves a run through the rest of its lifecycle, ending as the stack's `outcome` says
   * (FINISHED by default; FAILED after planning; see `store.stacks.setBehaviour` to change
   * it); a run that needs confirmation (UNCONFIRMED outcome, or autodeploy off) stops in
   * UNCONFIRMED. Its `delta` and the stack's outputs follow the outcome, as in the simulator.
   */
  finishRun(stackId: string, runId: string): Run {
    while (this.store.runs.step(stackId, runId));
    return this.readRun(stackId, runId);
  }

  /** Listens to every run state change; returns an unsubscribe function. */
  onRunStateChange(listener: RunStateListener): () => void {
    return this.store.onRunStateChange(listener);
  }

  /** The run in the client's shape (`GetRun`'s selection), read synchronously. */
  private readRun(stackId: string, runId: string): Run {
    const result = graphqlSync({
      schema: spaceliftSchema(),
      source: RUN_BY_ID,
      variableValues: { stack: stackId, run: runId },
      contextValue: this.resolverContext,
    });
    const data = JSON.parse(JSON.stringify(result.data)) as { stack: { run: Run } };
    return data.stack.run;
  }
}

/**
 * The same class as {@link MockSpacelift}, under the name the seed project's Python client
 * gave its fake, so ported tests find it: `new MockedSpacelift(...)` is a `MockSpacelift`.
 */
export const MockedSpacelift = MockSpacelift;
/** The same class as {@link MockSpacelift}. */
export type MockedSpacelift = MockSpacelift;
