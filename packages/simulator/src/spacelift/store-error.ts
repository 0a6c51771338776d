/** Why the in-memory Spacelift refused a request; `code` lets callers branch without parsing text. */
export type SpaceliftStoreErrorCode = 'NOT_FOUND' | 'CONFLICT' | 'INVALID_INPUT' | 'INVALID_STATE';

/**
 * An error the in-memory Spacelift (MockSpacelift and the simulator) reports the way the real
 * API does: a GraphQL-style message (the simulator sends it as a GraphQL error's `message`).
 */
export class SpaceliftStoreError extends Error {
  override readonly name = 'SpaceliftStoreError';

  constructor(
    readonly code: SpaceliftStoreErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** `<kind> "<id>" not found`, the way the API words a missing object. */
export const notFound = (kind: string, id: string): SpaceliftStoreError =>
  new SpaceliftStoreError('NOT_FOUND', `${kind} "${id}" not found`);
