import { ApplicationFailure } from '@temporalio/common';

/**
 * Runs one Spacelift call and turns errors the client marks `retryable: false` (auth,
 * validation, not found) into non-retryable failures: retrying them only burns time. Other
 * errors are rethrown for Temporal's retry policy. Duck-typed so any client error class works.
 */
export async function callSpacelift<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof Error && (err as { retryable?: unknown }).retryable === false) {
      throw ApplicationFailure.create({
        message: `${operation}: ${err.message}`,
        type: err.name,
        nonRetryable: true,
        cause: err,
      });
    }
    throw err;
  }
}
