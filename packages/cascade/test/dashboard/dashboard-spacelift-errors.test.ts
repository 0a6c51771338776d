import { pino } from 'pino';
import { SpaceliftAuthError } from 'spacelift-client';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../src/admin/admin-server.js';
import { FakeDashboardSource } from './fake-dashboard-source.js';

const source = new FakeDashboardSource([
  { id: 'network', name: 'Network', space: null, labels: [], nativeUpstreams: [] },
]);
const server = buildAdminServer({
  host: '127.0.0.1',
  port: 0,
  adminToken: null,
  dashboard: { source, labelPrefix: 'dependsOn:' },
  logger: pino({ level: 'silent' }),
});
afterAll(() => server.close());

describe('the dashboard API when Spacelift refuses the key', () => {
  it('answers 503 in words pointing at /api/status, not an internal error', async () => {
    const url = await server.listen();
    source.failWith = new SpaceliftAuthError('the API key was refused', 'SearchStacks', 'key-refused');
    const res = await fetch(`${url}/api/estate`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual({
      error: 'spacelift_unavailable',
      message: 'Spacelift could not be read (the API key was refused); GET /api/status says what to do',
    });
  });
});
