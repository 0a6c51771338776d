/**
 * The dependency graph for `graph` and `plan`: as the running service of this account read it
 * (its admin side's `/api/estate`, fed by the reconciliation pass), so a person's command is not
 * one more estate-wide read of Spacelift. From Spacelift itself with `--fresh`, or when no service
 * of this account answers on the admin port.
 */
import type { SpaceliftApi } from 'spacelift-client';
import { z } from 'zod';
import { accountOf } from '../account.js';
import type { ServiceConfig } from '../config/service-config.js';
import { buildDependencyGraph, declaredUpstreams } from '../graph/dependency-graph.js';
import type { DependencyGraph } from '../graph/dependency-graph.js';
import {
  findNativeDependencyConflicts,
  readStackGraph,
  type NativeDependencyConflict,
} from '../graph/read-stack-graph.js';

/**
 * How long a command waits for the admin side before it reads Spacelift itself (nothing listening
 * is refused at once; the answer for 10,000 stacks takes well under a second).
 */
const SERVICE_TIMEOUT_MS = 3_000;

/** What of `/api/estate` the graph needs (the rest of the answer is the dashboard's). */
const servedEstateSchema = z.object({
  account: z.string().nullable(),
  labelPrefix: z.string(),
  graphSource: z.enum(['spacelift', 'coordinator']),
  stacks: z.array(
    z.object({ id: z.string(), labels: z.array(z.string()), nativeUpstreams: z.array(z.string()) }),
  ),
});

export interface CommandGraph {
  graph: DependencyGraph;
  /** Stacks with both labels and native dependencies (Spacelift would queue them too). */
  conflicts: () => Promise<NativeDependencyConflict[]>;
  /** Where it came from, in words; null: read from Spacelift now. */
  servedBy: string | null;
}

/** The admin side a command on this machine reaches (a wildcard bind answers on loopback). */
function adminUrlOf(admin: ServiceConfig['admin']): string {
  const host = ['0.0.0.0', '::', ''].includes(admin.host) ? '127.0.0.1' : admin.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${admin.port}`;
}

/**
 * The graph as the service at `adminUrl` holds it, or null when none answers there, or it serves
 * another account or label prefix, or it knows only the coordinator's stacks (no edges).
 */
export async function serviceGraph(
  adminUrl: string,
  token: string | null,
  expected: { account: string; labelPrefix: string },
  timeoutMs = SERVICE_TIMEOUT_MS,
): Promise<Omit<CommandGraph, 'servedBy'> | null> {
  let body: unknown;
  try {
    const response = await fetch(`${adminUrl}/api/estate`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return null;
    body = await response.json();
  } catch {
    return null; // Nothing listens there, or not in time: read Spacelift.
  }
  const parsed = servedEstateSchema.safeParse(body);
  if (!parsed.success) return null;
  const estate = parsed.data;
  if (
    estate.graphSource !== 'spacelift' ||
    estate.account !== expected.account ||
    estate.labelPrefix !== expected.labelPrefix
  )
    return null;
  const graph = buildDependencyGraph(estate.stacks, expected.labelPrefix);
  const conflicts = estate.stacks.flatMap((s) => {
    const labelled = declaredUpstreams(s.labels, expected.labelPrefix);
    return labelled.length > 0 && s.nativeUpstreams.length > 0
      ? [{ stackId: s.id, labelled, native: s.nativeUpstreams }]
      : [];
  });
  return { graph, conflicts: () => Promise.resolve(conflicts) };
}

/** The graph a command shows: the running service's unless `fresh`, else a read of Spacelift. */
export async function commandGraph(
  config: ServiceConfig & { spacelift: { baseUrl: string } },
  fresh: boolean,
  spacelift: () => Promise<SpaceliftApi>,
): Promise<CommandGraph> {
  const { labelPrefix } = config.cascade;
  if (!fresh) {
    const url = adminUrlOf(config.admin);
    const served = await serviceGraph(url, config.admin.token, {
      account: accountOf(config.spacelift.baseUrl),
      labelPrefix,
    });
    if (served) return { ...served, servedBy: `the service at ${url}` };
  }
  const api = await spacelift();
  return {
    graph: await readStackGraph(api, labelPrefix),
    conflicts: () => findNativeDependencyConflicts(api, labelPrefix),
    servedBy: null,
  };
}
