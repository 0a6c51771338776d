import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

const TEMPORAL_LEVEL: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

/**
 * Sends the Temporal SDK's own logs (worker lifecycle, workflow bundling) through the
 * service's pino logger at its level, instead of plain text on the console. Must run before
 * the first worker connection; a process that already has a Temporal runtime keeps it.
 */
export function routeTemporalLogs(log: Logger): void {
  const logger = new DefaultLogger(TEMPORAL_LEVEL[log.level] ?? 'INFO', (entry) => {
    const method =
      entry.level === 'TRACE' ? 'trace' : (entry.level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
    log[method]({ ...entry.meta, component: 'temporal-sdk' }, entry.message);
  });
  try {
    Runtime.install({ logger });
  } catch {
    // Already installed (e.g. an embedding process created a worker first): keep that one.
  }
}
