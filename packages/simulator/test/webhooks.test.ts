import { readFileSync } from 'node:fs';
import { signWebhookBodySha1, verifyWebhookSignature } from 'spacelift-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type StartSimulatorOptions } from '../src/index.js';
import { receiver, runToEnd, type Receiver } from './webhook-helpers.js';

const SECRET = 'webhook-secret';
const EXAMPLE = JSON.parse(
  readFileSync(new URL('../../../spacelift-api/webhooks/run-finished-tracked.json', import.meta.url), 'utf8'),
) as unknown;

let sim: Simulator | undefined;
let hook: Receiver | undefined;

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

/** The documented example's keys in its order, with those of `value` that the example also has, in theirs. */
function documentedKeyOrder(value: unknown, example: unknown): [string[], string[]] {
  const e = Object.keys(example as object);
  return [e, Object.keys(value as object).filter((k) => e.includes(k))];
}

describe('simulated webhooks', () => {
  it('posts every state change of a run, in order, signed over the exact bytes, with custom headers', async () => {
    const { sim, hook } = await simulate({ webhooks: { headers: { 'X-Team': 'platform' } } });
    const run = await runToEnd(sim);
    expect(hook.received.map((r) => [r.payload.state, r.payload.stateVersion, r.payload.run.id])).toEqual([
      ['QUEUED', 1, run],
      ['READY', 2, run],
      ['PREPARING', 3, run],
      ['INITIALIZING', 4, run],
      ['PLANNING', 5, run],
      ['CONFIRMED', 6, run],
      ['PREPARING_APPLY', 7, run],
      ['APPLYING', 8, run],
      ['FINISHED', 9, run],
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
    expect(sim.stats.deliveries).toEqual({ sent: 9, failed: 0, retried: 0, dropped: 0, skippedDisabled: 0 });
  });

  it("sends the documented default payload's fields, in its order, plus those a real delivery has", async () => {
    const { sim, hook } = await simulate();
    const run = await runToEnd(sim);
    const finished = JSON.parse(hook.received.at(-1)!.body) as Record<string, unknown>;
    for (const [ours, documented] of [
      [finished, EXAMPLE],
      [finished.run, (EXAMPLE as { run: unknown }).run],
      [finished.stack, (EXAMPLE as { stack: unknown }).stack],
    ]) {
      const [expected, actual] = documentedKeyOrder(ours, documented);
      expect(actual).toEqual(expected);
    }
    const stackUrl = `${sim.baseUrl}/stack/network`;
    expect(finished).toEqual({
      account: 'acme',
      state: 'FINISHED',
      stateVersion: 9,
      timestamp: expect.any(Number),
      timestamp_millis: expect.any(Number),
      note: null,
      event_source: 'spacelift',
      event_type: 'run_state_changed_event',
      run: {
        id: run,
        branch: 'main',
        commit: expect.objectContaining({ hash: expect.stringMatching(/^[0-9a-f]{40}$/) }),
        createdAt: expect.any(Number),
        // A FINISHED stack's run applies changes (see run-outcomes.test.ts for each outcome).
        delta: expect.objectContaining({ resources: expect.any(Number) }),
        driftDetection: false,
        triggeredBy: 'api::simulator',
        type: 'TRACKED',
        url: `${stackUrl}/run/${run}`,
      },
      stack: {
        id: 'network',
        name: 'Network',
        description: null,
        labels: ['team:platform'],
        repository: 'infra',
        url: stackUrl,
        vcs: 'GITHUB',
      },
      workerPool: { id: null, name: null, public: true },
    });
    expect(Math.floor((finished.timestamp_millis as number) / 1000)).toBe(finished.timestamp);
    const { delta } = finished.run as { delta: Record<string, number> };
    expect(Object.keys(delta)).toEqual(Object.keys((EXAMPLE as { run: { delta: object } }).run.delta));
    expect(delta.added! + delta.changed! + delta.deleted!).toBeGreaterThan(0);
    // Before planning there is no delta yet, as in a real QUEUED delivery.
    expect((JSON.parse(hook.received[0]!.body) as { run: { delta: unknown } }).run.delta).toBeNull();
  });

  it('retries a 5xx answer up to 3 times, then gives up', async () => {
    const { sim, hook } = await simulate({ status: () => 503, stateDurationMs: 3_600_000 });
    await sim.mock.triggerRun('network');
    await sim.webhooksIdle();
    // One QUEUED delivery: the first attempt and three retries.
    expect(hook.received.map((r) => r.payload.state)).toEqual(['QUEUED', 'QUEUED', 'QUEUED', 'QUEUED']);
    expect(sim.stats.deliveries).toEqual({ sent: 0, failed: 1, retried: 3, dropped: 0, skippedDisabled: 0 });
  });

  it('stops retrying once a retry succeeds', async () => {
    const { sim, hook } = await simulate({ status: (n) => (n < 2 ? 500 : 204), stateDurationMs: 3_600_000 });
    await sim.mock.triggerRun('network');
    await sim.webhooksIdle();
    expect(hook.received).toHaveLength(3);
    expect(sim.stats.deliveries).toEqual({ sent: 1, failed: 0, retried: 2, dropped: 0, skippedDisabled: 0 });
  });

  it('does not retry a 4xx answer', async () => {
    const { sim, hook } = await simulate({ status: () => 400, stateDurationMs: 3_600_000 });
    await sim.mock.triggerRun('network');
    await sim.webhooksIdle();
    expect(hook.received).toHaveLength(1);
    expect(sim.stats.deliveries).toEqual({ sent: 0, failed: 1, retried: 0, dropped: 0, skippedDisabled: 0 });
  });

  it('disables a webhook after 10 failed deliveries in a row, and says so', async () => {
    const said: string[] = [];
    const { sim, hook } = await simulate({ status: () => 400, log: (m) => said.push(m) });
    await runToEnd(sim); // 9 deliveries, all refused
    expect(sim.stats.webhooks).toEqual([{ url: hook.url, consecutiveFailures: 9, disabled: false }]);
    await runToEnd(sim); // the 10th is refused too; the other 8 are never sent
    expect(sim.stats.webhooks).toEqual([{ url: hook.url, consecutiveFailures: 10, disabled: true }]);
    expect(hook.received).toHaveLength(10);
    expect(sim.stats.deliveries).toMatchObject({ sent: 0, failed: 10, skippedDisabled: 8 });
    expect(said).toEqual([
      expect.stringContaining(`webhook ${hook.url} disabled after 10 failed deliveries in a row`),
    ]);
  });

  it('counts only failures in a row: a delivered one resets the count', async () => {
    // Every second delivery fails: never 10 in a row.
    const { sim } = await simulate({ status: (n) => (n % 2 === 0 ? 400 : 200) });
    await runToEnd(sim);
    await runToEnd(sim);
    await runToEnd(sim);
    expect(sim.stats.webhooks[0]).toMatchObject({ disabled: false });
    expect(sim.stats.deliveries.sent + sim.stats.deliveries.failed).toBe(27);
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
      1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 9,
    ]);
  });

  it('drops a seeded, reproducible fraction of deliveries', async () => {
    const delivered: number[][] = [];
    for (let i = 0; i < 2; i++) {
      const { sim, hook } = await simulate({ faults: { dropRate: 0.5, randomSeed: 42 } });
      await runToEnd(sim);
      delivered.push(hook.received.map((r) => r.payload.stateVersion));
      expect(sim.stats.deliveries.dropped + sim.stats.deliveries.sent).toBe(9);
      await sim.close();
      await hook.close();
    }
    sim = hook = undefined;
    expect(delivered[0]!.length).toBeGreaterThan(0);
    expect(delivered[0]!.length).toBeLessThan(9);
    expect(delivered[1]).toEqual(delivered[0]);
  });

  it('drops everything at rate 1', async () => {
    const { sim, hook } = await simulate({ faults: { dropRate: 1 } });
    await runToEnd(sim);
    expect(hook.received).toEqual([]);
    expect(sim.stats.deliveries.dropped).toBe(9);
  });

  it("shuffles a run's deliveries once it ends", async () => {
    const { sim, hook } = await simulate({ faults: { shuffleDeliveries: true, randomSeed: 7 } });
    await runToEnd(sim);
    const versions = hook.received.map((r) => r.payload.stateVersion);
    const inOrder = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect([...versions].sort()).toEqual(inOrder);
    expect(versions).not.toEqual(inOrder);
  });
});
