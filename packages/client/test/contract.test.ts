import { startSimulator } from 'spacelift-simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spacelift, type SpaceliftApi } from '../src/index.js';
import { MockSpacelift, type SeedInput } from '../src/testing/index.js';

/**
 * The same calls against (a) the HTTP client talking to the simulator and (b) MockSpacelift
 * must give the same results and the same errors (generated ids and times aside).
 */

const seed: SeedInput = {
  spaces: [
    { id: 'platform', name: 'Platform' },
    { id: 'team', name: 'Team', parentSpace: 'platform' },
  ],
  stacks: [
    { id: 'network', name: 'Network', space: 'platform', labels: ['team:platform'] },
    { id: 'database', name: 'Database', space: 'platform', labels: ['dependsOn:network'] },
    {
      id: 'app',
      name: 'App',
      description: 'Shop front',
      labels: ['dependsOn:database', 'dependsOn:network'],
    },
  ],
  contexts: [{ id: 'aws', name: 'AWS', space: 'platform', config: [{ id: 'REGION', value: 'eu-west-1' }] }],
  blueprints: [
    {
      id: 'service',
      name: 'Service',
      inputs: [{ id: 'stack_name' }],
      stack: { name: '${{ inputs.stack_name }}', labels: ['dependsOn:app'] },
    },
  ],
};
const apiKey = { id: 'CONTRACT', secret: 'contract-secret' };

type Outcome = { ok: unknown } | { error: string; message: string };

/** Generated values differ between two instances by design: ULIDs and clock readings. */
function normalize(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return value.replace(/[0-9A-HJKMNP-TV-Z]{26}/g, '<ulid>');
  if (typeof value === 'number' && ['createdAt', 'updatedAt', 'timestamp', 'lockedAt'].includes(key)) {
    return '<time>';
  }
  if (Array.isArray(value)) return value.map((v) => normalize(v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v, k)]));
  }
  return value;
}

async function attempt(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: normalize(await call()) };
  } catch (error) {
    const e = error as Error;
    return { error: e.constructor.name, message: normalize(e.message) as string };
  }
}

interface Case {
  run: (api: SpaceliftApi) => Promise<Outcome[]>;
  /** What the (agreed) outcomes must be, so two equally wrong sides still fail. */
  check: (outcomes: Outcome[]) => void;
}

const ok = (value: unknown): Outcome => ({ ok: value });
const err = (error: string, message: string | RegExp) => ({ error, message: expect.stringMatching(message) });

const CASES: Record<string, Case> = {
  'lists and reads stacks with default and selected fields': {
    run: async (api) => [
      await attempt(() => api.getStacks()),
      await attempt(() => api.getStackById('app')),
      await attempt(() => api.getStackById('nope')),
      await attempt(() => api.getStackById('database', { queryFields: ['id', 'spaceDetails { name }'] })),
      await attempt(() => api.getStacks({ queryFields: ['id', 'colour'] })),
    ],
    check: ([list, app, missing, selected, invalid]) => {
      expect(list).toEqual(
        ok([
          { id: 'network', space: 'platform' },
          { id: 'database', space: 'platform' },
          { id: 'app', space: 'root' },
        ]),
      );
      expect(app).toEqual(
        ok(
          expect.objectContaining({ id: 'app', description: 'Shop front', state: 'NONE', projectRoot: null }),
        ),
      );
      expect(missing).toEqual(ok(null));
      expect(selected).toEqual(ok({ id: 'database', spaceDetails: { name: 'Platform' } }));
      expect(invalid).toEqual(err('SpaceliftValidationError', 'Cannot query field "colour" on type "Stack"'));
    },
  },
  'searches stacks by label across pages and by text': {
    run: async (api) => [
      await attempt(() =>
        api.searchStacks({ labels: ['dependsOn:network'], pageSize: 1, queryFields: ['id'] }),
      ),
      await attempt(() => api.searchStacks({ fullTextSearch: 'shop', queryFields: ['id', 'labels'] })),
      await attempt(() => api.searchStacks({ labels: ['nothing:here'] })),
    ],
    check: ([byLabel, byText, none]) => {
      expect(byLabel).toEqual(ok([{ id: 'app' }, { id: 'database' }]));
      expect(byText).toEqual(ok([{ id: 'app', labels: ['dependsOn:database', 'dependsOn:network'] }]));
      expect(none).toEqual(ok([]));
    },
  },
  'creates and deletes spaces with Spacelift errors for bad requests': {
    run: async (api) => [
      await attempt(() => api.createSpace({ name: 'Sandbox', parentSpaceId: 'team', labels: ['x'] })),
      await attempt(() => api.createSpace({ name: 'Orphan', parentSpaceId: 'nope' })),
      await attempt(() => api.deleteSpace('platform')),
      await attempt(() => api.getSpaces()),
      await attempt(() => api.getSpaceById('team', { queryFields: ['id', 'parentSpace'] })),
    ],
    check: ([created, orphan, nonEmpty, spaces, team]) => {
      expect(created).toEqual(
        ok({
          id: 'sandbox-<ulid>',
          name: 'Sandbox',
          description: '',
          parentSpace: 'team',
          inheritEntities: false,
          labels: ['x'],
        }),
      );
      expect(orphan).toEqual(err('SpaceliftGraphQLError', 'parent space "nope" not found'));
      expect(nonEmpty).toEqual(err('SpaceliftGraphQLError', 'space "platform" has child spaces'));
      expect(spaces).toEqual(ok(expect.arrayContaining([{ id: 'root', name: 'root' }])));
      expect(team).toEqual(ok({ id: 'team', parentSpace: 'platform' }));
    },
  },
  'creates, reads and deletes contexts; refuses a duplicate name in a space': {
    run: async (api) => [
      await attempt(() =>
        api.createContext({
          name: 'Shared',
          spaceId: 'platform',
          envvars: [{ id: 'TOKEN', value: 'abc', writeOnly: true }],
        }),
      ),
      await attempt(() => api.createContext({ name: 'AWS', spaceId: 'platform' })),
      await attempt(() => api.getContextById('aws', { queryFields: ['name', 'config { id value }'] })),
      await attempt(() => api.deleteContext('shared')),
      await attempt(() => api.deleteContext('shared')),
      await attempt(() => api.getContexts()),
    ],
    check: ([created, duplicate, aws, deleted, again, list]) => {
      expect(created).toEqual(
        ok(
          expect.objectContaining({
            id: 'shared',
            config: [
              { id: 'TOKEN', value: null, type: 'ENVIRONMENT_VARIABLE', description: null, writeOnly: true },
            ],
          }),
        ),
      );
      expect(duplicate).toEqual(
        err('SpaceliftGraphQLError', 'context with name "AWS" already exists in space "platform"'),
      );
      expect(aws).toEqual(ok({ name: 'AWS', config: [{ id: 'REGION', value: 'eu-west-1' }] }));
      expect(deleted).toEqual(ok({ id: 'shared', name: 'Shared' }));
      expect(again).toEqual(err('SpaceliftNotFoundError', 'context "shared"'));
      expect(list).toEqual(ok([{ id: 'aws', name: 'AWS' }]));
    },
  },
  'reads blueprints and creates a stack from one': {
    run: async (api) => [
      await attempt(() => api.getBlueprints()),
      await attempt(() => api.getBlueprintById('service')),
      await attempt(() =>
        api.createStackFromBlueprint('service', { inputs: [{ id: 'stack_name', value: 'Billing' }] }),
      ),
      await attempt(() => api.getStackById('billing', { queryFields: ['labels'] })),
      await attempt(() => api.createStackFromBlueprint('service', { inputs: [] })),
      await attempt(() => api.getBlueprintById('nope')),
    ],
    check: ([list, one, created, stack, missingInput, missing]) => {
      expect(list).toEqual(ok([{ id: 'service', name: 'Service' }]));
      expect(one).toEqual(
        ok(expect.objectContaining({ state: 'PUBLISHED', space: { id: 'root', name: 'root' } })),
      );
      expect(created).toEqual(ok({ stackIds: ['billing'], runIds: [] }));
      expect(stack).toEqual(ok({ labels: ['dependsOn:app'] }));
      expect(missingInput).toEqual(err('SpaceliftGraphQLError', 'missing blueprint inputs: stack_name'));
      expect(missing).toEqual(ok(null));
    },
  },
  'changes labels and reads native dependencies': {
    run: async (api) => [
      await attempt(() => api.updateStackLabels('app', { add: ['tier:web'], remove: ['dependsOn:network'] })),
      await attempt(() => api.updateStackLabels('nope', { add: ['x'] })),
      await attempt(() =>
        api.execute(
          'mutation { stackDependencyCreate(input: { stackId: "app", dependsOnStackId: "network" }) { id } }',
        ),
      ),
      await attempt(() => api.getStackDependencies('network')),
      await attempt(() => api.getStackDependencies('nope')),
      await attempt(() => api.deleteStack('database')),
      await attempt(() => api.deleteStack('database')),
    ],
    check: ([labels, missing, , deps, noDeps, deleted, again]) => {
      expect(labels).toEqual(ok(expect.objectContaining({ labels: ['dependsOn:database', 'tier:web'] })));
      expect(missing).toEqual(err('SpaceliftNotFoundError', 'stack "nope"'));
      expect(deps).toEqual(
        ok({
          id: 'network',
          dependsOn: [],
          isDependedOnBy: [
            {
              id: '<ulid>',
              triggerAlways: false,
              stack: { id: 'app', name: 'App' },
              dependsOnStack: { id: 'network', name: 'Network' },
            },
          ],
        }),
      );
      expect(noDeps).toEqual(ok(null));
      expect(deleted).toEqual(ok({ id: 'database' }));
      expect(again).toEqual(err('SpaceliftGraphQLError', 'stack "database" not found'));
    },
  },
  'triggers runs and reads them back': {
    run: async (api) => {
      const first = await attempt(() => api.triggerRun('network'));
      const run = (first as { ok: { id: string } }).ok;
      const created = await api.getStackRuns('network');
      return [
        first,
        await attempt(() => api.triggerRun('network', { runType: 'PROPOSED', commitSha: 'abc1234' })),
        await attempt(() => api.getRun('network', created![0]!.id)),
        await attempt(() => api.getStackRuns('network')),
        await attempt(() => api.getRun('network', 'nope')),
        await attempt(() => api.getStackRuns('nope')),
        await attempt(() => api.triggerRun('nope')),
        ok(run.id === '<ulid>'),
      ];
    },
    check: ([first, proposed, read, runs, missingRun, missingStack, unknown, isUlid]) => {
      expect(first).toEqual(
        ok({
          id: '<ulid>',
          state: 'QUEUED',
          type: 'TRACKED',
          branch: 'main',
          createdAt: '<time>',
          triggeredBy: 'api::CONTRACT',
          title: 'Head of main',
          commit: expect.objectContaining({ authorLogin: 'simulator' }),
          history: [{ state: 'QUEUED', stateVersion: 1, timestamp: '<time>', terminal: false }],
        }),
      );
      expect(proposed).toEqual(
        ok(
          expect.objectContaining({ type: 'PROPOSED', commit: expect.objectContaining({ hash: 'abc1234' }) }),
        ),
      );
      expect(read).toEqual(first);
      expect((runs as { ok: Array<{ type: string }> }).ok.map((r) => r.type)).toEqual([
        'PROPOSED',
        'TRACKED',
      ]);
      expect(missingRun).toEqual(ok(null));
      expect(missingStack).toEqual(ok(null));
      expect(unknown).toEqual(err('SpaceliftGraphQLError', 'stack "nope" not found'));
      expect(isUlid).toEqual(ok(true));
    },
  },
  'executes raw GraphQL and reports validation errors': {
    run: async (api) => [
      await attempt(() =>
        api.execute('query($id: ID!) { stack(id: $id) { name state } }', { id: 'network' }),
      ),
      await attempt(() => api.execute('{ nope }')),
      await attempt(() => api.execute('{ not graphql')),
    ],
    check: ([data, invalid, syntax]) => {
      expect(data).toEqual(ok({ stack: { name: 'Network', state: 'NONE' } }));
      expect(invalid).toEqual(err('SpaceliftGraphQLError', 'Cannot query field "nope" on type "Query".'));
      expect(syntax).toEqual(err('SpaceliftValidationError', 'Syntax Error'));
    },
  },
};

describe('contract: Spacelift over HTTP to the simulator and MockSpacelift agree', () => {
  const results = new Map<string, { http: Outcome[]; mock: Outcome[] }>();

  beforeAll(async () => {
    for (const [name, testCase] of Object.entries(CASES)) {
      // Runs stay where they are created, so both sides see the same states.
      const sim = await startSimulator({ seed, apiKey, stateDurationMs: 3_600_000 });
      try {
        const http = new Spacelift({ baseUrl: sim.baseUrl, keyId: apiKey.id, keySecret: apiKey.secret });
        const mock = new MockSpacelift({ seed, identity: `api::${apiKey.id}` });
        results.set(name, { http: await testCase.run(http), mock: await testCase.run(mock) });
      } finally {
        await sim.close();
      }
    }
  });
  afterAll(() => results.clear());

  it.each(Object.keys(CASES))('%s', (name) => {
    const { http, mock } = results.get(name)!;
    expect(mock).toEqual(http);
    CASES[name]!.check(http);
  });
});
