import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/index.js';
import { queryNestingDepth } from '../src/query-nesting-limit.js';
import type { GraphQLBody } from './http-helpers.js';

// Bad input found by fuzzing the endpoint (bench/fuzz/graphql-requests.ts): each once answered 500.
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ port: 0 });
});
afterAll(() => sim.close());

async function call(init: RequestInit & { search?: string }): Promise<{ status: number; body: GraphQLBody }> {
  const response = await fetch(`${sim.url}${init.search ?? ''}`, init);
  return { status: response.status, body: (await response.json()) as GraphQLBody };
}

describe('parameters that are not JSON', () => {
  it('GET with variables that are not JSON is 400 naming the parameter', async () => {
    const { status, body } = await call({ method: 'GET', search: '?query=%7B__typename%7D&variables=%7B' });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toMatch(/^The variables or extensions parameter is not valid JSON: /);
  });

  it('a form POST with extensions that are not JSON is 400 too', async () => {
    const { status, body } = await call({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=%7B__typename%7D&extensions=%5B',
    });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.message).toMatch(/^The variables or extensions parameter is not valid JSON: /);
  });

  it('valid GET parameters still run', async () => {
    const { status, body } = await call({
      method: 'GET',
      search: '?query=%7B__typename%7D&variables=%7B%7D',
    });
    expect(status).toBe(200);
    expect(body).toEqual({ data: { __typename: 'Query' } });
  });
});

describe('deeply nested queries', () => {
  const post = (query: string) =>
    call({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });

  it.each([
    ['selection sets', `{ a ${'{ a '.repeat(5_000)}${'}'.repeat(5_000)} }`, 5_001],
    ['list values', `{ stack(id: ${'['.repeat(5_000)}${']'.repeat(5_000)}) { id } }`, 5_002],
  ])('nested %s are a parse error naming the depth, not a stack overflow', async (_name, query, depth) => {
    const { status, body } = await post(query);
    expect(status).toBeLessThan(500);
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: `The query nests ${depth} levels deep; the simulator accepts at most 256`,
      }),
    ]);
  });

  it('256 levels still reach validation', async () => {
    const { body } = await post(`{ a ${'{ a '.repeat(255)}${'}'.repeat(255)} }`);
    expect(body.errors?.[0]?.message).toBe('Cannot query field "a" on type "Query".');
  });
});

describe('queryNestingDepth', () => {
  it('counts braces, brackets and parentheses, not those inside strings or comments', () => {
    expect(queryNestingDepth('{ a(s: "{{{{", l: [[1]]) # [[[[[[\n { b } }')).toBe(4);
    expect(queryNestingDepth('"""{{{{{{"""')).toBe(0);
  });

  it('stops at a lexing error and leaves it to the parser', () => {
    expect(queryNestingDepth('{ { "unterminated')).toBe(2);
  });
});
