import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/index.js';
import { login, post, type GraphQLBody } from './http-helpers.js';

/**
 * Executes every document of spacelift-api/operations (Spacelift's own API collection)
 * over HTTP against the simulator, with its example variables and the placeholder ids mapped
 * to seeded data.
 */
const OPERATIONS = fileURLToPath(new URL('../../../spacelift-api/operations/', import.meta.url));

const apiKey = { id: 'OPSKEY', secret: 'ops-secret' };
const seed = {
  spaces: [{ id: 'sandbox', name: 'Sandbox' }],
  stacks: [
    {
      id: 'network',
      name: 'Network',
      labels: ['team:platform'],
      outputs: [
        { id: 'vpc_id', value: 'vpc-0a1b2c', description: 'The VPC' },
        { id: 'db_password', value: 'hunter2', sensitive: true },
      ],
    },
    { id: 'app', name: 'App', labels: ['dependsOn:network'] },
    { id: 'gated', name: 'Gated', outcome: 'UNCONFIRMED' as const },
  ],
  contexts: [{ id: 'ops-context', name: 'Ops', config: [{ id: 'A', value: '1' }] }],
  blueprints: [
    {
      id: 'service',
      name: 'Service',
      inputs: [{ id: 'stack_name' }],
      stack: { name: '${{ inputs.stack_name }}' },
    },
  ],
};

function operationFiles(): string[] {
  return readdirSync(OPERATIONS, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.graphql'))
    .map((f) => relative(OPERATIONS, join(OPERATIONS, f)))
    .sort();
}

interface Case {
  /** Replaces placeholders; may create what the operation needs (a run in a given state...). */
  prepare?: (sim: Simulator) => Record<string, string>;
  /** Variables to use instead of the example file's, with why. */
  variables?: { value: Record<string, unknown>; why: string };
  /** Checks on the data beyond "no errors". */
  check?: (data: Record<string, unknown>, sim: Simulator) => void;
}

const addWebhook = (sim: Simulator) =>
  sim.store.webhooks.create('network', {
    enabled: false,
    endpoint: 'https://old.example.com/hook',
    secret: 'old-secret',
  }).id;

const trigger = (sim: Simulator, stack: string) =>
  sim.store.triggerRun(stack, { triggeredBy: `api::${apiKey.id}` }).id;

const CASES: Record<string, Case> = {
  'auth/get-token.graphql': {
    check: (data) => expect(data.apiKeyUser).toEqual({ jwt: expect.stringMatching(/^ey/) }),
  },
  'blueprints/create-stack-from-blueprint.graphql': {
    check: (data) => expect(data.blueprintCreateStack).toEqual({ stackIds: ['my-new-stack'], runIds: [] }),
  },
  'blueprints/get-blueprint.graphql': {
    check: (data) => expect(data.blueprint).toMatchObject({ id: 'service' }),
  },
  'blueprints/list-blueprints.graphql': {},
  'contexts/create-context.graphql': {
    check: (data) => expect(data.contextCreateV2).toMatchObject({ id: 'my-context', space: 'root' }),
  },
  'contexts/delete-context.graphql': {
    check: (data, sim) => {
      expect(data.contextDelete).toEqual({ id: 'ops-context', name: 'Ops' });
      expect(sim.store.contexts.get('ops-context')).toBeNull();
    },
  },
  'contexts/get-context.graphql': {
    check: (data) => expect(data.context).toMatchObject({ id: 'ops-context', config: [{ id: 'A' }] }),
  },
  'contexts/list-contexts.graphql': {},
  'contexts/search-contexts.graphql': {},
  'contexts/update-context.graphql': {
    check: (data) => expect(data.contextUpdateV2).toMatchObject({ name: 'my-context-updated' }),
  },
  'runs/cancel-run.graphql': {
    // The second run waits behind the first, so it is still QUEUED: cancelable.
    prepare: (sim) => (trigger(sim, 'network'), { RUN_ID_HERE: trigger(sim, 'network') }),
    check: (data) => expect(data.runCancel).toMatchObject({ state: 'CANCELED' }),
  },
  'runs/confirm-run.graphql': {
    prepare: (sim) => {
      const run = trigger(sim, 'gated');
      sim.mock.finishRun('gated', run);
      return { STACK_ID_HERE: 'gated', RUN_ID_HERE: run };
    },
    check: (data) => expect(data.runConfirm).toMatchObject({ state: 'CONFIRMED', type: 'TRACKED' }),
  },
  'runs/discard-run.graphql': {
    prepare: (sim) => {
      const run = trigger(sim, 'gated');
      sim.mock.finishRun('gated', run);
      return { STACK_ID_HERE: 'gated', RUN_ID_HERE: run };
    },
    check: (data) => expect(data.runDiscard).toMatchObject({ state: 'DISCARDED' }),
  },
  'runs/get-run-stack.graphql': {
    prepare: (sim) => ({ RUN_ID_HERE: trigger(sim, 'network') }),
    check: (data) => expect(data.runStack).toMatchObject({ id: 'network' }),
  },
  'runs/get-run.graphql': {
    prepare: (sim) => ({ RUN_ID_HERE: trigger(sim, 'network') }),
    check: (data) =>
      expect(data.stack).toMatchObject({
        run: { state: 'QUEUED', triggeredBy: 'api::OPSKEY', history: [{ state: 'QUEUED', stateVersion: 1 }] },
      }),
  },
  'runs/retry-run.graphql': {
    prepare: (sim) => {
      const run = trigger(sim, 'network');
      sim.mock.finishRun('network', run);
      return { RUN_ID_HERE: run };
    },
    check: (data) => expect(data.runRetry).toMatchObject({ state: 'QUEUED', type: 'TRACKED' }),
  },
  'runs/stop-run.graphql': {
    prepare: (sim) => {
      const run = trigger(sim, 'network');
      sim.mock.advanceRun('network', run, 'PLANNING');
      return { RUN_ID_HERE: run };
    },
    check: (data) => expect(data.runStop).toMatchObject({ state: 'STOPPED' }),
  },
  'runs/trigger-run.graphql': {
    check: (data) =>
      expect(data.runTrigger).toMatchObject({
        state: 'QUEUED',
        type: 'PROPOSED',
        triggeredBy: 'api::OPSKEY',
      }),
  },
  'spaces/create-space.graphql': {
    check: (data) => expect(data.spaceCreate).toMatchObject({ name: 'my-space', parentSpace: 'root' }),
  },
  'spaces/delete-space.graphql': {
    check: (data) => expect(data.spaceDelete).toEqual({ id: 'sandbox', name: 'Sandbox' }),
  },
  'spaces/get-space.graphql': { check: (data) => expect(data.space).toMatchObject({ id: 'sandbox' }) },
  'spaces/list-spaces.graphql': {
    check: (data) =>
      expect(data.spaces).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'root' })])),
  },
  'spaces/update-space.graphql': {
    check: (data) => expect(data.spaceUpdate).toMatchObject({ id: 'sandbox', name: 'my-space-updated' }),
  },
  'stacks-dependencies/batch-create-dependencies.graphql': {
    variables: {
      why: 'the example variables ({stackID, dependsOnStackIDs}) do not match StackDependencyBatchInput {dependencies}',
      value: { input: { dependencies: [{ stackId: 'app', dependsOnStackId: 'network' }] } },
    },
    check: (data) =>
      expect(data.stackDependenciesCreateInBatch).toEqual([
        { id: expect.any(String), dependsOnStackId: 'network' },
      ]),
  },
  'stacks-dependencies/create-dependency.graphql': {
    variables: {
      why: 'StackDependencyInput in schema.graphql has no triggerAlways field',
      value: { input: { stackId: 'app', dependsOnStackId: 'network' } },
    },
    check: (data) =>
      expect(data.stackDependencyCreate).toEqual({
        id: expect.any(String),
        referenceCount: 0,
        triggerAlways: false,
      }),
  },
  'stacks-dependencies/delete-dependency.graphql': {
    prepare: (sim) => ({ DEPENDENCY_ID_HERE: sim.store.dependencies.create('app', 'network').id }),
    check: (data, sim) => {
      expect(data.stackDependencyDelete).toEqual({ id: expect.any(String), triggerAlways: false });
      expect(sim.store.dependencies.list()).toEqual([]);
    },
  },
  'stacks-dependencies/stack-dependencies.graphql': {
    prepare: (sim) => (sim.store.dependencies.create('app', 'network'), { STACK_ID_HERE: 'app' }),
    check: (data) =>
      expect(data.stack).toMatchObject({
        dependsOn: [{ dependsOnStack: { id: 'network' } }],
        isDependedOnBy: [],
      }),
  },
  'stacks/create-stack.graphql': {
    check: (data) =>
      expect(data.stackCreate).toMatchObject({ id: 'my-stack', projectRoot: null, space: 'root' }),
  },
  'stacks/delete-stack.graphql': {
    check: (data, sim) => {
      expect(data.stackDelete).toEqual({ id: 'network' });
      expect(sim.store.getStack('network')).toBeNull();
    },
  },
  'stacks/get-stack-outputs.graphql': {
    check: (data) =>
      expect(data.stack).toEqual({
        id: 'network',
        name: 'Network',
        outputs: [
          { id: 'vpc_id', sensitive: false, description: 'The VPC', value: 'vpc-0a1b2c' },
          // The API does not reveal a sensitive output's value.
          { id: 'db_password', sensitive: true, description: null, value: null },
        ],
      }),
  },
  'stacks-webhooks/create-stack-webhook.graphql': {
    check: (data, sim) => {
      expect(data.webhooksIntegrationCreate).toEqual({ id: expect.any(String), enabled: true });
      expect(sim.store.webhooks.ofStack('network')).toEqual([
        expect.objectContaining({
          endpoint: 'https://cascade.example.com/webhook',
          secret: 'WEBHOOK_SECRET_HERE',
          retryOnFailure: true,
        }),
      ]);
    },
  },
  'stacks-webhooks/delete-stack-webhook.graphql': {
    prepare: (sim) => ({ WEBHOOK_ID_HERE: addWebhook(sim) }),
    check: (data, sim) => {
      expect(data.webhooksIntegrationDelete).toEqual({ id: expect.any(String) });
      expect(sim.store.webhooks.ofStack('network')).toEqual([]);
    },
  },
  'stacks-webhooks/list-stack-webhooks.graphql': {
    prepare: (sim) => (addWebhook(sim), {}),
    check: (data) =>
      expect(data.stack).toEqual({
        id: 'network',
        // The secret is never read back.
        integrations: {
          webhooks: [
            { id: expect.any(String), enabled: false, endpoint: 'https://old.example.com/hook', secret: '' },
          ],
        },
      }),
  },
  'stacks-webhooks/update-stack-webhook.graphql': {
    prepare: (sim) => ({ WEBHOOK_ID_HERE: addWebhook(sim) }),
    check: (data, sim) => {
      expect(data.webhooksIntegrationUpdate).toEqual({ id: expect.any(String), enabled: true });
      expect(sim.store.webhooks.ofStack('network')).toEqual([
        expect.objectContaining({
          enabled: true,
          endpoint: 'https://cascade.example.com/webhook',
          secret: 'WEBHOOK_SECRET_HERE',
          retryOnFailure: true,
        }),
      ]);
    },
  },
  'stacks/get-stack.graphql': { check: (data) => expect(data.stack).toMatchObject({ id: 'network' }) },
  'stacks/list-stacks.graphql': {
    check: (data) => expect((data.stacks as unknown[]).length).toBe(3),
  },
  'stacks/lock-stack.graphql': {
    check: (data) =>
      expect(data.stackLock).toMatchObject({ lockedBy: 'api::OPSKEY', lockNote: 'Locked for maintenance' }),
  },
  'stacks/search-stacks-by-label.graphql': {
    check: (data) =>
      expect(data.searchStacks).toMatchObject({
        edges: [{ node: { id: 'app' } }],
        pageInfo: { hasNextPage: false, hasPreviousPage: false },
      }),
  },
  'stacks/search-stacks.graphql': {
    check: (data) => expect((data.searchStacks as { edges: unknown[] }).edges).toHaveLength(3),
  },
  'stacks/unlock-stack.graphql': {
    prepare: (sim) => (sim.store.stacks.lock('network', `api::${sim.apiKey.id}`, null), {}),
    check: (data) => expect(data.stackUnlock).toMatchObject({ lockedAt: null, lockedBy: null }),
  },
  'stacks/update-stack.graphql': {
    check: (data) => expect(data.stackUpdate).toMatchObject({ id: 'network', name: 'my-stack-updated' }),
  },
};

const DEFAULT_IDS: Record<string, string> = {
  STACK_ID_HERE: 'network',
  DEPENDENCY_STACK_ID_HERE: 'network',
  SPACE_ID_HERE: 'sandbox',
  CONTEXT_ID_HERE: 'ops-context',
  BLUEPRINT_ID_HERE: 'service',
  '{{SPACELIFT_API_KEY_ID}}': apiKey.id,
  '{{SPACELIFT_API_KEY_SECRET}}': apiKey.secret,
};

function exampleVariables(file: string, ids: Record<string, string>): Record<string, unknown> {
  const path = join(OPERATIONS, file.replace(/\.graphql$/, '.variables.json'));
  if (!existsSync(path)) return {};
  let text = readFileSync(path, 'utf8');
  for (const [placeholder, id] of Object.entries(ids)) text = text.split(placeholder).join(id);
  return JSON.parse(text) as Record<string, unknown>;
}

let sim: Simulator;
let jwt: string;

beforeEach(async () => {
  // Runs only move when a test moves them.
  sim = await startSimulator({ apiKey, seed, stateDurationMs: 3_600_000 });
  jwt = await login(sim);
});
afterEach(() => sim.close());

describe('shared Spacelift API operations against the simulator', () => {
  it('covers every shared operation file', () => {
    expect(operationFiles()).toEqual(Object.keys(CASES).sort());
  });

  it.each(Object.keys(CASES))('%s executes without errors', async (file) => {
    const testCase = CASES[file]!;
    const ids = { ...DEFAULT_IDS, ...testCase.prepare?.(sim) };
    const variables = testCase.variables?.value ?? exampleVariables(file, ids);
    const { status, body } = await post(sim, readFileSync(join(OPERATIONS, file), 'utf8'), variables, jwt);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    testCase.check?.(body.data!, sim);
  });

  // The two documents whose example variables the schema refuses, exactly as GraphQL reports it.
  it.each([
    ['stacks-dependencies/batch-create-dependencies.graphql', 'Field "dependencies" of required type'],
    [
      'stacks-dependencies/create-dependency.graphql',
      'Field "triggerAlways" is not defined by type "StackDependencyInput"',
    ],
  ])('%s with its example variables gets a variable coercion error', async (file, message) => {
    const ids = { ...DEFAULT_IDS, STACK_ID_HERE: 'app' };
    const { body } = await post(
      sim,
      readFileSync(join(OPERATIONS, file), 'utf8'),
      exampleVariables(file, ids),
      jwt,
    );
    expect(body.errors?.[0]?.message).toContain(message);
  });

  it('reads runs through their stack (runs list and run by id)', async () => {
    const first = trigger(sim, 'network');
    const second = trigger(sim, 'network');
    const { body } = await post(
      sim,
      `query($id: ID!, $run: ID!) { stack(id: $id) {
        runs { id state type createdAt triggeredBy }
        run(id: $run) { id state type createdAt triggeredBy }
      } }`,
      { id: 'network', run: first },
      jwt,
    );
    const stack = (body as GraphQLBody & { data: { stack: { runs: Array<{ id: string }>; run: unknown } } })
      .data.stack;
    expect(stack.runs.map((r) => r.id)).toEqual([second, first]);
    expect(stack.run).toEqual({
      id: first,
      state: 'QUEUED',
      type: 'TRACKED',
      createdAt: expect.any(Number),
      triggeredBy: 'api::OPSKEY',
    });
  });

  it('answers missing resources with null and bad requests with Spacelift-like errors', async () => {
    const { body } = await post(sim, '{ stack(id: "nope") { id } space(id: "nope") { id } }', {}, jwt);
    expect(body).toEqual({ data: { stack: null, space: null } });
    const deleted = await post(sim, 'mutation { spaceDelete(space: "nope") { id } }', {}, jwt);
    expect(deleted.body.errors).toEqual([
      expect.objectContaining({ message: 'space "nope" not found', extensions: { code: 'NOT_FOUND' } }),
    ]);
    const invalid = await post(sim, '{ stack(id: "network") { colour } }', {}, jwt);
    expect(invalid.status).toBe(200);
    expect(invalid.body.errors?.[0]?.message).toBe('Cannot query field "colour" on type "Stack".');
  });
});
