import type { Simulator } from '../src/index.js';

export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; path?: string[]; extensions?: Record<string, unknown> }>;
}

/** Posts one GraphQL request the way a plain client would. */
export async function post(
  sim: Simulator,
  query: string,
  variables: Record<string, unknown> = {},
  jwt?: string,
): Promise<{ status: number; body: GraphQLBody; headers: Headers }> {
  const response = await fetch(sim.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(jwt ? { authorization: `Bearer ${jwt}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: GraphQLBody = {};
  try {
    body = JSON.parse(text) as GraphQLBody;
  } catch {
    // Injected faults answer with plain text.
  }
  return { status: response.status, body, headers: response.headers };
}

export const LOGIN =
  'mutation Login($id: ID!, $secret: String!) { apiKeyUser(id: $id, secret: $secret) { jwt validUntil } }';

/** Logs in with the simulator's key and returns the JWT. */
export async function login(sim: Simulator): Promise<string> {
  const { body } = await post(sim, LOGIN, { id: sim.apiKey.id, secret: sim.apiKey.secret });
  const user = body.data?.apiKeyUser as { jwt: string } | undefined;
  if (!user) throw new Error(`login failed: ${JSON.stringify(body.errors)}`);
  return user.jwt;
}
