import { Kind, OperationTypeNode, print, type DocumentNode } from 'graphql';
import { SpaceliftValidationError } from './errors.js';

/** What the transport needs to know about a document, computed once per document. */
export interface OperationInfo {
  query: string;
  operationName: string | null;
  isMutation: boolean;
}

const cache = new WeakMap<DocumentNode, OperationInfo>();

/** Printed text, name and kind of a document's single operation (cached: documents are reused). */
export function operationInfo(document: DocumentNode): OperationInfo {
  let info = cache.get(document);
  if (!info) {
    const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    const [operation] = operations;
    if (!operation || operations.length > 1) {
      throw new SpaceliftValidationError(
        `A GraphQL document must hold exactly one operation, found ${operations.length}.`,
      );
    }
    if (operation.operation === OperationTypeNode.SUBSCRIPTION) {
      throw new SpaceliftValidationError(
        'Subscriptions are not supported over HTTP; use a query or mutation.',
      );
    }
    info = {
      query: print(document),
      operationName: operation.name?.value ?? null,
      isMutation: operation.operation === OperationTypeNode.MUTATION,
    };
    cache.set(document, info);
  }
  return info;
}
