export type { SpaceliftApi } from './api.js';
export * from './types.js';
export * from './webhook-signature.js';
