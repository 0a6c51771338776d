import { graphql, type GraphQLSchema } from 'graphql';
import type { SpaceliftResolverContext } from '../spacelift/spacelift-schema.js';

/**
 * A `fetch` that executes each GraphQL request in process against `schema`, with no network
 * and no auth check (every caller is `context.identity`). Answers as a GraphQL server would:
 * HTTP 200 with `data` and `errors`.
 */
export function inProcessFetch(schema: GraphQLSchema, context: SpaceliftResolverContext): typeof fetch {
  return async (_input, init) => {
    // The Spacelift client always sends a JSON string body.
    const request = JSON.parse(init?.body as string) as {
      query: string;
      operationName?: string | null;
      variables?: Record<string, unknown> | null;
    };
    const result = await graphql({
      schema,
      source: request.query,
      operationName: request.operationName,
      variableValues: request.variables,
      contextValue: context,
    });
    return new Response(JSON.stringify(result), { headers: { 'content-type': 'application/json' } });
  };
}
