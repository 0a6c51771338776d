/**
 * The Temporal server configuration shared by the local cluster and docker-compose.yml
 * (`deploy/cluster/temporal.yaml`), read the way the server reads it. Pure apart from reading
 * the file, so a unit test can compare both users of the file without starting anything.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The folder holding temporal.yaml, dynamicconfig.yaml and setup-schema.sh. */
export const CLUSTER_CONFIG_DIR = fileURLToPath(new URL('.', import.meta.url));
export const TEMPORAL_CONFIG_FILE = fileURLToPath(new URL('./temporal.yaml', import.meta.url));

/** The Temporal services, in the order the local cluster starts them. */
export const TEMPORAL_SERVICES = ['history', 'matching', 'frontend', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

/** The template is not one this reader understands (it renders only `default`/`env`). */
export class ClusterConfigError extends Error {
  override readonly name = 'ClusterConfigError';
}

const PLACEHOLDER = /\{\{\s*default\s+"([^"]*)"\s+\(env\s+"([A-Z][A-Z0-9_]*)"\)\s*\}\}/g;

/**
 * Renders temporal.yaml as Temporal does for the one construct it uses,
 * `{{ default "<value>" (env "<NAME>") }}` (sprig: the variable when set and non-empty, else the
 * value). Any other template action is refused, so the file cannot grow logic this reader (and
 * the agreement test) would not see.
 */
export function renderTemporalConfig(template: string, env: Record<string, string | undefined>): string {
  const rendered = template.replace(PLACEHOLDER, (_m, fallback: string, name: string) => {
    const value = env[name];
    return value === undefined || value === '' ? fallback : value;
  });
  const leftover = /\{\{.*?\}\}/.exec(rendered);
  if (leftover) throw new ClusterConfigError(`temporal.yaml: unsupported template action ${leftover[0]}`);
  return rendered;
}

/** What the cluster's processes and its database setup need to agree on. */
export interface TemporalClusterConfig {
  numHistoryShards: number;
  database: {
    plugin: string;
    host: string;
    port: number;
    user: string;
    password: string;
    /** Main store and visibility store database names. */
    databaseName: string;
    visibilityDatabaseName: string;
  };
  services: Record<TemporalService, { grpcPort: number; membershipPort: number; bindOnIP: string }>;
  frontendHttpPort: number;
  metricsAddress: string;
  dynamicConfigFile: string;
}

interface RawSql {
  pluginName: string;
  databaseName: string;
  connectAddr: string;
  user: string;
  password: string;
}

interface RawConfig {
  persistence: {
    numHistoryShards: number;
    defaultStore: string;
    visibilityStore: string;
    datastores: Record<string, { sql?: RawSql }>;
  };
  global: { metrics: { prometheus: { listenAddress: string } } };
  services: Record<
    string,
    { rpc: { grpcPort: number; membershipPort: number; httpPort?: number; bindOnIP: string } }
  >;
  dynamicConfigClient: { filepath: string };
}

function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

/** temporal.yaml rendered for `env` and reduced to what the cluster's parts must agree on. */
export function readTemporalConfig(
  env: Record<string, string | undefined> = {},
  path: string = TEMPORAL_CONFIG_FILE,
): TemporalClusterConfig {
  const raw = parse(renderTemporalConfig(readFileSync(path, 'utf8'), env)) as RawConfig;
  const store = (name: string): RawSql => {
    const sql = raw.persistence.datastores[name]?.sql;
    if (!sql) throw new ClusterConfigError(`temporal.yaml: datastore ${name} has no sql section`);
    return sql;
  };
  const main = store(raw.persistence.defaultStore);
  const visibility = store(raw.persistence.visibilityStore);
  for (const key of ['pluginName', 'connectAddr', 'user', 'password'] as const) {
    if (main[key] !== visibility[key])
      throw new ClusterConfigError(`temporal.yaml: the two datastores differ in ${key}`);
  }
  const service = (name: TemporalService) => {
    const rpc = raw.services[name]?.rpc;
    if (!rpc) throw new ClusterConfigError(`temporal.yaml: no services.${name}.rpc`);
    return { grpcPort: rpc.grpcPort, membershipPort: rpc.membershipPort, bindOnIP: rpc.bindOnIP };
  };
  const { host, port } = hostPort(main.connectAddr);
  return {
    numHistoryShards: raw.persistence.numHistoryShards,
    database: {
      plugin: main.pluginName,
      host,
      port,
      user: main.user,
      password: main.password,
      databaseName: main.databaseName,
      visibilityDatabaseName: visibility.databaseName,
    },
    services: Object.fromEntries(
      TEMPORAL_SERVICES.map((s) => [s, service(s)]),
    ) as TemporalClusterConfig['services'],
    frontendHttpPort: raw.services.frontend?.rpc.httpPort ?? 0,
    metricsAddress: raw.global.metrics.prometheus.listenAddress,
    dynamicConfigFile: raw.dynamicConfigClient.filepath,
  };
}
