// Worker entry (`workflowsPath`): exports only workflow functions.
export { stackDependencyChainWorkflow } from './stack-dependency-chain.js';
