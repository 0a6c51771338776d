import type { Client } from '@temporalio/client';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import type { SpaceliftApi } from 'spacelift-client';
import type { CascadeInput, CascadeStatus } from '../cascade-contract.js';
import { PARENT_WORKFLOW, cascadeWorkflowId } from '../constants.js';
import { describeCascade, exitCodeOf } from './cascade-report.js';
import { followCascade, readCascadeStatus } from './follow-cascade.js';
import { UnknownStackError } from './graph-commands.js';
import type { ServiceConfig } from './service-config.js';

export interface Output {
  out: (line: string) => void;
  json: boolean;
  tty: boolean;
}

const print = (o: Output, data: unknown, text: () => string) =>
  o.out(o.json ? JSON.stringify(data, null, 2) : text());

/** Accepts a workflow id (`cascade-…`) or the root run id it derives from. */
export const toWorkflowId = (id: string): string => (id.startsWith('cascade-') ? id : cascadeWorkflowId(id));

/**
 * Triggers a run of `stackId` (as a push would) and starts the cascade that follows it; the
 * cascade waits for the run to finish, then runs the dependents. Returns the exit code.
 */
export async function triggerCommand(
  api: SpaceliftApi,
  client: Client,
  config: ServiceConfig,
  stackId: string,
  flags: { follow: boolean },
  o: Output,
): Promise<number> {
  // Same clear usage error as `plan` and `graph` (Spacelift's own answer is a GraphQL error).
  if ((await api.getStackById(stackId, { queryFields: ['id'] })) === null)
    throw new UnknownStackError(stackId);
  const run = await api.triggerRun(stackId, { runType: 'TRACKED' });
  const workflowId = cascadeWorkflowId(run.id);
  const input: CascadeInput = {
    rootStackId: stackId,
    rootRunId: run.id,
    rootFinished: false,
    options: config.cascade,
  };
  try {
    await client.workflow.start(PARENT_WORKFLOW, {
      workflowId,
      taskQueue: config.webhook.taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      memo: { rootStackId: stackId, rootRunId: run.id },
    });
  } catch (err) {
    // The run's webhook got there first: the cascade exists already, which is what we want.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  if (!o.json) o.out(`Triggered run ${run.id} of stack ${stackId}; cascade ${workflowId}.`);
  if (!flags.follow) {
    if (o.json) print(o, { runId: run.id, workflowId }, () => '');
    return 0;
  }
  const status = await followCascade(client, workflowId, {
    out: o.json ? () => undefined : o.out,
    tty: o.tty && !o.json,
  });
  if (o.json) print(o, { runId: run.id, workflowId, status }, () => '');
  return exitCodeOf(status);
}

export interface CascadeListEntry {
  workflowId: string;
  status: string;
  startTime: string;
  closeTime: string | null;
  rootStackId: string | null;
  rootRunId: string | null;
}

function toEntry(info: WorkflowExecutionInfo): CascadeListEntry {
  const memo = info.memo ?? {};
  return {
    workflowId: info.workflowId,
    status: info.status.name,
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime ? info.closeTime.toISOString() : null,
    rootStackId: typeof memo.rootStackId === 'string' ? memo.rootStackId : null,
    rootRunId: typeof memo.rootRunId === 'string' ? memo.rootRunId : null,
  };
}

export async function listCommand(client: Client, limit: number, o: Output): Promise<number> {
  const entries: CascadeListEntry[] = [];
  for await (const info of client.workflow.list({ query: `WorkflowType = '${PARENT_WORKFLOW}'` })) {
    entries.push(toEntry(info));
    if (entries.length >= limit) break;
  }
  print(o, entries, () =>
    entries.length === 0
      ? 'No cascades yet.'
      : entries
          .map((e) => `${e.workflowId}  ${e.status.padEnd(10)}  ${e.startTime}  root ${e.rootStackId ?? '?'}`)
          .join('\n'),
  );
  return 0;
}

export async function statusCommand(client: Client, id: string, o: Output): Promise<number> {
  const workflowId = toWorkflowId(id);
  const status: CascadeStatus = await readCascadeStatus(client, workflowId);
  print(o, { workflowId, ...status }, () => describeCascade(workflowId, status));
  return 0;
}

export async function cancelCommand(client: Client, id: string, o: Output): Promise<number> {
  const workflowId = toWorkflowId(id);
  await client.workflow.getHandle(workflowId).cancel();
  print(o, { workflowId, cancelRequested: true }, () => `Cancellation of ${workflowId} requested.`);
  return 0;
}
