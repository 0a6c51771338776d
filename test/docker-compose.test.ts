import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * Docker cannot run here, so the compose file is checked against what the README documents:
 * services, published ports, and that every variable the service containers get is one the
 * README's configuration table lists and the code reads.
 */
const root = new URL('../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: string[];
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };
const readme = read('README.md');
const documented = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` +\|/gm)].map((m) => m[1]!));

describe('docker-compose.yml', () => {
  it('has the seed shape: PostgreSQL, Temporal (with its one-shot setup), its Web UI, the webhook receiver and a worker', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'postgresql',
      'temporal',
      'temporal-namespace',
      'temporal-schema',
      'temporal-ui',
      'webhook',
      'worker',
    ]);
    expect(compose.services.postgresql!.ports).toEqual(['5433:5433']);
    expect(compose.services.temporal!.ports).toEqual(['7233:7233']);
    expect(compose.services['temporal-ui']!.ports).toEqual(['8088:8080']);
    expect(compose.services.webhook!.ports).toEqual(['8000:8000']);
    expect(compose.services.worker!.ports).toBeUndefined();
  });

  it('runs the two halves of the service from the Dockerfile, pointed at Temporal', () => {
    for (const name of ['webhook', 'worker'] as const) {
      const service = compose.services[name]!;
      expect(service.build).toBe('.');
      expect(service.command).toEqual([name]);
      expect(service.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
      // Both name the same account, so both default to its coordinator and task queue.
      expect(service.environment?.SPACELIFT_BASE_URL).toMatch(/^\$\{SPACELIFT_BASE_URL/);
    }
    expect(compose.services.webhook!.environment?.SPACELIFT_WEBHOOK_SECRET).toMatch(
      /^\$\{SPACELIFT_WEBHOOK_SECRET/,
    );
    expect(compose.services.worker!.environment?.SPACELIFT_KEY_SECRET).toMatch(/^\$\{SPACELIFT_KEY_SECRET/);
    expect(read('Dockerfile')).toMatch(/ENTRYPOINT \["node", "packages\/cascade\/dist\/cli.js"\]/);
  });

  it('passes only documented variables, each of which the code reads', () => {
    const sources = [
      'packages/cascade/src/config/service-config.ts',
      'packages/cascade/src/webhook/webhook-config.ts',
      'packages/cascade/src/temporal/connection.ts',
    ]
      .map(read)
      .join('\n');
    for (const name of ['webhook', 'worker'] as const) {
      for (const variable of Object.keys(compose.services[name]!.environment ?? {})) {
        expect(documented, `${variable} is in the README's configuration table`).toContain(variable);
        expect(sources, `${variable} is read by the configuration schemas`).toContain(variable);
      }
    }
  });

  it('documents in the README only variables the code reads', () => {
    const code = [
      'packages/cascade/src/config/service-config.ts',
      'packages/cascade/src/config/change-windows.ts',
      'packages/cascade/src/webhook/webhook-config.ts',
      'packages/cascade/src/temporal/dev-server.ts',
      'packages/cascade/src/temporal/connection.ts',
    ]
      .map(read)
      .join('\n');
    expect(documented.size).toBeGreaterThan(20);
    for (const variable of documented) expect(code, `${variable} is read somewhere`).toContain(variable);
  });
});
