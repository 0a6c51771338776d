import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SpaceliftNotFoundError, SpaceliftValidationError, type Run } from 'spacelift-client';
import { clientAnswering, type RecordedRequest } from './fake-fetch.js';

const stack = {
  id: 'network',
  name: 'Network',
  description: null,
  space: 'root',
  repository: 'infra',
  branch: 'main',
  projectRoot: 'network',
  administrative: false,
  autodeploy: true,
  labels: ['team:platform'],
  state: 'FINISHED',
};

const run: Run = {
  id: 'run-1',
  state: 'QUEUED',
  type: 'TRACKED',
  branch: 'main',
  createdAt: 1_767_225_600,
  triggeredBy: 'api::KEY-ID-01',
  title: 'Trigger',
  commit: { hash: 'abc', authorLogin: null, message: 'msg', url: null },
  history: [{ state: 'QUEUED', stateVersion: 1, timestamp: 1_767_225_600, terminal: false }],
  delta: null,
};

/** The selection of the root field, with whitespace collapsed. */
const selectionOf = (request: RecordedRequest) => request.query.replace(/\s+/g, ' ');

describe('stack methods', () => {
  it('getStacks selects id and space by default', async () => {
    const { fake, client } = clientAnswering({ GetStacks: () => ({ stacks: [{ id: 'a', space: 'root' }] }) });
    await expect(client.getStacks()).resolves.toEqual([{ id: 'a', space: 'root' }]);
    expect(selectionOf(fake.apiCalls()[0]!)).toContain('stacks { id space }');
  });

  it('getStacks selects the given queryFields', async () => {
    const { fake, client } = clientAnswering({ GetStacks: () => ({ stacks: [{ id: 'a', labels: [] }] }) });
    await expect(client.getStacks({ queryFields: ['id', 'labels'] })).resolves.toEqual([
      { id: 'a', labels: [] },
    ]);
    expect(selectionOf(fake.apiCalls()[0]!)).toContain('stacks { id labels }');
  });

  it('getStackById returns the stack, or null when missing', async () => {
    const { fake, client } = clientAnswering({
      GetStack: (r) => ({ stack: r.variables.id === 'network' ? stack : null }),
    });
    await expect(client.getStackById('network')).resolves.toEqual(stack);
    await expect(client.getStackById('nope')).resolves.toBeNull();
    expect(fake.apiCalls()[0]!.variables).toEqual({ id: 'network' });
  });

  it('searchStacks pages 50 at a time with label predicates until the last page', async () => {
    const pages = [
      { edges: [{ cursor: 'c1', node: { id: 'a' } }], pageInfo: { endCursor: 'c1', hasNextPage: true } },
      { edges: [{ cursor: 'c2', node: { id: 'b' } }], pageInfo: { endCursor: 'c2', hasNextPage: false } },
    ];
    const { fake, client } = clientAnswering({
      SearchStacks: (r) => ({
        searchStacks: (r.variables.input as { after?: string }).after ? pages[1] : pages[0],
      }),
    });
    const found = await client.searchStacks({
      labels: ['dependsOn:network', 'team:apps'],
      fullTextSearch: 'app',
      queryFields: ['id'],
    });
    expect(found).toEqual([{ id: 'a' }, { id: 'b' }]);
    const inputs = fake.apiCalls().map((c) => c.variables.input);
    const predicates = [
      { field: 'label', constraint: { stringMatches: ['dependsOn:network'] } },
      { field: 'label', constraint: { stringMatches: ['team:apps'] } },
    ];
    expect(inputs).toEqual([
      { first: 50, predicates, fullTextSearch: 'app' },
      { first: 50, after: 'c1', predicates, fullTextSearch: 'app' },
    ]);
    expect(selectionOf(fake.apiCalls()[0]!)).toContain('node { id }');
    expect(selectionOf(fake.apiCalls()[0]!)).toContain('pageInfo { endCursor hasNextPage }');
  });

  it('searchStacks refuses a page cursor that does not advance instead of looping', async () => {
    const { client } = clientAnswering({
      SearchStacks: () => ({ searchStacks: { edges: [], pageInfo: { endCursor: null, hasNextPage: true } } }),
    });
    await expect(client.searchStacks()).rejects.toThrow(/does not advance/);
    await expect(client.searchStacks({ pageSize: 0 })).rejects.toBeInstanceOf(SpaceliftValidationError);
  });

  it('getStackDependencies returns both directions, or null for an unknown stack', async () => {
    const dependency = {
      id: 'd1',
      triggerAlways: false,
      stack: { id: 'app', name: 'App' },
      dependsOnStack: { id: 'network', name: 'Network' },
    };
    const { client } = clientAnswering({
      GetStackDependencies: (r) => ({
        stack: r.variables.id === 'app' ? { id: 'app', dependsOn: [dependency], isDependedOnBy: [] } : null,
      }),
    });
    await expect(client.getStackDependencies('app')).resolves.toEqual({
      id: 'app',
      dependsOn: [dependency],
      isDependedOnBy: [],
    });
    await expect(client.getStackDependencies('nope')).resolves.toBeNull();
  });

  it('updateStackLabels reads the stack and sends every setting back with the new labels', async () => {
    const current = {
      ...stack,
      labels: ['team:platform', 'dependsOn:old'],
      provider: 'GITHUB',
      namespace: 'acme',
      terraformVersion: null,
    };
    const { fake, client } = clientAnswering({
      GetStackInput: () => ({ stack: current }),
      UpdateStack: (r) => ({
        stackUpdate: { ...stack, labels: (r.variables.input as { labels: string[] }).labels },
      }),
    });
    const updated = await client.updateStackLabels('network', {
      add: ['dependsOn:vpc'],
      remove: ['dependsOn:old'],
    });
    expect(updated.labels).toEqual(['team:platform', 'dependsOn:vpc']);
    const update = fake.apiCalls()[1]!;
    expect(update.operationName).toBe('UpdateStack');
    expect(update.variables).toEqual({
      id: 'network',
      input: {
        name: 'Network',
        space: 'root',
        description: null,
        repository: 'infra',
        branch: 'main',
        projectRoot: 'network',
        administrative: false,
        autodeploy: true,
        labels: ['team:platform', 'dependsOn:vpc'],
        provider: 'GITHUB',
        namespace: 'acme',
      },
    });
  });

  it('updateStackLabels fails for an unknown stack without updating anything', async () => {
    const { fake, client } = clientAnswering({ GetStackInput: () => ({ stack: null }) });
    await expect(client.updateStackLabels('nope', { add: ['x'] })).rejects.toBeInstanceOf(
      SpaceliftNotFoundError,
    );
    expect(fake.apiCalls()).toHaveLength(1);
  });

  it('deleteStack passes destroyResources only when given', async () => {
    const { fake, client } = clientAnswering({
      DeleteStack: (r) => ({ stackDelete: { id: r.variables.id } }),
    });
    await expect(client.deleteStack('a')).resolves.toEqual({ id: 'a' });
    await client.deleteStack('b', { destroyResources: true });
    expect(fake.apiCalls().map((c) => c.variables)).toEqual([
      { id: 'a' },
      { id: 'b', destroyResources: true },
    ]);
  });
});

describe('space methods', () => {
  it('getSpaces and getSpaceById select id and name by default', async () => {
    const { fake, client } = clientAnswering({
      GetSpaces: () => ({ spaces: [{ id: 'root', name: 'root' }] }),
      GetSpace: (r) => ({ space: r.variables.id === 'root' ? { id: 'root', name: 'root' } : null }),
    });
    await expect(client.getSpaces()).resolves.toEqual([{ id: 'root', name: 'root' }]);
    await expect(client.getSpaceById('root')).resolves.toEqual({ id: 'root', name: 'root' });
    await expect(client.getSpaceById('nope')).resolves.toBeNull();
    expect(selectionOf(fake.apiCalls()[0]!)).toContain('spaces { id name }');
    expect(selectionOf(fake.apiCalls()[1]!)).toContain('space(id: $id) { id name }');
  });

  it('createSpace maps the input to SpaceInput', async () => {
    const created = {
      id: 'apps-01',
      name: 'apps',
      description: '',
      parentSpace: 'root',
      inheritEntities: false,
      labels: [],
    };
    const { fake, client } = clientAnswering({ CreateSpace: () => ({ spaceCreate: created }) });
    await expect(client.createSpace({ name: 'apps', parentSpaceId: 'root' })).resolves.toEqual(created);
    expect(fake.apiCalls()[0]!.variables).toEqual({
      input: { name: 'apps', parentSpace: 'root', description: '', inheritEntities: false, labels: [] },
    });
  });

  it('deleteSpace sends the id as `space`', async () => {
    const { fake, client } = clientAnswering({
      DeleteSpace: () => ({ spaceDelete: { id: 'apps', name: 'apps' } }),
    });
    await expect(client.deleteSpace('apps')).resolves.toEqual({ id: 'apps', name: 'apps' });
    expect(fake.apiCalls()[0]!.variables).toEqual({ space: 'apps' });
    expect(fake.apiCalls()[0]!.query).toContain('spaceDelete(space: $space)');
  });
});

describe('context methods', () => {
  it('getContexts and getContextById select id and name by default', async () => {
    const { fake, client } = clientAnswering({
      GetContexts: () => ({ contexts: [{ id: 'c', name: 'C' }] }),
      GetContext: () => ({ context: null }),
    });
    await expect(client.getContexts()).resolves.toEqual([{ id: 'c', name: 'C' }]);
    await expect(client.getContextById('c')).resolves.toBeNull();
    expect(selectionOf(fake.apiCalls()[0]!)).toContain('contexts { id name }');
  });

  it('createContext sends envvars as configAttachments through contextCreateV2', async () => {
    const created = {
      id: 'ctx',
      name: 'ctx',
      description: null,
      labels: [],
      space: 'root',
      config: [{ id: 'A', value: '1', type: 'ENVIRONMENT_VARIABLE', description: null, writeOnly: false }],
    };
    const { fake, client } = clientAnswering({ CreateContext: () => ({ contextCreateV2: created }) });
    await expect(
      client.createContext({
        name: 'ctx',
        spaceId: 'root',
        envvars: [
          { id: 'A', value: '1' },
          { id: 'B', value: 's', writeOnly: true, type: 'FILE_MOUNT', description: 'key' },
        ],
      }),
    ).resolves.toEqual(created);
    expect(fake.apiCalls()[0]!.query).toContain('contextCreateV2(input: $input)');
    expect(fake.apiCalls()[0]!.variables).toEqual({
      input: {
        name: 'ctx',
        space: 'root',
        description: null,
        labels: [],
        configAttachments: [
          { id: 'A', value: '1', type: 'ENVIRONMENT_VARIABLE', writeOnly: false, description: null },
          { id: 'B', value: 's', type: 'FILE_MOUNT', writeOnly: true, description: 'key' },
        ],
      },
    });
  });

  it('deleteContext returns the deleted context and fails for an unknown one', async () => {
    const { client } = clientAnswering({
      DeleteContext: (r) => ({ contextDelete: r.variables.id === 'c' ? { id: 'c', name: 'C' } : null }),
    });
    await expect(client.deleteContext('c')).resolves.toEqual({ id: 'c', name: 'C' });
    await expect(client.deleteContext('nope')).rejects.toThrow('context "nope" does not exist');
  });
});

describe('blueprint methods', () => {
  it('getBlueprints pages through searchBlueprints', async () => {
    const { fake, client } = clientAnswering({
      SearchBlueprints: (r) => {
        const after = (r.variables.input as { after?: string }).after;
        return {
          searchBlueprints: after
            ? {
                edges: [{ cursor: 'b', node: { id: 'b2', name: 'B2' } }],
                pageInfo: { endCursor: 'b', hasNextPage: false },
              }
            : {
                edges: [{ cursor: 'a', node: { id: 'b1', name: 'B1' } }],
                pageInfo: { endCursor: 'a', hasNextPage: true },
              },
        };
      },
    });
    await expect(client.getBlueprints()).resolves.toEqual([
      { id: 'b1', name: 'B1' },
      { id: 'b2', name: 'B2' },
    ]);
    expect(fake.apiCalls().map((c) => c.variables)).toEqual([
      { input: { first: 50 } },
      { input: { first: 50, after: 'a' } },
    ]);
  });

  it('getBlueprintById returns the blueprint or null', async () => {
    const { client } = clientAnswering({ GetBlueprint: () => ({ blueprint: null }) });
    await expect(client.getBlueprintById('x')).resolves.toBeNull();
  });

  it('createStackFromBlueprint sends templateInputs and returns stack and run ids', async () => {
    const { fake, client } = clientAnswering({
      CreateStackFromBlueprint: () => ({ blueprintCreateStack: { stackIds: ['s1'], runIds: ['r1'] } }),
    });
    await expect(
      client.createStackFromBlueprint('bp', { inputs: [{ id: 'env', value: 'prod' }] }),
    ).resolves.toEqual({ stackIds: ['s1'], runIds: ['r1'] });
    expect(fake.apiCalls()[0]!.variables).toEqual({
      id: 'bp',
      input: { templateInputs: [{ id: 'env', value: 'prod' }] },
    });
  });
});

describe('run methods', () => {
  it('triggerRun triggers a TRACKED run by default', async () => {
    const { fake, client } = clientAnswering({ TriggerRun: () => ({ runTrigger: run }) });
    await expect(client.triggerRun('network')).resolves.toEqual(run);
    await client.triggerRun('network', { runType: 'PROPOSED', commitSha: 'abc' });
    expect(fake.apiCalls().map((c) => c.variables)).toEqual([
      { stack: 'network', runType: 'TRACKED', commitSha: null },
      { stack: 'network', runType: 'PROPOSED', commitSha: 'abc' },
    ]);
  });

  it('getRun reads the run through its stack; null when either is missing', async () => {
    const { fake, client } = clientAnswering({
      GetRun: (r) => ({
        stack:
          r.variables.stack === 'network'
            ? { id: 'network', run: r.variables.run === 'run-1' ? run : null }
            : null,
      }),
    });
    await expect(client.getRun('network', 'run-1')).resolves.toEqual(run);
    await expect(client.getRun('network', 'run-2')).resolves.toBeNull();
    await expect(client.getRun('nope', 'run-1')).resolves.toBeNull();
    expect(fake.apiCalls()[0]!.variables).toEqual({ stack: 'network', run: 'run-1' });
  });

  it("getRun reads the run's delta under the API's names (spacectl's run list)", async () => {
    const planned = { ...run, delta: { addCount: 1, changeCount: 2, deleteCount: 0, resources: 11 } };
    const { fake, client } = clientAnswering({ GetRun: () => ({ stack: { id: 'network', run: planned } }) });
    expect((await client.getRun('network', 'run-1'))?.delta).toEqual(planned.delta);
    expect(selectionOf(fake.apiCalls()[0]!)).toContain(
      'delta { addCount changeCount deleteCount resources }',
    );
  });

  it('getStackRuns returns the runs, or null for an unknown stack', async () => {
    const { client } = clientAnswering({
      GetStackRuns: (r) => ({
        stack: r.variables.stack === 'network' ? { id: 'network', runs: [run] } : null,
      }),
    });
    await expect(client.getStackRuns('network')).resolves.toEqual([run]);
    await expect(client.getStackRuns('nope')).resolves.toBeNull();
  });
});

describe('execute', () => {
  it('sends a raw string document with its variables', async () => {
    const { fake, client } = clientAnswering({ Lock: () => ({ stackLock: { id: 'a' } }) });
    const data = await client.execute<{ stackLock: { id: string } }, { id: string }>(
      'mutation Lock($id: ID!) { stackLock(id: $id) { id } }',
      { id: 'a' },
    );
    expect(data.stackLock.id).toBe('a');
    expect(fake.apiCalls()[0]).toMatchObject({ operationName: 'Lock', variables: { id: 'a' } });
  });

  it('sends a parsed document', async () => {
    const { fake, client } = clientAnswering({ Names: () => ({ stacks: [] }) });
    await client.execute(parse('query Names { stacks { name } }'));
    expect(fake.apiCalls()[0]!.query).toContain('stacks');
  });
});
