import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { SpaceliftAuthError, type SpaceliftApi } from 'spacelift-client';
import {
  accountQuery,
  controlsQuery,
  unconnectedStacksQuery,
  type CoordinatorRef,
} from '../coordinator-contract.js';
import { windowsKey } from '../estate/operator-controls.js';
import type { Problem } from '../admin/service-status.js';
import type { CascadePort } from '../webhook/cascade-port.js';

/** How long one answer about the Spacelift key holds: status requests must not become API traffic. */
const SPACELIFT_CHECK_MS = 60_000;
/** Each live check gets this long, so a status answer comes within a few seconds. */
const CHECK_TIMEOUT_MS = 2_000;

export interface ProblemChecks {
  /** The process's Temporal client (its connection and namespace are the ones checked). */
  temporal: { address: string; client: Client; gateway: CascadePort | null };
  coordinator: CoordinatorRef & { account: string };
  spacelift: { api: SpaceliftApi | null; keyId: string | null; baseUrl: string };
  /** The worker of this process, when it runs one (it starts after the admin side). */
  worker: () => Worker | null;
  now?: () => number;
}

/**
 * The service's open problems, in words with what to do: a refused API key, an unreachable
 * Temporal, no worker polling the account's task queue, a coordinator bound to another account.
 * Read on each `GET /api/status` and by the banner.
 */
export function serviceProblems(checks: ProblemChecks): () => Promise<Problem[]> {
  const now = checks.now ?? Date.now;
  const { client } = checks.temporal;
  const { connection } = client;
  let spacelift: { at: number; problem: Problem | null } | null = null;
  const within = <T>(fn: () => Promise<T>) => connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, fn);

  const spaceliftProblem = async (): Promise<Problem | null> => {
    const { api } = checks.spacelift;
    if (api === null) return null; // A receiver alone reads nothing from Spacelift.
    if (spacelift && now() - spacelift.at < SPACELIFT_CHECK_MS) return spacelift.problem;
    let problem: Problem | null = null;
    try {
      await api.getSpaces();
    } catch (err) {
      problem = { part: 'spacelift', message: describeSpaceliftFailure(err, checks.spacelift) };
    }
    spacelift = { at: now(), problem };
    return problem;
  };

  const temporalProblem = async (): Promise<Problem | null> => {
    try {
      await (checks.temporal.gateway?.checkReady() ??
        within(() => connection.workflowService.getSystemInfo({})));
      return null;
    } catch (err) {
      return {
        part: 'temporal',
        message:
          `Temporal at ${checks.temporal.address} is unreachable (${err instanceof Error ? err.message : String(err)}): ` +
          'webhooks wait in the spool; check TEMPORAL_ADDRESS, or the embedded server in the log',
      };
    }
  };

  const workerProblem = async (): Promise<Problem | null> => {
    const { taskQueue } = checks.coordinator;
    const worker = checks.worker();
    if (worker) {
      const state = worker.getState();
      return state === 'RUNNING'
        ? null
        : {
            part: 'worker',
            message: `this service's worker is ${state.toLowerCase()}: see the log, then restart the service`,
          };
    }
    try {
      const answer = await within(() =>
        connection.workflowService.describeTaskQueue({
          namespace: client.options.namespace,
          taskQueue: { name: taskQueue },
          taskQueueType: 1, // WORKFLOW
        }),
      );
      return (answer.pollers?.length ?? 0) > 0
        ? null
        : {
            part: 'worker',
            message: `no worker polls task queue ${taskQueue}: nothing is triggered until one does (run \`spacelift-cascade worker\` or \`start\`)`,
          };
    } catch {
      return null; // Temporal itself is the problem, and says so.
    }
  };

  const accountProblem = async (): Promise<Problem | null> => {
    const { estateId, account } = checks.coordinator;
    try {
      const theirs = await within(() => client.workflow.getHandle(estateId).query(accountQuery));
      return theirs !== null && theirs !== account
        ? {
            part: 'account',
            message:
              `the coordinator ${estateId} serves Spacelift account ${theirs}, this service ${account}: ` +
              'its receiver refuses deliveries (409) and its worker triggers nothing; point CASCADE_ESTATE_ID and CASCADE_TASK_QUEUE at this account (unset both for the defaults)',
          }
        : null;
    } catch {
      return null; // Not started yet, or no worker to answer: not an account problem.
    }
  };

  const webhooksProblem = async (): Promise<Problem | null> => {
    try {
      const missing = await within(() =>
        client.workflow.getHandle(checks.coordinator.estateId).query(unconnectedStacksQuery),
      );
      if (missing.length === 0) return null;
      const named =
        missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, and ${missing.length - 5} more` : '');
      return {
        part: 'webhooks',
        message:
          `${missing.length} stack(s) of the dependency graph have no webhook to this service (${named}): ` +
          'their runs reach the cascade late, by polling; run `spacelift-cascade connect` again, or set CASCADE_MANAGE_WEBHOOKS=true',
      };
    } catch {
      return null; // Not started yet, or no worker to answer.
    }
  };

  /** The change windows have one source of truth: a part configured with others is a problem, not the last word. */
  const windowsProblem = async (): Promise<Problem | null> => {
    const mine = checks.coordinator.options.changeWindows;
    try {
      const theirs = await within(() =>
        client.workflow.getHandle(checks.coordinator.estateId).query(controlsQuery),
      );
      if (theirs.windowsKey === undefined || theirs.windowsKey === (mine ? windowsKey(mine) : null))
        return null;
      return {
        part: 'config',
        message:
          `the coordinator ${checks.coordinator.estateId} keeps other change windows than this service's ` +
          '(CASCADE_CHANGE_WINDOWS, CASCADE_CHANGE_WINDOWS_<NAME>): the last worker started set them; give every worker and receiver the same settings',
      };
    } catch {
      return null; // Not started yet, or no worker to answer.
    }
  };

  return async () => {
    const found = await Promise.all([
      spaceliftProblem(),
      temporalProblem(),
      workerProblem(),
      accountProblem(),
      webhooksProblem(),
      windowsProblem(),
    ]);
    return found.filter((p): p is Problem => p !== null);
  };
}

function describeSpaceliftFailure(
  err: unknown,
  spacelift: { keyId: string | null; baseUrl: string },
): string {
  const key = spacelift.keyId ? `API key ${spacelift.keyId}` : 'the API key';
  if (err instanceof SpaceliftAuthError) {
    return `Spacelift refused ${key} (${err.reason}): check SPACELIFT_KEY_ID and SPACELIFT_KEY_SECRET`;
  }
  const why = err instanceof Error ? err.message : String(err);
  return `Spacelift at ${spacelift.baseUrl} could not be read (${why}): check SPACELIFT_BASE_URL and the network`;
}
