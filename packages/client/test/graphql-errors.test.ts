import { describe, expect, it } from 'vitest';
import {
  Spacelift,
  SpaceliftError,
  SpaceliftGraphQLError,
  SpaceliftHttpError,
  SpaceliftValidationError,
} from 'spacelift-client';
import { credentials, fakeFetch, jsonResponse, withLogin } from './fake-fetch.js';

describe('GraphQL errors', () => {
  it('maps errors to SpaceliftGraphQLError with message, path and operation', async () => {
    const fake = fakeFetch(
      withLogin(() => ({
        data: null,
        errors: [
          { message: 'stack is locked', path: ['runTrigger'] },
          { message: 'second', path: ['other'] },
        ],
      })),
    );
    const error = await new Spacelift({ ...credentials, fetch: fake.fetch })
      .triggerRun('s1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpaceliftGraphQLError);
    expect(error).toBeInstanceOf(SpaceliftError);
    const gql = error as SpaceliftGraphQLError;
    expect(gql.message).toBe('TriggerRun failed at runTrigger: stack is locked');
    expect(gql.path).toEqual(['runTrigger']);
    expect(gql.operationName).toBe('TriggerRun');
    expect(gql.errors).toHaveLength(2);
    expect(gql.retryable).toBe(false);
  });

  it('maps a 400 answer carrying GraphQL errors (validation) the same way, without retrying', async () => {
    const fake = fakeFetch(
      withLogin(() =>
        jsonResponse({ errors: [{ message: 'Cannot query field "x" on type "Query".' }] }, 400),
      ),
    );
    const error = await new Spacelift({ ...credentials, fetch: fake.fetch })
      .execute('{ x }')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpaceliftGraphQLError);
    expect((error as Error).message).toContain('Cannot query field "x"');
    expect((error as SpaceliftGraphQLError).path).toBeNull();
    expect(fake.apiCalls()).toHaveLength(1);
  });

  it('reports a non-GraphQL body as an HTTP error', async () => {
    const fake = fakeFetch(withLogin(() => new Response('<html>proxy</html>', { status: 200 })));
    const error = await new Spacelift({ ...credentials, fetch: fake.fetch })
      .getStacks()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpaceliftHttpError);
    expect((error as Error).message).toContain('response is not GraphQL JSON');
  });

  it('rejects a raw document that does not parse, before sending', async () => {
    const fake = fakeFetch(withLogin(() => ({ data: {} })));
    const client = new Spacelift({ ...credentials, fetch: fake.fetch });
    await expect(client.execute('{ stacks { id }')).rejects.toBeInstanceOf(SpaceliftValidationError);
    await expect(client.execute('query A { a } query B { b }')).rejects.toThrow(/exactly one operation/);
    expect(fake.calls).toHaveLength(0);
  });
});
