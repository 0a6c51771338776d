import { describe, expect, it } from 'vitest';
import { buildDependencyGraph } from '../../src/graph/index.js';
import {
  isManaged,
  managedEndpoint,
  planWebhookChanges,
  secretFingerprint,
  stacksToConnect,
} from '../../src/connect/webhook-plan.js';

const URL_ = 'https://cascade.example.com/webhook';
const endpoint = managedEndpoint(URL_, 'secret-1');
const hook = (id: string, endpoint_: string, enabled = true) => ({
  id,
  endpoint: endpoint_,
  enabled,
  secret: '',
  retryOnFailure: true,
});

describe('managed webhooks', () => {
  it('mark the endpoint with a fingerprint of the secret, never the secret', () => {
    expect(endpoint).toContain('spacelift-cascade=');
    expect(endpoint).not.toContain('secret-1');
    expect(secretFingerprint('secret-1')).not.toBe(secretFingerprint('secret-2'));
    expect(isManaged({ endpoint })).toBe(true);
    expect(isManaged({ endpoint: URL_ })).toBe(false);
    expect(isManaged({ endpoint: 'not a url' })).toBe(false);
  });

  it('connect every stack with an upstream or a dependent, leaves alone stacks with neither', () => {
    const graph = buildDependencyGraph(
      [
        { id: 'net', labels: [] },
        { id: 'db', labels: ['dependsOn:net'] },
        { id: 'lonely', labels: [] },
        { id: 'dangling', labels: ['dependsOn:ghost'] },
      ],
      'dependsOn:',
    );
    expect(stacksToConnect(graph).sort()).toEqual(['dangling', 'db', 'net']);
  });
});

describe('planWebhookChanges', () => {
  it('creates what is missing, and nothing when all is in place', () => {
    const existing = new Map([['net', [hook('w1', endpoint)]]]);
    expect(planWebhookChanges(['net', 'db'], existing, endpoint, 'connect')).toEqual([
      { kind: 'create', stackId: 'db' },
    ]);
    const done = new Map([...existing, ['db', [hook('w2', endpoint)]]]);
    expect(planWebhookChanges(['net', 'db'], done, endpoint, 'connect')).toEqual([]);
  });

  it('fixes a changed URL, a changed secret and a webhook Spacelift disabled, naming why', () => {
    const oldUrl = managedEndpoint('https://old.example.com/webhook', 'secret-1');
    const oldSecret = managedEndpoint(URL_, 'secret-0');
    const existing = new Map([
      ['a', [hook('wa', oldUrl)]],
      ['b', [hook('wb', oldSecret)]],
      ['c', [hook('wc', endpoint, false)]],
    ]);
    const changes = planWebhookChanges(['a', 'b', 'c'], existing, endpoint, 'connect');
    expect(changes).toEqual([
      { kind: 'update', stackId: 'a', webhookId: 'wa', why: expect.stringContaining('receiver URL changed') },
      { kind: 'update', stackId: 'b', webhookId: 'wb', why: 'the webhook secret changed' },
      { kind: 'update', stackId: 'c', webhookId: 'wc', why: 'Spacelift had disabled it' },
    ]);
  });

  it("never touches a user's own webhooks; removes a second managed one", () => {
    const existing = new Map([
      ['a', [hook('mine', 'https://example.com/hook'), hook('w1', endpoint), hook('w2', endpoint)]],
    ]);
    expect(planWebhookChanges(['a'], existing, endpoint, 'connect')).toEqual([
      { kind: 'delete', stackId: 'a', webhookId: 'w2', why: 'a second managed webhook' },
    ]);
  });

  it('remove deletes exactly the managed webhooks, on any stack', () => {
    const existing = new Map([
      ['a', [hook('mine', 'https://example.com/hook'), hook('w1', endpoint)]],
      ['gone-from-graph', [hook('w2', managedEndpoint('https://old.example.com/webhook', 'x'))]],
    ]);
    expect(
      planWebhookChanges(['a'], existing, endpoint, 'remove').map((c) => c.kind === 'delete' && c.webhookId),
    ).toEqual(['w1', 'w2']);
  });
});
