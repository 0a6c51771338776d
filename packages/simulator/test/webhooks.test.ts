import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signWebhookBodySha1, verifyWebhookSignature } from 'spacelift-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSimulator, type Simulator, type StartSimulatorOptions } from '../src/index.js';

const SECRET = 'webhook-secret';
const EXAMPLE = JSON.parse(
  readFileSync(new URL('../../../spacelift-api/webhooks/run-finished-tracked.json', import.meta.url), 'utf8'),
) as unknown;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  payload: { state: string; stateVersion: number; run: { id: string } };
}

/** A local webhook endpoint answering with `status(n)` for its n-th request (0-based). */
async function receiver(status: (n: number) => number = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      res.statusCode = status(received.length);
      received.push({ headers: req.headers, body, payload: JSON.parse(body) as Received['payload'] });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let sim: Simulator | undefined;
let hook: Awaited<ReturnType<typeof receiver>> | undefined;

afterEach(async () => {
  await sim?.close();
  await hook?.close();
  sim = hook = undefined;
});

const seed = { account: 'acme', stacks: [{ id: 'network', name: 'Network', labels: ['team:platform'] }] };

async function simulate(
  options: Partial<StartSimulatorOptions> & { status?: (n: number) => number } = {},
): Promise<{ sim: Simulator; hook: NonNullable<typeof hook> }> {
  hook = await receiver(options.status);
  const { status: _status, ...rest } = options;
  sim = await startSimulator({
    seed,
    stateDurationMs: 0,
    ...rest,
    webhooks: { urls: [hook.url], secret: SECRET, retryBackoffMs: 1, ...options.webhooks },
  });
  return { sim, hook };
}

/** Triggers a tracked run and waits until it has ended and every delivery went out. */
async function runToEnd(s: Simulator): Promise<string> {
  const run = (await s.mock.triggerRun('network')).id;
  await vi.waitFor(() => expect(s.store.getRun('network', run)?.state).toBe('FINISHED'), { interval: 5 });
  await s.webhooksIdle();
  return run;
}

/** The structure of a JSON value: keys in order, and the type of each leaf (arrays as such). */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return 'array';
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).map(([k, v]) => [k, shape(v)]);
  }
  return typeof value;
}

describe('simulated webhooks', () => {
  it('posts every state change of a run, in order, signed over the exact bytes, with custom headers', async () => {
    const { sim, hook } = await simulate({ webhooks: { headers: { 'X-Team': 'platform' } } });
    const run = await runToEnd(sim);
    expect(hook.received.map((r) => [r.payload.state, r.payload.stateVersion, r.payload.run.id])).toEqual([
      ['QUEUED', 1, run],
      ['PREPARING', 2, run],
      ['INITIALIZING', 3, run],
      ['PLANNING', 4, run],
      ['APPLYING', 5, run],
      ['FINISHED', 6, run],
    ]);
    for (const { headers, body } of hook.received) {
      expect(headers['content-type']).toBe('application/json');
      expect(headers['x-team']).toBe('platform');
      expect(verifyWebhookSignature([SECRET], body, headers['x-signature-256'] as string)).toBe(true);
      expect(verifyWebhookSignature(['other-secret'], body, headers['x-signature-256'] as string)).toBe(
        false,
      );
      expect(headers['x-signature']).toBe(signWebhookBodySha1(SECRET, body));
    }
    expect(sim.stats.deliveries).toEqual({ sent: 6, failed: 0, retried: 0, dropped: 0 });
  });

  it("sends Spacelift's documented default payload shape", async () => {
    const { sim, hook } = await simulate();
    const run = await runToEnd(sim);
    const finished = JSON.parse(hook.received.at(-1)!.body) as Record<string, unknown>;
    expect(shape(finished)).toEqual(shape(EXAMPLE));
    expect(finished).toMatchObject({
      account: 'acme',
      state: 'FINISHED',
      stateVersion: 6,
      run: { id: run, branch: 'main', type: 'TRACKED', triggeredBy: 'api::simulator' },
      stack: { id: 'network', name: 'Network', description: '', labels: ['team:platform'] },
    });
  });

  it('retries a 5xx answer up to 3 times, then gives up', async () => {
    const { sim, hook } = await simulate({ status: () => 503, stateDurationMs: 3_600_000 });
    await sim.mock.triggerRun('network');
    await sim.webhooksIdle();
    // One QUEUED delivery: the first attempt and three retries.
    expect(hook.received.map((r) => r.payload.state)).toEqual(['QUEUED', 'QUEUED', 'QUEUED', 'QUEUED']);
    expect(sim.stats.deliveries).toEqual({ sent: 0, failed: 1, retried: 3, dropped: 0 });
  });

  it('stops retrying once a retry succeeds', async () => {
    const { sim, hook } = await simulate({ status: (n) => (n < 2 ? 500 : 204), stateDurationMs: 3_600_000 });
    await sim.mock.triggerRun('network');
    await sim.webhooksIdle();
    expect(hook.received).toHaveLength(3);
    expect(sim.stats.deliveries).toEqual({ sent: 1, failed: 0, retried: 2, dropped: 0 });
  });

  it('does not retry a 4xx answer', async () => {
    const { sim, hook } = await simulate({ status: () => 400, stateDurationMs: 3_600_000 });
    await sim.mock.triggerRun('network');
    await sim.webhooksIdle();
    expect(hook.received).toHaveLength(1);
    expect(sim.stats.deliveries).toEqual({ sent: 0, failed: 1, retried: 0, dropped: 0 });
  });

  it('sends no signature headers when no secret is configured', async () => {
    const { sim, hook } = await simulate({ webhooks: { secret: '' }, stateDurationMs: 3_600_000 });
    await sim.mock.triggerRun('network');
    await sim.webhooksIdle();
    expect(hook.received[0]!.headers['x-signature-256']).toBeUndefined();
    expect(hook.received[0]!.headers['x-signature']).toBeUndefined();
  });
});

describe('webhook fault knobs', () => {
  it('duplicates every delivery N times, keeping the order', async () => {
    const { sim, hook } = await simulate({ faults: { deliveryCopies: 3 } });
    await runToEnd(sim);
    expect(hook.received.map((r) => r.payload.stateVersion)).toEqual([
      1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6,
    ]);
  });

  it('drops a seeded, reproducible fraction of deliveries', async () => {
    const delivered: number[][] = [];
    for (let i = 0; i < 2; i++) {
      const { sim, hook } = await simulate({ faults: { dropRate: 0.5, randomSeed: 42 } });
      await runToEnd(sim);
      delivered.push(hook.received.map((r) => r.payload.stateVersion));
      expect(sim.stats.deliveries.dropped + sim.stats.deliveries.sent).toBe(6);
      await sim.close();
      await hook.close();
    }
    sim = hook = undefined;
    expect(delivered[0]!.length).toBeGreaterThan(0);
    expect(delivered[0]!.length).toBeLessThan(6);
    expect(delivered[1]).toEqual(delivered[0]);
  });

  it('drops everything at rate 1', async () => {
    const { sim, hook } = await simulate({ faults: { dropRate: 1 } });
    await runToEnd(sim);
    expect(hook.received).toEqual([]);
    expect(sim.stats.deliveries.dropped).toBe(6);
  });

  it("shuffles a run's deliveries once it ends", async () => {
    const { sim, hook } = await simulate({ faults: { shuffleDeliveries: true, randomSeed: 7 } });
    await runToEnd(sim);
    const versions = hook.received.map((r) => r.payload.stateVersion);
    expect([...versions].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(versions).not.toEqual([1, 2, 3, 4, 5, 6]);
  });
});
