export * from './cascade-logger.js';
export * from './create-activities.js';
export * from './types.js';
