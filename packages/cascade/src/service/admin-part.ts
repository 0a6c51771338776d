import type { Logger } from 'pino';
import type { SpaceliftApi } from 'spacelift-client';
import { buildAdminServer } from '../admin/admin-server.js';
import type { Problem } from '../admin/service-status.js';
import type { ServiceConfig } from '../config/service-config.js';
import { createDashboardSource } from '../dashboard/dashboard-source.js';
import type { Coordinator } from '../temporal/coordinator.js';
import type { EstateCatalog } from './estate-catalog.js';
import type { ReceiverPart } from './receiver-part.js';

/** The admin listener (dashboard, API, docs, metrics), beside the receiver. */
export interface AdminPart {
  url: string;
  /** Banner lines. */
  lines: string[];
  stop(): Promise<void>;
}

/**
 * Starts the admin side over the coordinator: its graph comes from `catalog` (the passes of the
 * worker in this process) when there is one, else from its own reads of Spacelift.
 */
export async function startAdminPart(
  config: ServiceConfig,
  parts: {
    coordinator: Coordinator;
    api: SpaceliftApi | null;
    catalog: EstateCatalog | null;
    problems: () => Promise<Problem[]>;
    receiver: ReceiverPart;
  },
  log: Logger,
): Promise<AdminPart> {
  const { options } = parts.coordinator.ref;
  const admin = buildAdminServer({
    host: config.admin.host,
    port: config.admin.port,
    adminToken: config.admin.token,
    dashboard: {
      source: createDashboardSource({
        coordinator: parts.coordinator,
        api: parts.api,
        catalog: parts.catalog
          ? { estate: parts.catalog, maxAgeMs: 2 * options.reconcileIntervalMs + 30_000 }
          : null,
        labelPrefix: options.labelPrefix,
        runUrlBase: options.runUrlBase,
      }),
      labelPrefix: options.labelPrefix,
    },
    problems: parts.problems,
    metrics: [parts.receiver.metrics.registry],
    receiverUrl: parts.receiver.url,
    logger: log.child({ component: 'admin' }),
  });
  const url = await admin.listen();
  return {
    url,
    lines: [
      `Dashboard:          ${url}/`,
      `API docs:           ${url}/docs (OpenAPI: ${url}/openapi.json)`,
      `Metrics:            ${url}/metrics, status: ${url}/api/status`,
    ],
    stop: () => admin.close(),
  };
}
