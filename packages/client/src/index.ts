export type { SpaceliftApi } from './api.js';
export { Spacelift } from './spacelift.js';
export { SpaceliftOptionsSchema, type SpaceliftOptions } from './client-options.js';
export type { SpaceliftLogger } from './logger.js';
export type { RetryPolicy } from './http/retry-policy.js';
export type { RateLimit } from './http/token-bucket.js';
export * from './errors.js';
export * from './types.js';
export * from './webhook-signature.js';
/** The typed document behind `getRun`, for `execute()` and for in-process readers like MockSpacelift. */
export { GetRunDocument } from './generated/graphql.generated.js';
export { apiKeyIdentity } from './api-key-identity.js';
