import { planFor } from '../../src/graph/stack-plan.js';
import { describe, expect, it } from 'vitest';
import type { EstateView } from '../../src/cascade-contract.js';
import {
  buildEstateGraph,
  estateProblems,
  mergeEstate,
  type StackRecord,
} from '../../src/dashboard/estate-graph.js';
import { ConfigError, loadServiceConfig } from '../../src/config/service-config.js';

const stack = (id: string, labels: string[] = [], nativeUpstreams: string[] = []): StackRecord => ({
  id,
  name: id,
  space: 'root',
  labels,
  nativeUpstreams,
});

const view = (partial: Partial<EstateView>): EstateView => ({
  stacks: {},
  cycles: [],
  unknownDependencies: [],
  graphReadAt: null,
  activeCascades: [],
  cascadeCounts: { running: 0, held: 0, blocked: 0 },
  freeze: null,
  ...partial,
});

describe('estate graph for the dashboard', () => {
  const diamond = buildEstateGraph(
    [
      stack('network'),
      stack('db', ['dependsOn:network']),
      stack('cluster', ['dependsOn:network']),
      stack('app', ['dependsOn:db', 'dependsOn:cluster', 'team:web']),
    ],
    'dependsOn:',
  );

  it('derives upstreams and downstreams from the labels only', () => {
    expect(diamond.stacks.find((s) => s.id === 'app')).toMatchObject({
      upstreams: ['db', 'cluster'],
      downstreams: [],
      labels: ['dependsOn:db', 'dependsOn:cluster', 'team:web'],
    });
    expect(diamond.stacks.find((s) => s.id === 'network')!.downstreams).toEqual(['db', 'cluster']);
  });

  it('plans a change in waves: a diamond child once, after both parents', () => {
    expect(planFor(diamond.graph, 'network')).toEqual({
      root: 'network',
      waves: [['db', 'cluster'], ['app']],
      cycles: [],
      unknownDependencies: [],
    });
    expect(planFor(diamond.graph, 'app').waves).toEqual([]);
  });

  it('keeps its version while nothing but states change, and changes it with a label or a native edge', () => {
    const same = buildEstateGraph(
      [
        stack('network'),
        stack('db', ['dependsOn:network']),
        stack('cluster', ['dependsOn:network']),
        stack('app', ['dependsOn:db', 'dependsOn:cluster', 'team:web']),
      ],
      'dependsOn:',
    );
    expect(same.version).toBe(diamond.version);
    const relabelled = buildEstateGraph(
      [
        stack('network'),
        stack('db', ['dependsOn:network']),
        stack('cluster'),
        stack('app', ['dependsOn:db']),
      ],
      'dependsOn:',
    );
    expect(relabelled.version).not.toBe(diamond.version);
    const native = buildEstateGraph(
      [
        stack('network'),
        stack('db', ['dependsOn:network'], ['network']),
        stack('cluster', ['dependsOn:network']),
        stack('app', ['dependsOn:db', 'dependsOn:cluster', 'team:web']),
      ],
      'dependsOn:',
    );
    expect(native.version).not.toBe(diamond.version);
  });

  it('adds the stacks only the coordinator knows (created since the read), without edges', () => {
    const merged = mergeEstate(
      diamond,
      view({ stacks: { db: { state: 'waiting', waitingFor: ['network'] }, fresh: { state: 'idle' } } }),
    );
    expect(merged.stacks.map((s) => s.id)).toEqual(['network', 'db', 'cluster', 'app', 'fresh']);
    expect(merged.stacks[1]!.view).toEqual({ state: 'waiting', waitingFor: ['network'] });
    expect(merged.stacks[0]!.view).toEqual({ state: 'idle' });
    expect(merged.version).not.toBe(diamond.version);
    expect(mergeEstate(diamond, null).version).toBe(diamond.version);
  });

  it('reports each problem once, whether the read or the coordinator found it', () => {
    const graph = buildEstateGraph(
      [stack('a', ['dependsOn:b']), stack('b', ['dependsOn:a']), stack('c', ['dependsOn:gone'])],
      'dependsOn:',
    );
    const problems = estateProblems(
      graph,
      view({ cycles: [['b', 'a']], unknownDependencies: [{ stackId: 'c', dependsOn: 'gone' }] }),
    );
    expect(problems.map((p) => p.kind)).toEqual(['cycle', 'unknown-dependency']);
    expect(problems[0]!.message).toBe(
      'Cycle: a -> b -> a. These stacks never run; remove one dependsOn label.',
    );
  });

  it('flags stacks with both dependsOn labels and native dependencies', () => {
    const graph = buildEstateGraph(
      [
        stack('network'),
        stack('db', ['dependsOn:network'], ['network']),
        stack('native-only', [], ['network']),
      ],
      'dependsOn:',
    );
    expect(estateProblems(graph, null)).toEqual([
      {
        kind: 'labels-and-native',
        stackIds: ['db', 'network'],
        message:
          'db has dependsOn labels (network) and native Spacelift dependencies (network): both would run it; keep one kind',
      },
    ]);
  });
});

describe('CASCADE_ADMIN_TOKEN', () => {
  const base = { SPACELIFT_WEBHOOK_SECRET: 'secret' };
  const load = (env: Record<string, string>) => loadServiceConfig(env, { requireWebhookSecret: true });

  it('is off (null) unless set; an empty value means unset', () => {
    expect(load(base).admin.token).toBeNull();
    expect(load({ ...base, CASCADE_ADMIN_TOKEN: '' }).admin.token).toBeNull();
    expect(load({ ...base, CASCADE_ADMIN_TOKEN: 'a-long-random-admin-token' }).admin.token).toBe(
      'a-long-random-admin-token',
    );
  });

  it('refuses a short token, naming the variable and never its value', () => {
    let error: unknown;
    try {
      load({ ...base, CASCADE_ADMIN_TOKEN: 'hunter2' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('CASCADE_ADMIN_TOKEN must be at least 16 characters');
    expect((error as ConfigError).message).not.toContain('hunter2');
  });
});
