import { Context } from '@temporalio/activity';

/** How often a running activity tells Temporal it is alive; its `heartbeatTimeout` is a few times this. */
const HEARTBEAT_INTERVAL_MS = 2_000;

/**
 * Runs `work` while heartbeating, so when a worker dies mid-call Temporal retries the
 * activity after the heartbeat timeout (seconds) instead of the whole start-to-close timeout.
 */
export async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
