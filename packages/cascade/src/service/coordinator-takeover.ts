import { WorkflowNotFoundError } from '@temporalio/client';
import type { Logger } from 'pino';
import type { SpaceliftApi } from 'spacelift-client';
import { DEFAULT_ESTATE_ID } from '../constants.js';
import { handOverUpdate } from '../coordinator-contract.js';
import { connectTemporalWorker } from '../temporal/connection.js';
import type { Coordinator } from '../temporal/coordinator.js';
import { createCascadeWorker } from '../worker/index.js';
import type { TemporalPart } from './temporal-part.js';

/**
 * The upgrade to account-named coordinators: a coordinator still running under the old default
 * id (`spacelift-cascade-estate`, on the old task queue, which no worker polls any more) hands
 * its state to this account's coordinator and ends, so the two never run side by side. A worker
 * on the old queue serves it meanwhile (its in-flight triggers finish first). Returns the id
 * taken over, or null when there was none.
 */
export async function takeOverPreAccountCoordinator(
  temporal: TemporalPart,
  coordinator: Coordinator,
  spacelift: { api: SpaceliftApi; identity: string | null },
  log: Logger,
): Promise<string | null> {
  if (coordinator.ref.estateId === DEFAULT_ESTATE_ID) return null;
  const old = temporal.client.workflow.getHandle(DEFAULT_ESTATE_ID);
  let taskQueue: string;
  try {
    const description = await old.describe();
    if (description.status.name !== 'RUNNING') return null;
    taskQueue = description.taskQueue;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  log.warn(
    { from: DEFAULT_ESTATE_ID, to: coordinator.ref.estateId },
    'taking over the coordinator of an earlier version',
  );
  const connection = await connectTemporalWorker(temporal.settings);
  try {
    // The old coordinator has no account: its activities run for whoever serves it now.
    const worker = await createCascadeWorker({
      connection,
      namespace: temporal.settings.namespace,
      taskQueue,
      api: spacelift.api,
      identity: spacelift.identity ?? undefined,
      log: log.child({ component: 'takeover' }),
    });
    // The worker runs until the old coordinator has ended (its last task needs it too).
    const carried = await worker.runUntil(async () => {
      const state = await old.executeUpdate(handOverUpdate, { args: [coordinator.ref.estateId] });
      await old.result();
      return state;
    });
    // A delivery may have started the new coordinator already (no worker had run it): it holds
    // nothing yet, and what it was told the next reconciliation pass finds again.
    await temporal.client.workflow
      .getHandle(coordinator.ref.estateId)
      .terminate(`replaced by the state handed over from ${DEFAULT_ESTATE_ID}`)
      .catch((err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      });
    await coordinator.configure(carried);
    return DEFAULT_ESTATE_ID;
  } finally {
    await connection.close();
  }
}
