import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';

const schema = buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

function graphqlFiles(dir: URL): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => fileURLToPath(new URL(name, dir)));
}

const validationMessages = (file: string) =>
  validate(schema, parse(readFileSync(file, 'utf8'))).map((e) => e.message);

const sharedDir = new URL('../../../spacelift-api/operations/', import.meta.url);
const sharedFiles = graphqlFiles(sharedDir);
const ownFiles = graphqlFiles(new URL('../src/operations/', import.meta.url));

describe('schema.graphql accepts the reference operations', () => {
  it('finds the reference collection', () => {
    expect(sharedFiles.length).toBeGreaterThanOrEqual(30);
  });

  it.each(sharedFiles.map((f) => [f.slice(fileURLToPath(sharedDir).length), f]))('%s', (_name, file) => {
    expect(validationMessages(file)).toEqual([]);
  });
});

describe("schema.graphql accepts the client's own operations", () => {
  it('finds them', () => {
    expect(ownFiles.length).toBeGreaterThanOrEqual(6);
  });

  it.each(ownFiles.map((f) => [f.split('/').pop()!, f]))('%s', (_name, file) => {
    expect(validationMessages(file)).toEqual([]);
  });

  it('rejects a document the schema does not have (the check is live)', () => {
    expect(validate(schema, parse('{ stacks { nmae } }')).map((e) => e.message)).toEqual([
      'Cannot query field "nmae" on type "Stack". Did you mean "name"?',
    ]);
  });
});
