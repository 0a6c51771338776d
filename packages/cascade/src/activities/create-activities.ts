import { Context } from '@temporalio/activity';
import type { EstateCatalog } from '../service/estate-catalog.js';
import { ApplicationFailure } from '@temporalio/common';
import { accountMismatchMessage } from '../account.js';
import type { SpaceliftApi } from 'spacelift-client';
import { silentLogger, type CascadeLogger } from './cascade-logger.js';
import { windowSchedule } from '../config/change-windows.js';
import { withHeartbeat } from './heartbeat.js';
import { readRuns } from './read-runs.js';
import { readStackOutputs } from './read-stack-outputs.js';
import { reconcileEstate, type ManagedWebhooks } from './reconcile-estate.js';
import { triggerStackRunOnce } from './trigger-stack-run.js';
import type { CascadeActivities } from './types.js';

export interface CascadeActivityDeps {
  /** The Spacelift client (or `MockSpacelift` in tests). */
  api: SpaceliftApi;
  /**
   * The `triggeredBy` value Spacelift records on runs this API key triggers (`api::<key id>`;
   * the `api::<short id>::<key name>` form is recognised too). Lets a retried trigger tell its
   * own earlier run from one somebody else started; when omitted, any run of the right type
   * created after the cascade's intent counts as its own.
   */
  identity?: string;
  log?: CascadeLogger;
  /** Where each pass leaves the estate it read, for the dashboard of this process. */
  catalog?: EstateCatalog | null;
  /** CASCADE_MANAGE_WEBHOOKS: each pass gives the graph's stacks their webhook to the receiver. */
  webhooks?: ManagedWebhooks | null;
  /** The Spacelift account `api` reaches (see `account.ts`); activities for another account's coordinator refuse. */
  account?: string | null;
}

/** A non-retryable failure when the coordinator serves another account than this worker's API key. */
function refuseOtherAccount(ours: string | null | undefined, theirs: string | null | undefined): void {
  if (!ours || !theirs || ours === theirs) return;
  const id = Context.current().info.workflowExecution?.workflowId ?? 'of this activity';
  throw ApplicationFailure.create({
    type: 'AccountMismatch',
    message: accountMismatchMessage('worker', ours, { id, account: theirs }),
    nonRetryable: true,
  });
}

/**
 * Builds the cascade activities around an injected Spacelift client (the samples'
 * dependency-injection style), so tests pass `MockSpacelift` and production the HTTP client.
 */
export function createActivities(deps: CascadeActivityDeps): CascadeActivities {
  const { api, identity } = deps;
  const log = deps.log ?? silentLogger;
  return {
    async triggerStackRun(input) {
      refuseOtherAccount(deps.account, input.account);
      const attempt = Context.current().info.attempt;
      return withHeartbeat(() => triggerStackRunOnce(input, { api, identity, log, attempt }));
    },

    async readRuns(runs, account) {
      refuseOtherAccount(deps.account, account);
      return withHeartbeat(() => readRuns(api, runs));
    },

    async readStackOutputs(stackId, account) {
      refuseOtherAccount(deps.account, account);
      return withHeartbeat(() => readStackOutputs(api, stackId));
    },

    changeWindowEdges({ windows, from, days }) {
      return Promise.resolve(windowSchedule(windows, from, days));
    },

    async reconcileEstate(input) {
      refuseOtherAccount(deps.account, input.account);
      const result = await withHeartbeat(() =>
        reconcileEstate(api, input, deps.webhooks ?? null, deps.catalog ?? null),
      );
      log.info(
        {
          totalStacks: result.totalStacks,
          stacksRead: result.stacksRead,
          observations: result.observations.length,
          graphChanged: result.nodes !== null,
          unconnected: result.unconnected?.length,
          webhooksFixed: result.webhooksFixed,
        },
        'reconciled the estate',
      );
      return result;
    },
  };
}
