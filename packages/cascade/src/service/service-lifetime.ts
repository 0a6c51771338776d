import type { Logger } from 'pino';
import type { ShutdownStack } from './shutdown-stack.js';

/**
 * How long the service lives: until stopped, or until a part it cannot do without stops on its own
 * (the worker, with Temporal gone for good; the receiver's listener); a supervisor that gave up
 * (`fatal`) makes `stopped` reject, so the process exits non-zero.
 */
export function serviceLifetime(
  shutdown: ShutdownStack,
  log: Logger,
  parts: { ended: Promise<unknown> | undefined; fatal: Promise<never> | undefined },
): { stop: () => Promise<void>; stopped: Promise<void> } {
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= shutdown.run(log));
  let fatal: Error | null = null;
  void parts.fatal?.catch((err: unknown) => {
    fatal = err instanceof Error ? err : new Error(String(err));
    void stop();
  });
  const live = async () => {
    await parts.ended?.catch((err: unknown) =>
      log.error({ err }, 'a part of the service stopped unexpectedly'),
    );
    await stop();
    if (fatal) throw fatal;
  };
  const stopped = live();
  return { stop, stopped };
}
