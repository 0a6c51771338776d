import { describe, expect, it } from 'vitest';
import { Spacelift, SpaceliftGraphQLError, type StackOutput, type StackWebhook } from 'spacelift-client';
import { clientAnswering, credentials, fakeFetch, withLogin } from './fake-fetch.js';

const webhook: StackWebhook = {
  id: '01HWEBHOOK',
  enabled: true,
  endpoint: 'https://cascade.example.com/webhook',
  secret: '',
  retryOnFailure: true,
};

describe('stack webhooks', () => {
  it('getStackWebhooks reads stack.integrations.webhooks', async () => {
    const { fake, client } = clientAnswering({
      ListStackWebhooks: () => ({ stack: { id: 'network', integrations: { webhooks: [webhook] } } }),
    });
    await expect(client.getStackWebhooks('network')).resolves.toEqual([webhook]);
    const [call] = fake.apiCalls();
    expect(call!.variables).toEqual({ stack: 'network' });
    expect(call!.query.replace(/\s+/g, ' ')).toContain(
      'stack(id: $stack) { id integrations { webhooks { ...StackWebhookFields } } }',
    );
  });

  it('getStackWebhooks: null for an unknown stack, [] when the stack has no integrations', async () => {
    const { client } = clientAnswering({
      ListStackWebhooks: (r) => ({
        stack: r.variables.stack === 'bare' ? { id: 'bare', integrations: null } : null,
      }),
    });
    await expect(client.getStackWebhooks('nope')).resolves.toBeNull();
    await expect(client.getStackWebhooks('bare')).resolves.toEqual([]);
  });

  it('createStackWebhook sends WebhooksIntegrationInput, enabled by default, retryOnFailure only when given', async () => {
    const { fake, client } = clientAnswering({
      CreateStackWebhook: () => ({ webhooksIntegrationCreate: webhook }),
    });
    await expect(
      client.createStackWebhook('network', { endpoint: webhook.endpoint, secret: 's3cret' }),
    ).resolves.toEqual(webhook);
    await client.createStackWebhook('network', {
      endpoint: webhook.endpoint,
      secret: 's3cret',
      enabled: false,
      retryOnFailure: true,
    });
    expect(fake.apiCalls().map((c) => c.variables)).toEqual([
      { stack: 'network', input: { enabled: true, endpoint: webhook.endpoint, secret: 's3cret' } },
      {
        stack: 'network',
        input: { enabled: false, endpoint: webhook.endpoint, secret: 's3cret', retryOnFailure: true },
      },
    ]);
  });

  it('updateStackWebhook and deleteStackWebhook name the stack and the webhook', async () => {
    const { fake, client } = clientAnswering({
      UpdateStackWebhook: () => ({ webhooksIntegrationUpdate: webhook }),
      DeleteStackWebhook: () => ({ webhooksIntegrationDelete: { id: webhook.id } }),
    });
    await expect(
      client.updateStackWebhook('network', webhook.id, { endpoint: webhook.endpoint, secret: 'new' }),
    ).resolves.toEqual(webhook);
    await expect(client.deleteStackWebhook('network', webhook.id)).resolves.toEqual({ id: webhook.id });
    expect(fake.apiCalls().map((c) => [c.operationName, c.variables])).toEqual([
      [
        'UpdateStackWebhook',
        {
          stack: 'network',
          webhook: webhook.id,
          input: { enabled: true, endpoint: webhook.endpoint, secret: 'new' },
        },
      ],
      ['DeleteStackWebhook', { stack: 'network', webhook: webhook.id }],
    ]);
  });

  it('a refused mutation is a SpaceliftGraphQLError naming the operation and path, sent once', async () => {
    const fake = fakeFetch(
      withLogin(() => ({
        data: null,
        errors: [{ message: 'webhook "nope" not found', path: ['webhooksIntegrationDelete'] }],
      })),
    );
    const client = new Spacelift({ ...credentials, fetch: fake.fetch });
    const error = await client.deleteStackWebhook('network', 'nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpaceliftGraphQLError);
    expect(error).toMatchObject({
      operationName: 'DeleteStackWebhook',
      path: ['webhooksIntegrationDelete'],
      retryable: false,
      message: 'DeleteStackWebhook failed at webhooksIntegrationDelete: webhook "nope" not found',
    });
    expect(fake.apiCalls()).toHaveLength(1);
  });
});

describe('stack outputs', () => {
  it('getStackOutputs returns the outputs (a sensitive one without its value); null for an unknown stack', async () => {
    const outputs: StackOutput[] = [
      { id: 'vpc_id', sensitive: false, description: 'The VPC', value: 'vpc-0a1b2c' },
      { id: 'db_password', sensitive: true, description: null, value: null },
    ];
    const { fake, client } = clientAnswering({
      GetStackOutputs: (r) => ({
        stack: r.variables.stackId === 'network' ? { id: 'network', outputs } : null,
      }),
    });
    await expect(client.getStackOutputs('network')).resolves.toEqual(outputs);
    await expect(client.getStackOutputs('nope')).resolves.toBeNull();
    expect(fake.apiCalls()[0]!.query.replace(/\s+/g, ' ')).toContain(
      'outputs { id sensitive description value }',
    );
  });
});
