import { print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { Spacelift, SpaceliftValidationError } from 'spacelift-client';
import { parseQueryFields } from '../src/query-fields.js';
import { credentials, fakeFetch, withLogin } from './fake-fetch.js';

function client(options: { validateQueryFieldsAgainstSchema?: boolean } = {}) {
  const fake = fakeFetch(withLogin(() => ({ data: { stacks: [], context: { id: 'c', config: [] } } })));
  return { fake, spacelift: new Spacelift({ ...credentials, fetch: fake.fetch, ...options }) };
}

describe('queryFields', () => {
  it('parses plain and nested fields into one selection set', () => {
    const selection = parseQueryFields(['id', 'config { id value writeOnly }']);
    expect(print(selection)).toBe('{\n  id\n  config {\n    id\n    value\n    writeOnly\n  }\n}');
  });

  it('sends the selection in place of the default fields', async () => {
    const { fake, spacelift } = client();
    await spacelift.getContextById('c', { queryFields: ['id', 'config { id value writeOnly }'] });
    const [request] = fake.apiCalls();
    expect(request!.operationName).toBe('GetContext');
    expect(request!.query.replace(/\s+/g, ' ')).toContain(
      'context(id: $id) { id config { id value writeOnly } }',
    );
  });

  it.each([
    [['id } mutation { stackDelete(id: "prod") { id }'], 'field selections only'],
    [['id }', '{ name'], 'field selections only'],
    [['id', 'stacks: name'], 'has an alias'],
    [['runs(before: "x") { id }'], 'has arguments'],
    [['id @include(if: true)'], 'has directives'],
    [['...F'], 'must not contain fragments'],
    [['... on Stack { id }'], 'must not contain fragments'],
    [['id', 'name {'], 'is not a GraphQL selection'],
    [[], 'non-empty array'],
  ])('rejects %j before sending anything', async (fields, message) => {
    const { fake, spacelift } = client();
    const error = await spacelift.getStacks({ queryFields: fields }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpaceliftValidationError);
    expect((error as Error).message).toContain(message);
    expect((error as SpaceliftValidationError).retryable).toBe(false);
    expect(fake.calls).toHaveLength(0);
  });

  it('rejects fields the schema does not have, with the GraphQL message', async () => {
    const { fake, spacelift } = client();
    const error = await spacelift.getStacks({ queryFields: ['id', 'nmae'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpaceliftValidationError);
    expect((error as Error).message).toContain('Cannot query field "nmae" on type "Stack".');
    expect(fake.calls).toHaveLength(0);
  });

  it('rejects an object field selected without subfields', async () => {
    const { fake, spacelift } = client();
    await expect(spacelift.getContextById('c', { queryFields: ['config'] })).rejects.toThrow(
      /must have a selection of subfields/,
    );
    expect(fake.calls).toHaveLength(0);
  });

  it('can skip the schema check to select fields the bundled schema lacks', async () => {
    const { fake, spacelift } = client({ validateQueryFieldsAgainstSchema: false });
    await spacelift.getStacks({ queryFields: ['id', 'vendorConfig { __typename }'] });
    expect(fake.apiCalls()[0]!.query).toContain('vendorConfig');
  });
});
