import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { SpaceliftGraphQLError, SpaceliftNotFoundError, SpaceliftValidationError } from 'spacelift-client';
import { MockSpacelift, type SeedInput } from '../src/testing/index.js';

/*
 * Shared code, tested once: MockSpacelift and the simulator execute the same schema and
 * resolvers over the same store (src/spacelift). Their behaviour (results, Spacelift-like
 * errors, the run lifecycle, queueing) is tested here, through MockSpacelift. The simulator's
 * own files test what it adds (HTTP and auth, timers and workers, webhooks, pages, the CLI)
 * and, over HTTP, the behaviours users meet first (shared-operations.test.ts runs Spacelift's
 * reference documents; stack-behaviour.test.ts locks, autodeploy, queues).
 */

const seed: SeedInput = {
  spaces: [{ id: 'platform', name: 'Platform' }],
  stacks: [
    { id: 'network', name: 'Network', space: 'platform', labels: ['team:platform'] },
    { id: 'database', name: 'Database', space: 'platform', labels: ['dependsOn:network', 'team:data'] },
    { id: 'cluster', name: 'Cluster', labels: ['dependsOn:network'] },
    {
      id: 'app',
      name: 'App',
      description: 'The shop front',
      labels: ['dependsOn:database', 'dependsOn:cluster'],
    },
  ],
  contexts: [
    {
      id: 'aws',
      name: 'AWS',
      space: 'platform',
      config: [
        { id: 'AWS_REGION', value: 'eu-west-1' },
        { id: 'AWS_SECRET', value: 'shh', writeOnly: true },
      ],
    },
  ],
  blueprints: [
    {
      id: 'service',
      name: 'Service',
      inputs: [{ id: 'stack_name' }, { id: 'team', default: 'platform' }],
      stack: { name: '${{ inputs.stack_name }}', labels: ['team:${{ inputs.team }}', 'dependsOn:network'] },
    },
  ],
};

/** The HTTP client's error for a GraphQL error, with the store's code and message. */
const storeError = (code: string, message: RegExp | string): unknown =>
  expect.objectContaining({
    name: 'SpaceliftGraphQLError',
    message: expect.stringMatching(message),
    errors: [expect.objectContaining({ extensions: { code } })],
  });

describe('MockSpacelift reads', () => {
  it('has a root space by default and returns the default fields', async () => {
    const mock = new MockSpacelift();
    expect(await mock.getSpaces()).toEqual([{ id: 'root', name: 'root' }]);
    expect(await mock.getStacks()).toEqual([]);
  });

  it('returns seeded entities with their default fields', async () => {
    const mock = new MockSpacelift({ seed });
    expect(await mock.getStacks()).toEqual([
      { id: 'network', space: 'platform' },
      { id: 'database', space: 'platform' },
      { id: 'cluster', space: 'root' },
      { id: 'app', space: 'root' },
    ]);
    expect(await mock.getStackById('app')).toEqual({
      id: 'app',
      name: 'App',
      description: 'The shop front',
      space: 'root',
      repository: 'infra',
      branch: 'main',
      projectRoot: null,
      administrative: false,
      autodeploy: true,
      labels: ['dependsOn:database', 'dependsOn:cluster'],
      state: 'NONE',
    });
    expect(await mock.getContextById('aws')).toEqual({ id: 'aws', name: 'AWS' });
    expect(
      await mock.getContextById('aws', { queryFields: ['id', 'space', 'config { id value writeOnly }'] }),
    ).toEqual({
      id: 'aws',
      space: 'platform',
      // Write-only values are never read back.
      config: [
        { id: 'AWS_REGION', value: 'eu-west-1', writeOnly: false },
        { id: 'AWS_SECRET', value: null, writeOnly: true },
      ],
    });
    expect(await mock.getBlueprints()).toEqual([{ id: 'service', name: 'Service' }]);
    expect(await mock.getBlueprintById('service')).toMatchObject({
      state: 'PUBLISHED',
      space: { id: 'root' },
    });
  });

  it('returns null for ids that do not exist', async () => {
    const mock = new MockSpacelift({ seed });
    expect(await mock.getStackById('nope')).toBeNull();
    expect(await mock.getSpaceById('nope')).toBeNull();
    expect(await mock.getContextById('nope')).toBeNull();
    expect(await mock.getBlueprintById('nope')).toBeNull();
    expect(await mock.getStackDependencies('nope')).toBeNull();
    expect(await mock.getStackRuns('nope')).toBeNull();
    expect(await mock.getRun('network', 'nope')).toBeNull();
    expect(await mock.getRun('nope', 'nope')).toBeNull();
  });

  it('returns only the selected fields, nested ones included', async () => {
    const mock = new MockSpacelift({ seed });
    expect(await mock.getStackById('database', { queryFields: ['id', 'labels'] })).toEqual({
      id: 'database',
      labels: ['dependsOn:network', 'team:data'],
    });
    expect(await mock.getContextById('aws', { queryFields: ['name', 'config { id value }'] })).toEqual({
      name: 'AWS',
      config: [
        { id: 'AWS_REGION', value: 'eu-west-1' },
        { id: 'AWS_SECRET', value: null },
      ],
    });
    expect(await mock.getStacks({ queryFields: ['id', 'spaceDetails { name }'] })).toContainEqual({
      id: 'network',
      spaceDetails: { name: 'Platform' },
    });
  });

  it('rejects unknown fields with the GraphQL validation message', async () => {
    const mock = new MockSpacelift({ seed });
    const failure = mock.getStackById('app', { queryFields: ['id', 'colour'] });
    await expect(failure).rejects.toBeInstanceOf(SpaceliftValidationError);
    await expect(failure).rejects.toThrow('Cannot query field "colour" on type "Stack".');
  });

  it('searches stacks by every given label, paging through all matches', async () => {
    const mock = new MockSpacelift({ seed });
    const found = await mock.searchStacks({
      labels: ['dependsOn:network'],
      pageSize: 1,
      queryFields: ['id'],
    });
    expect(found).toEqual([{ id: 'cluster' }, { id: 'database' }]);
    expect(
      await mock.searchStacks({ labels: ['dependsOn:network', 'team:data'], queryFields: ['id'] }),
    ).toEqual([{ id: 'database' }]);
    expect(await mock.searchStacks({ fullTextSearch: 'shop', queryFields: ['id'] })).toEqual([{ id: 'app' }]);
  });

  it('searches by name and excludes with raw predicates', async () => {
    const mock = new MockSpacelift({ seed });
    const result = await mock.execute<{ searchStacks: { edges: Array<{ node: { id: string } }> } }, never>(
      `{ searchStacks(input: { predicates: [
          { field: "name", constraint: { stringMatches: ["Data*", "App"] } },
          { field: "label", constraint: { stringMatches: ["team:data"] }, exclude: true }
        ] }) { edges { node { id } } } }`,
    );
    expect(result.searchStacks.edges.map((e) => e.node.id)).toEqual(['app']);
  });
});

describe('MockSpacelift writes', () => {
  it('creates and deletes spaces, refusing unknown parents and non-empty spaces', async () => {
    const mock = new MockSpacelift({ seed });
    await expect(mock.createSpace({ name: 'x', parentSpaceId: 'nope' })).rejects.toEqual(
      storeError('NOT_FOUND', 'parent space "nope" not found'),
    );
    const team = await mock.createSpace({ name: 'Team A', parentSpaceId: 'platform', labels: ['a'] });
    expect(team).toMatchObject({
      name: 'Team A',
      parentSpace: 'platform',
      labels: ['a'],
      inheritEntities: false,
    });
    expect(team.id).toMatch(/^team-a-[0-9A-Z]{26}$/);
    await expect(mock.deleteSpace('platform')).rejects.toEqual(
      storeError('INVALID_STATE', 'has child spaces'),
    );
    expect(await mock.deleteSpace(team.id)).toEqual({ id: team.id, name: 'Team A' });
    await expect(mock.deleteSpace('platform')).rejects.toEqual(
      storeError('INVALID_STATE', 'still contains stacks'),
    );
    await mock.deleteStack('network');
    await mock.deleteStack('database');
    expect(await mock.deleteSpace('platform')).toEqual({ id: 'platform', name: 'Platform' });
    expect(await mock.getSpaceById('platform')).toBeNull();
  });

  it('creates contexts, refusing a duplicate name in the same space', async () => {
    const mock = new MockSpacelift({ seed });
    const ctx = await mock.createContext({
      name: 'Shared',
      spaceId: 'root',
      labels: ['l'],
      envvars: [{ id: 'TOKEN', value: 'abc', writeOnly: true }],
    });
    expect(ctx).toMatchObject({ id: 'shared', name: 'Shared', space: 'root', labels: ['l'] });
    expect(ctx.config).toEqual([
      { id: 'TOKEN', value: null, type: 'ENVIRONMENT_VARIABLE', description: null, writeOnly: true },
    ]);
    await expect(mock.createContext({ name: 'Shared', spaceId: 'root' })).rejects.toEqual(
      storeError('CONFLICT', 'context with name "Shared" already exists in space "root"'),
    );
    // The same name elsewhere is fine.
    expect((await mock.createContext({ name: 'Shared', spaceId: 'platform' })).space).toBe('platform');
    expect(await mock.deleteContext('shared')).toEqual({ id: 'shared', name: 'Shared' });
    await expect(mock.deleteContext('shared')).rejects.toBeInstanceOf(SpaceliftNotFoundError);
  });

  it('changes labels and keeps every other setting', async () => {
    const mock = new MockSpacelift({ seed });
    const before = await mock.getStackById('database');
    const after = await mock.updateStackLabels('database', {
      add: ['dependsOn:cluster'],
      remove: ['team:data'],
    });
    expect(after).toEqual({ ...before, labels: ['dependsOn:network', 'dependsOn:cluster'] });
    await expect(mock.updateStackLabels('nope', { add: ['x'] })).rejects.toBeInstanceOf(
      SpaceliftNotFoundError,
    );
  });

  it('creates a stack from a blueprint, filling inputs and defaults', async () => {
    const mock = new MockSpacelift({ seed });
    const created = await mock.createStackFromBlueprint('service', {
      inputs: [{ id: 'stack_name', value: 'Billing' }],
    });
    expect(created).toEqual({ stackIds: ['billing'], runIds: [] });
    expect(await mock.getStackById('billing', { queryFields: ['name', 'labels'] })).toEqual({
      name: 'Billing',
      labels: ['team:platform', 'dependsOn:network'],
    });
    await expect(mock.createStackFromBlueprint('service', { inputs: [] })).rejects.toEqual(
      storeError('INVALID_INPUT', 'missing blueprint inputs: stack_name'),
    );
  });

  it('reports native dependencies both ways', async () => {
    const mock = new MockSpacelift({ seed });
    await mock.execute(
      `mutation { stackDependencyCreate(input: { stackId: "database", dependsOnStackId: "network" }) { id } }`,
    );
    const deps = await mock.getStackDependencies('network');
    expect(deps?.dependsOn).toEqual([]);
    expect(deps?.isDependedOnBy).toEqual([
      {
        id: expect.any(String),
        triggerAlways: false,
        stack: { id: 'database', name: 'Database' },
        dependsOnStack: { id: 'network', name: 'Network' },
      },
    ]);
  });

  it('executes raw GraphQL with variables and reports validation errors', async () => {
    const mock = new MockSpacelift({ seed });
    const data = await mock.execute<{ stack: { name: string } }, { id: string }>(
      'query($id: ID!) { stack(id: $id) { name } }',
      { id: 'cluster' },
    );
    expect(data).toEqual({ stack: { name: 'Cluster' } });
    await expect(mock.execute('{ nope }')).rejects.toBeInstanceOf(SpaceliftGraphQLError);
    await expect(mock.execute('{ nope }')).rejects.toThrow('Cannot query field "nope" on type "Query".');
  });
});

describe('MockSpacelift state', () => {
  it('adds seed data later and shares its store with another mock', async () => {
    const mock = new MockSpacelift().seed({ stacks: [{ id: 'late' }] });
    const other = new MockSpacelift({ store: mock.store, seed: { stacks: [{ id: 'later' }] } });
    expect((await mock.getStacks()).map((s) => s.id)).toEqual(['late', 'later']);
    await other.triggerRun('late');
    expect(await mock.getStackRuns('late')).toHaveLength(1);
    expect(() => mock.seed({ stacks: [{ id: 'late' }] })).toThrow('stack "late" already exists');
  });

  it('stamps times from the given clock', async () => {
    const mock = new MockSpacelift({ seed: { stacks: [{ id: 'a' }] }, now: () => 1_700_000_000_000 });
    const run = await mock.triggerRun('a');
    expect(run.createdAt).toBe(1_700_000_000);
    expect(run.history[0]?.timestamp).toBe(1_700_000_000);
  });

  it('refuses an invalid seed, naming the field', () => {
    const create = () => new MockSpacelift({ seed: { stacks: [{ id: 'a', outcome: 'EXPLODED' as never }] } });
    expect(create).toThrow(ZodError);
    try {
      create();
    } catch (error) {
      expect((error as ZodError).issues.map((issue) => issue.path)).toEqual([['stacks', 0, 'outcome']]);
    }
  });
});

describe('MockSpacelift: stack outputs and webhooks', () => {
  it('reads seeded outputs, a sensitive one without its value, and outputs set later', async () => {
    const mock = new MockSpacelift({
      seed: {
        stacks: [
          {
            id: 'db',
            outputs: [
              { id: 'endpoint', value: 'db.internal:5432', description: 'Where to connect' },
              { id: 'password', value: 'hunter2', sensitive: true },
            ],
          },
          { id: 'bare' },
        ],
      },
    });
    expect(await mock.getStackOutputs('db')).toEqual([
      { id: 'endpoint', sensitive: false, description: 'Where to connect', value: 'db.internal:5432' },
      { id: 'password', sensitive: true, description: null, value: null },
    ]);
    expect(await mock.getStackOutputs('bare')).toEqual([]);
    expect(await mock.getStackOutputs('nope')).toBeNull();
    mock.store.stacks.setOutputs('bare', [{ id: 'ids', value: '["a","b"]' }]);
    expect(await mock.getStackOutputs('bare')).toEqual([
      { id: 'ids', sensitive: false, description: null, value: '["a","b"]' },
    ]);
  });

  it('refuses a seed with an output id twice', () => {
    expect(
      () =>
        new MockSpacelift({
          seed: {
            stacks: [
              {
                id: 'db',
                outputs: [
                  { id: 'x', value: '1' },
                  { id: 'x', value: '2' },
                ],
              },
            ],
          },
        }),
    ).toThrow('output ids must be unique');
  });

  it('manages stack webhooks in process (no deliveries: MockSpacelift sends none)', async () => {
    const mock = new MockSpacelift({ seed: { stacks: [{ id: 'network' }] } });
    const created = await mock.createStackWebhook('network', {
      endpoint: 'https://x.test/hook',
      secret: 's',
    });
    expect(await mock.getStackWebhooks('network')).toEqual([created]);
    expect(mock.store.webhooks.require('network', created.id).secret).toBe('s');
    await mock.deleteStackWebhook('network', created.id);
    await expect(mock.getStackWebhooks('network')).resolves.toEqual([]);
  });

  it('is exported as MockedSpacelift too, the same class', async () => {
    const { MockedSpacelift } = await import('../src/testing/index.js');
    expect(MockedSpacelift).toBe(MockSpacelift);
    const mocked: MockSpacelift = new MockedSpacelift({ seed: { stacks: [{ id: 'a' }] } });
    expect(mocked).toBeInstanceOf(MockSpacelift);
    expect(await mocked.getStacks()).toEqual([{ id: 'a', space: 'root' }]);
  });
});
