import { readFileSync } from 'node:fs';
import { buildSchema, type GraphQLSchema } from 'graphql';

let schema: GraphQLSchema | null = null;

/** The bundled schema.graphql (next to `src/` and `dist/`), built once on first use. */
export function localSchema(): GraphQLSchema {
  schema ??= buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));
  return schema;
}
