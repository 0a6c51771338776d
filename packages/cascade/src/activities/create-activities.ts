import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { SpaceliftApi } from 'spacelift-client';
import { closureNodes } from '../graph/dependency-graph.js';
import { readStackGraph } from '../graph/read-stack-graph.js';
import { silentLogger, type CascadeLogger } from './cascade-logger.js';
import { callSpacelift } from './spacelift-failure.js';
import { triggerStackRunOnce } from './trigger-stack-run.js';
import type { CascadeActivities } from './types.js';

export interface CascadeActivityDeps {
  /** The Spacelift client (or `MockSpacelift` in tests). */
  api: SpaceliftApi;
  /**
   * The `triggeredBy` value Spacelift records on runs this API key triggers (e.g. `api::<key id>`).
   * Lets a retried trigger tell its own earlier run from one somebody else started; when
   * omitted, any run of the right type created after the cascade's intent counts as its own.
   */
  identity?: string;
  log?: CascadeLogger;
}

/**
 * Builds the cascade activities around an injected Spacelift client (the samples'
 * dependency-injection style), so tests pass `MockSpacelift` and production the HTTP client.
 */
export function createActivities(deps: CascadeActivityDeps): CascadeActivities {
  const { api, identity } = deps;
  const log = deps.log ?? silentLogger;
  return {
    async loadStackGraph({ rootStackId, labelPrefix }) {
      const graph = await callSpacelift('search stacks', () => readStackGraph(api, labelPrefix));
      const nodes = closureNodes(graph, rootStackId);
      const inside = new Set(nodes.map((n) => n.id));
      const unknownDependencies = graph.unknownDependencies.filter(
        (u) => inside.has(u.stackId) && u.dependsOn !== rootStackId,
      );
      log.info(
        { rootStackId, closure: nodes.length, totalStacks: graph.stackIds.length },
        'loaded stack graph',
      );
      return { nodes, unknownDependencies, totalStacks: graph.stackIds.length };
    },

    async triggerStackRun(input) {
      return triggerStackRunOnce(input, { api, identity, log, attempt: Context.current().info.attempt });
    },

    async getRunState(stackId, runId) {
      const run = await callSpacelift(`get run ${runId} of stack ${stackId}`, () =>
        api.getRun(stackId, runId),
      );
      if (run === null) {
        throw ApplicationFailure.nonRetryable(
          `run ${runId} of stack ${stackId} does not exist`,
          'RunNotFound',
        );
      }
      const versions = run.history.map((h) => h.stateVersion);
      return { state: run.state, stateVersion: versions.length > 0 ? Math.max(...versions) : null };
    },
  };
}
