export * from './create-cascade-worker.js';
