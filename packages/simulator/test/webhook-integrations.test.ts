import { Spacelift, SpaceliftGraphQLError, verifyWebhookSignature } from 'spacelift-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type StartSimulatorOptions } from '../src/index.js';
import { receiver, runToEnd, type Receiver } from './webhook-helpers.js';

/*
 * Spacelift's per-stack webhook integrations, over HTTP: managed through the client, and
 * delivered to by a simulator that has no --webhook-url at all.
 */

const seed = { stacks: [{ id: 'network' }, { id: 'app', labels: ['dependsOn:network'] }] };
const STATES = ['QUEUED', 'READY', 'PREPARING', 'INITIALIZING', 'PLANNING', 'CONFIRMED'];
const ALL_STATES = [...STATES, 'PREPARING_APPLY', 'APPLYING', 'FINISHED'];

let sim: Simulator | undefined;
const hooks: Receiver[] = [];

afterEach(async () => {
  await sim?.close();
  await Promise.all(hooks.splice(0).map((h) => h.close()));
  sim = undefined;
});

async function hook(status?: (n: number) => number): Promise<Receiver> {
  const h = await receiver(status);
  hooks.push(h);
  return h;
}

/** A simulator with no webhook URL, and the HTTP client logged in to it. */
async function simulate(options: Partial<StartSimulatorOptions> = {}) {
  sim = await startSimulator({ seed, stateDurationMs: 0, webhooks: { retryBackoffMs: 1 }, ...options });
  const client = new Spacelift({ baseUrl: sim.baseUrl, keyId: sim.apiKey.id, keySecret: sim.apiKey.secret });
  return { sim, client };
}

describe('webhook integrations through the client', () => {
  it('creates, lists, updates and deletes a stack webhook; the secret never reads back', async () => {
    const { sim, client } = await simulate();
    const created = await client.createStackWebhook('network', {
      endpoint: 'https://cascade.example.com/webhook',
      secret: 's3cret',
      retryOnFailure: true,
    });
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9A-Z]{26}$/),
      enabled: true,
      endpoint: 'https://cascade.example.com/webhook',
      secret: '',
      retryOnFailure: true,
    });
    expect(await client.getStackWebhooks('network')).toEqual([created]);
    expect(await client.getStackWebhooks('app')).toEqual([]);
    expect(await client.getStackWebhooks('nope')).toBeNull();

    const updated = await client.updateStackWebhook('network', created.id, {
      endpoint: 'https://cascade.example.com/v2/webhook',
      secret: '',
      enabled: false,
    });
    expect(updated).toMatchObject({ id: created.id, enabled: false, retryOnFailure: false });
    // An empty secret on update keeps the one set before.
    expect(sim.store.webhooks.require('network', created.id)).toMatchObject({
      endpoint: 'https://cascade.example.com/v2/webhook',
      secret: 's3cret',
    });

    await expect(client.deleteStackWebhook('network', created.id)).resolves.toEqual({ id: created.id });
    expect(await client.getStackWebhooks('network')).toEqual([]);
  });

  it('refuses an unknown stack or webhook and an endpoint that is not http(s)', async () => {
    const { client } = await simulate();
    const refusals = await Promise.all([
      client
        .createStackWebhook('nope', { endpoint: 'https://x.test/hook', secret: '' })
        .catch((e: unknown) => e),
      client.deleteStackWebhook('network', 'NOPE').catch((e: unknown) => e),
      client.createStackWebhook('network', { endpoint: 'ftp://x.test', secret: '' }).catch((e: unknown) => e),
    ]);
    for (const error of refusals) expect(error).toBeInstanceOf(SpaceliftGraphQLError);
    expect(refusals.map((e) => (e as SpaceliftGraphQLError).errors[0]?.extensions?.code)).toEqual([
      'NOT_FOUND',
      'NOT_FOUND',
      'INVALID_INPUT',
    ]);
    expect((refusals[1] as Error).message).toBe(
      'DeleteStackWebhook failed at webhooksIntegrationDelete: webhook "NOPE" not found',
    );
  });

  it("reads many stacks' webhooks in one search page (integrations is a Stack field)", async () => {
    const { client } = await simulate();
    await client.createStackWebhook('app', { endpoint: 'https://x.test/hook', secret: 's' });
    const stacks = await client.searchStacks({
      queryFields: ['id', 'integrations { webhooks { id enabled endpoint retryOnFailure } }'],
    });
    expect(stacks).toEqual([
      {
        id: 'app',
        integrations: {
          webhooks: [
            { id: expect.any(String), enabled: true, endpoint: 'https://x.test/hook', retryOnFailure: false },
          ],
        },
      },
      { id: 'network', integrations: { webhooks: [] } },
    ]);
  });

  it("a deleted stack's webhooks go with it", async () => {
    const { sim, client } = await simulate();
    await client.createStackWebhook('app', { endpoint: 'https://x.test/hook', secret: '' });
    await client.deleteStack('app');
    expect(sim.store.webhooks.list()).toEqual([]);
  });
});

describe('deliveries to webhook integrations', () => {
  it("a simulator without --webhook-url sends each run's events to its stack's webhooks, signed with each one's secret", async () => {
    const [first, second, other] = [await hook(), await hook(), await hook()];
    const { sim, client } = await simulate();
    await client.createStackWebhook('network', { endpoint: first.url, secret: 'first-secret' });
    await client.createStackWebhook('network', { endpoint: second.url, secret: 'second-secret' });
    await client.createStackWebhook('app', { endpoint: other.url, secret: 'other-secret' });
    await client.createStackWebhook('network', { endpoint: other.url, secret: 'x', enabled: false });

    const run = await runToEnd(sim, 'network');
    for (const [h, secret] of [
      [first, 'first-secret'],
      [second, 'second-secret'],
    ] as const) {
      expect(h.received.map((r) => [r.payload.state, r.payload.run.id, r.payload.stack.id])).toEqual(
        ALL_STATES.map((state) => [state, run, 'network']),
      );
      for (const { headers, body } of h.received) {
        const signature = headers['x-signature-256'] as string;
        expect(verifyWebhookSignature([secret], body, signature)).toBe(true);
        expect(
          verifyWebhookSignature(
            ['first-secret', 'second-secret'].filter((s) => s !== secret),
            body,
            signature,
          ),
        ).toBe(false);
      }
    }
    // Neither the other stack's webhook nor a disabled one hears of it.
    expect(other.received).toEqual([]);
    expect(sim.stats.deliveries).toMatchObject({ sent: 18, failed: 0, skippedDisabled: 9 });
    expect(sim.stats.webhooks).toEqual([]);

    await runToEnd(sim, 'app');
    expect(other.received).toHaveLength(9);
    expect(
      other.received.every((r) =>
        verifyWebhookSignature(['other-secret'], r.body, r.headers['x-signature-256'] as string),
      ),
    ).toBe(true);
  });

  it('sends to --webhook-url destinations and integrations alike, each signed its own way', async () => {
    const [configured, integration] = [await hook(), await hook()];
    const { sim, client } = await simulate({
      webhooks: { urls: [configured.url], secret: 'global', retryBackoffMs: 1, headers: { 'X-Team': 'ops' } },
    });
    await client.createStackWebhook('network', { endpoint: integration.url, secret: '' });
    await runToEnd(sim);
    expect(configured.received).toHaveLength(9);
    expect(integration.received).toHaveLength(9);
    expect(configured.received[0]!.headers['x-team']).toBe('ops');
    // An integration with an empty secret sends unsigned deliveries, and no --webhook-url headers.
    expect(integration.received[0]!.headers['x-signature-256']).toBeUndefined();
    expect(integration.received[0]!.headers['x-team']).toBeUndefined();
    expect(integration.received.map((r) => r.body)).toEqual(configured.received.map((r) => r.body));
  });

  it('retries a 5xx only when the webhook says retryOnFailure', async () => {
    const [once, retried] = [await hook(() => 503), await hook(() => 503)];
    const { sim, client } = await simulate({ stateDurationMs: 3_600_000 });
    await client.createStackWebhook('network', { endpoint: once.url, secret: '' });
    await client.createStackWebhook('network', { endpoint: retried.url, secret: '', retryOnFailure: true });
    await sim.mock.triggerRun('network');
    await sim.webhooksIdle();
    expect(once.received).toHaveLength(1);
    expect(retried.received).toHaveLength(4);
    expect(sim.stats.deliveries).toMatchObject({ sent: 0, failed: 2, retried: 3 });
  });

  it('disables a webhook after 10 failed deliveries in a row (enabled: false), says so, and enabling it again resumes', async () => {
    let failing = true;
    const h = await hook(() => (failing ? 400 : 200));
    const said: string[] = [];
    const { sim, client } = await simulate({ log: (m) => said.push(m) });
    const { id } = await client.createStackWebhook('network', { endpoint: h.url, secret: 's' });

    await runToEnd(sim); // 9 refused
    expect(await client.getStackWebhooks('network')).toEqual([expect.objectContaining({ enabled: true })]);
    await runToEnd(sim); // the 10th is refused too; the run's other 8 are not sent
    expect(h.received).toHaveLength(10);
    expect(await client.getStackWebhooks('network')).toEqual([
      expect.objectContaining({ id, enabled: false }),
    ]);
    expect(sim.stats.deliveries).toMatchObject({ failed: 10, skippedDisabled: 8 });
    expect(said).toEqual([
      expect.stringContaining(
        `webhook ${id} of stack network (${h.url}) disabled after 10 failed deliveries in a row`,
      ),
    ]);

    await runToEnd(sim); // disabled: nothing sent
    expect(h.received).toHaveLength(10);
    expect(sim.stats.deliveries.skippedDisabled).toBe(17);

    failing = false;
    await client.updateStackWebhook('network', id, { endpoint: h.url, secret: '' });
    await runToEnd(sim);
    expect(h.received).toHaveLength(19);
    expect(
      verifyWebhookSignature(
        ['s'],
        h.received.at(-1)!.body,
        h.received.at(-1)!.headers['x-signature-256'] as string,
      ),
    ).toBe(true);
    expect(sim.store.webhooks.require('network', id)).toMatchObject({
      enabled: true,
      consecutiveFailures: 0,
    });
  });

  it('sends nothing more to a webhook deleted while deliveries wait', async () => {
    const h = await hook();
    const { sim, client } = await simulate({ stateDurationMs: 3_600_000 });
    const { id } = await client.createStackWebhook('network', { endpoint: h.url, secret: '' });
    await client.deleteStackWebhook('network', id);
    await sim.mock.triggerRun('network');
    await sim.webhooksIdle();
    expect(h.received).toEqual([]);
  });
});
