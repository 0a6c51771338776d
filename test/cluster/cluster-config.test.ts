import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ClusterConfigError,
  TEMPORAL_SERVICES,
  readTemporalConfig,
  renderTemporalConfig,
} from '../../deploy/cluster/cluster-config.js';
import { METRICS_PORTS, TEMPORAL_SERVER_VERSION } from '../../deploy/cluster/local-cluster.js';

/**
 * docker-compose.yml and `npm run cluster -- up` run Temporal from one file,
 * deploy/cluster/temporal.yaml; this checks the compose file wires it the way the local
 * cluster does (ports, databases, plugin, shards, versions), so the two cannot drift apart.
 */
const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Service {
  image?: string;
  command?: string[] | string;
  working_dir?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };
const service = (name: string) => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const MOUNT = './deploy/cluster:/etc/temporal/cascade:ro';
const IN_CONTAINER = '/etc/temporal/cascade';

const local = readTemporalConfig({});
const inCompose = readTemporalConfig(service('temporal').environment ?? {});

describe('the Temporal configuration shared by deploy/cluster and docker-compose.yml', () => {
  it('renders only default/env placeholders, and refuses other template actions', () => {
    expect(renderTemporalConfig('a: {{ default "x" (env "A_B") }}', {})).toBe('a: x');
    expect(renderTemporalConfig('a: {{ default "x" (env "A_B") }}', { A_B: 'y' })).toBe('a: y');
    expect(renderTemporalConfig('a: {{ default "x" (env "A_B") }}', { A_B: '' })).toBe('a: x');
    expect(() => renderTemporalConfig('a: {{ env "A" }}', {})).toThrow(ClusterConfigError);
  });

  it('locally: everything on 127.0.0.1, PostgreSQL on 5433, frontend on 7233', () => {
    expect(local.database).toMatchObject({ host: '127.0.0.1', port: 5433, plugin: 'postgres12' });
    expect(local.services.frontend.grpcPort).toBe(7233);
    for (const s of TEMPORAL_SERVICES) expect(local.services[s].bindOnIP).toBe('127.0.0.1');
    const ports = [
      ...TEMPORAL_SERVICES.flatMap((s) => [local.services[s].grpcPort, local.services[s].membershipPort]),
      ...Object.values(METRICS_PORTS),
      local.frontendHttpPort,
      local.database.port,
    ];
    expect(new Set(ports).size, 'every local process has ports of its own').toBe(ports.length);
  });

  it('compose runs the same file, mounted, with the same server version', () => {
    const temporal = service('temporal');
    expect(temporal.image).toBe(`temporalio/server:${TEMPORAL_SERVER_VERSION.slice(1)}`);
    expect(temporal.volumes).toContain(MOUNT);
    expect(temporal.command).toEqual([
      'temporal-server',
      '--config-file',
      `${IN_CONTAINER}/temporal.yaml`,
      '--allow-no-auth',
      'start',
    ]);
    // dynamicconfig.yaml is relative to the working folder, as deploy/cluster runs the processes.
    expect(temporal.working_dir).toBe(IN_CONTAINER);
    expect(local.dynamicConfigFile).toBe('dynamicconfig.yaml');
    for (const name of ['temporal-schema', 'temporal-namespace']) {
      expect(service(name).image).toBe(`temporalio/admin-tools:${TEMPORAL_SERVER_VERSION.slice(1)}`);
    }
  });

  it('agrees on shards, plugin, databases, credentials and ports; only the hosts differ', () => {
    expect(inCompose.numHistoryShards).toBe(local.numHistoryShards);
    expect(inCompose.database).toEqual({ ...local.database, host: 'postgresql' });
    for (const s of TEMPORAL_SERVICES) {
      expect(inCompose.services[s]).toEqual({ ...local.services[s], bindOnIP: '0.0.0.0' });
    }
    expect(inCompose.frontendHttpPort).toBe(local.frontendHttpPort);
  });

  it("compose's PostgreSQL is where the config points, with the config's credentials", () => {
    const pg = service('postgresql');
    const { port, user, password } = local.database;
    expect(pg.image).toBe('postgres:15');
    expect(pg.command).toEqual(['postgres', '-p', String(port)]);
    expect(pg.ports).toEqual([`${port}:${port}`]);
    expect(pg.environment).toMatchObject({ POSTGRES_USER: user, POSTGRES_PASSWORD: password });
  });

  it('both set the schemas up with the same script, connection and databases', () => {
    const schema = service('temporal-schema');
    expect(schema.volumes).toContain(MOUNT);
    expect(schema.command).toEqual(['sh', `${IN_CONTAINER}/setup-schema.sh`]);
    expect(schema.environment).toEqual({
      SQL_HOST: inCompose.database.host,
      SQL_PORT: String(inCompose.database.port),
      SQL_USER: inCompose.database.user,
      SQL_PASSWORD: inCompose.database.password,
    });
    const script = read('deploy/cluster/setup-schema.sh');
    expect(script).toContain(`SQL_PLUGIN=${local.database.plugin}`);
    expect(script).toContain(`setup ${local.database.databaseName} postgresql/v12/temporal`);
    expect(script).toContain(`setup ${local.database.visibilityDatabaseName} postgresql/v12/visibility`);
  });

  it("the service containers and the Web UI reach compose's frontend port", () => {
    const frontend = `temporal:${local.services.frontend.grpcPort}`;
    expect(service('temporal').ports).toEqual([
      `${local.services.frontend.grpcPort}:${local.services.frontend.grpcPort}`,
    ]);
    for (const name of ['webhook', 'worker', 'temporal-ui']) {
      expect(service(name).environment?.TEMPORAL_ADDRESS).toBe(frontend);
    }
    expect(String(service('temporal-namespace').command)).toContain(`--address ${frontend}`);
  });
});
