import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { CascadeStatus } from '../cascade-contract.js';
import { CASCADE_STATUS_QUERY } from '../constants.js';
import { changedStackLines, describeCascade, isCascadeOver, progressLine } from './cascade-report.js';

/** A cascade's status: its result once closed, else the live query answer. */
export async function readCascadeStatus(client: Client, workflowId: string): Promise<CascadeStatus> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe();
  if (description.status.name === 'COMPLETED') return (await handle.result()) as CascadeStatus;
  return handle.query<CascadeStatus>(CASCADE_STATUS_QUERY);
}

export interface FollowOptions {
  out: (line: string) => void;
  /** true: one progress line rewritten in place; false: one plain line per change. */
  tty: boolean;
  /** How long to wait for the workflow to appear (a webhook starts it). */
  waitForStartMs?: number;
  intervalMs?: number;
}

/** Prints a cascade's progress until it ends; resolves to its final status. */
export async function followCascade(
  client: Client,
  workflowId: string,
  options: FollowOptions,
): Promise<CascadeStatus> {
  const interval = options.intervalMs ?? 500;
  const startDeadline = Date.now() + (options.waitForStartMs ?? 60_000);
  let previous: CascadeStatus | null = null;
  for (;;) {
    let status: CascadeStatus;
    try {
      status = await readCascadeStatus(client, workflowId);
    } catch (err) {
      // Not started yet (the root run is still going), or its worker has not answered a query yet.
      const notYet =
        err instanceof WorkflowNotFoundError || (err as Error).name === 'QueryNotRegisteredError';
      if (!notYet || Date.now() > startDeadline) throw err;
      await sleep(interval);
      continue;
    }
    const changes = changedStackLines(previous, status);
    if (options.tty) {
      // Stack changes scroll above a progress line that is rewritten in place.
      process.stdout.write('\r\x1b[2K');
      for (const line of changes) options.out(line);
      process.stdout.write(progressLine(status));
    } else {
      for (const line of changes) options.out(line);
    }
    previous = status;
    if (isCascadeOver(status)) {
      if (options.tty) process.stdout.write('\n');
      options.out(describeCascade(workflowId, status));
      return status;
    }
    await sleep(interval);
  }
}
