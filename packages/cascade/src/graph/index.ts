export * from './dependency-graph.js';
export * from './graph-renderers.js';
export * from './read-stack-graph.js';
export * from './stack-plan.js';
