import { Context } from '@temporalio/activity';
import type { SpaceliftApi } from 'spacelift-client';
import { silentLogger, type CascadeLogger } from './cascade-logger.js';
import { withHeartbeat } from './heartbeat.js';
import { loadClosure } from './load-stack-graph.js';
import { readRunState } from './read-run-state.js';
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
    async loadStackGraph(input) {
      const snapshot = await withHeartbeat(() => loadClosure(api, input));
      log.info(
        { rootStackId: input.rootStackId, closure: snapshot.nodes.length, totalStacks: snapshot.totalStacks },
        'loaded stack graph',
      );
      return snapshot;
    },

    async triggerStackRun(input) {
      const attempt = Context.current().info.attempt;
      return withHeartbeat(() => triggerStackRunOnce(input, { api, identity, log, attempt }));
    },

    async getRunState(stackId, runId) {
      return withHeartbeat(() => readRunState(api, stackId, runId));
    },
  };
}
