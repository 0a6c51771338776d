import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  parse,
  validate,
  type DocumentNode,
  type FieldNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { SpaceliftValidationError } from './errors.js';
import { localSchema } from './local-schema.js';
import type { QueryFields } from './types.js';

/**
 * Parses `queryFields` (`['id', 'config { id value }']`) as one GraphQL selection set. Only
 * plain fields and nested field selections pass: no aliases, arguments, directives,
 * fragments or extra operations, so a field list can never change what the request does.
 */
export function parseQueryFields(fields: QueryFields): SelectionSetNode {
  const shown = JSON.stringify(fields);
  if (!Array.isArray(fields) || fields.length === 0 || fields.some((f) => typeof f !== 'string')) {
    throw new SpaceliftValidationError(
      `queryFields must be a non-empty array of field names or selections like "config { id value }", got ${shown}.`,
    );
  }
  let document: DocumentNode;
  try {
    document = parse(`{ ${fields.join('\n')} }`, { noLocation: true });
  } catch (error) {
    const reason = error instanceof GraphQLError ? error.message : String(error);
    throw new SpaceliftValidationError(`queryFields ${shown} is not a GraphQL selection: ${reason}`);
  }
  const [definition, ...rest] = document.definitions;
  if (
    rest.length > 0 ||
    definition?.kind !== Kind.OPERATION_DEFINITION ||
    definition.operation !== OperationTypeNode.QUERY ||
    definition.name ||
    (definition.variableDefinitions?.length ?? 0) > 0 ||
    (definition.directives?.length ?? 0) > 0
  ) {
    throw new SpaceliftValidationError(
      `queryFields ${shown} must be field selections only, e.g. ["id", "config { id value }"].`,
    );
  }
  checkPlainFields(definition.selectionSet, shown);
  return definition.selectionSet;
}

function checkPlainFields(selectionSet: SelectionSetNode, shown: string): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind !== Kind.FIELD) {
      throw new SpaceliftValidationError(`queryFields ${shown} must not contain fragments.`);
    }
    const problem = selection.alias
      ? 'an alias'
      : selection.arguments?.length
        ? 'arguments'
        : selection.directives?.length
          ? 'directives'
          : null;
    if (problem) {
      throw new SpaceliftValidationError(
        `queryFields ${shown}: field "${selection.name.value}" has ${problem}; only plain field names are allowed.`,
      );
    }
    if (selection.selectionSet) checkPlainFields(selection.selectionSet, shown);
  }
}

/**
 * A copy of `document`'s operation whose field at `path` (from the root, e.g.
 * `['searchStacks', 'edges', 'node']`) selects `selection` instead. Fragment definitions
 * are dropped: the replaced selection was the only place the client's documents spread them.
 */
export function withSelection<TResult, TVariables>(
  document: TypedDocumentNode<TResult, TVariables>,
  path: readonly string[],
  selection: SelectionSetNode,
): TypedDocumentNode<TResult, TVariables> {
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  if (!operation) throw new SpaceliftValidationError('The document has no operation to select fields in.');
  const replace = (set: SelectionSetNode, depth: number): SelectionSetNode => ({
    ...set,
    selections: set.selections.map((s) => {
      if (s.kind !== Kind.FIELD || s.name.value !== path[depth]) return s;
      const field: FieldNode = {
        ...s,
        selectionSet: depth === path.length - 1 ? selection : replace(s.selectionSet!, depth + 1),
      };
      return field;
    }),
  });
  return {
    kind: Kind.DOCUMENT,
    definitions: [{ ...operation, selectionSet: replace(operation.selectionSet, 0) }],
  };
}

/** Rejects a document the bundled schema does not accept, quoting GraphQL's own message. */
export function assertValidAgainstSchema(document: DocumentNode, fields: QueryFields): void {
  const errors = validate(localSchema(), document);
  if (errors.length > 0) {
    throw new SpaceliftValidationError(
      `queryFields ${JSON.stringify(fields)} do not match the Spacelift schema: ${errors
        .map((e) => e.message)
        .join(' ')}`,
    );
  }
}
