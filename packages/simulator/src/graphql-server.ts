import { getOperationAST, GraphQLError, Kind, type DocumentNode, type GraphQLSchema } from 'graphql';
import { createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { ApiKeyAuth } from './api-key-auth.js';
import { paramsJsonErrors } from './params-json-errors.js';
import { queryNestingLimit } from './query-nesting-limit.js';
import type { SimulatorConfig } from './simulator-options.js';
import type { SimulatorStats } from './simulator-stats.js';
import type { SpaceliftResolverContext } from './spacelift/spacelift-schema.js';
import type { SpaceliftStore } from './spacelift/spacelift-store.js';

/** The mutations of simulator-extension.graphql. */
const SIMULATOR_ONLY_MUTATIONS: ReadonlySet<string> = new Set([
  'simulatorPush',
  'simulatorUiRun',
  'simulatorDriftRun',
  'simulatorSetStackBehaviour',
]);

/** Far deeper than any real query; far below where graphql-js's recursive parser overflows. */
const MAX_QUERY_NESTING = 256;

interface RequestContext {
  /** `null` when the request carries no valid, unexpired JWT. */
  caller: string | null;
}

export interface SimulatorYogaOptions {
  schema: GraphQLSchema;
  store: SpaceliftStore;
  auth: ApiKeyAuth;
  stats: SimulatorStats;
  faults: SimulatorConfig['faults'];
  random: () => number;
}

/** Answers a share of requests with 500 or 429 (+ Retry-After) before anything runs. */
function faultInjection({ faults, random, stats }: SimulatorYogaOptions): Plugin {
  return {
    onRequest(event) {
      const { request, url, fetchAPI } = event;
      if (request.method !== 'POST' || !url.pathname.endsWith('/graphql')) return;
      if (faults.http500Rate === 0 && faults.http429Rate === 0) return;
      const roll = random();
      if (roll < faults.http500Rate) {
        stats.injected.http500++;
        event.endResponse(new fetchAPI.Response('simulated internal error', { status: 500 }));
      } else if (roll < faults.http500Rate + faults.http429Rate) {
        stats.injected.http429++;
        event.endResponse(
          new fetchAPI.Response('simulated rate limit', {
            status: 429,
            headers: { 'retry-after': String(faults.retryAfterSeconds) },
          }),
        );
      }
    },
  };
}

/** Counts operations; refuses everything but logins and simulator-only mutations without a valid JWT, as Spacelift does. */
function authAndStats({ stats }: SimulatorYogaOptions): Plugin<RequestContext & SpaceliftResolverContext> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      // envelop types these loosely; they are graphql-js execution arguments.
      const document = args.document as DocumentNode;
      const operationName = args.operationName as string | null | undefined;
      const operation = getOperationAST(document, operationName);
      const name = operation?.name?.value ?? 'anonymous';
      stats.apiCalls[name] = (stats.apiCalls[name] ?? 0) + 1;
      // Logins, and the simulator-only mutations (a git push, the UI, drift detection and a
      // stack's code do not come through the API), need no JWT.
      const needsNoJwt =
        operation?.selectionSet.selections.every(
          (s) =>
            s.kind === Kind.FIELD &&
            (s.name.value === 'apiKeyUser' ||
              s.name.value === '__typename' ||
              SIMULATOR_ONLY_MUTATIONS.has(s.name.value)),
        ) ?? false;
      if (!needsNoJwt && args.contextValue.caller === null) {
        stats.unauthorized++;
        setResultAndStopExecution({ data: null, errors: [new GraphQLError('unauthorized')] });
      }
    },
  };
}

/**
 * The simulator's GraphQL endpoint (`/graphql`): Spacelift's schema and the simulator-only
 * mutations, executed by graphql-yoga (real parsing and validation) over the shared store.
 */
export function createSimulatorYoga(
  options: SimulatorYogaOptions,
): YogaServerInstance<Record<string, unknown>, RequestContext & SpaceliftResolverContext> {
  const { schema, store, auth, stats } = options;
  return createYoga<Record<string, unknown>, RequestContext & SpaceliftResolverContext>({
    schema,
    graphqlEndpoint: '/graphql',
    logging: false,
    landingPage: false,
    context: ({ request }) => {
      const caller = auth.identify(request.headers.get('authorization'));
      return {
        caller,
        store,
        identity: caller ?? 'anonymous',
        login: (id: string, secret: string) => {
          const result = auth.login(id, secret);
          if (result.kind === 'ok') stats.logins++;
          else stats.unauthorized++;
          return result;
        },
      };
    },
    plugins: [
      faultInjection(options),
      paramsJsonErrors(),
      queryNestingLimit(MAX_QUERY_NESTING),
      authAndStats(options),
    ],
  });
}
