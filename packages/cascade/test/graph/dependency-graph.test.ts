import { MockSpacelift } from 'spacelift-simulator/testing';
import { describe, expect, it } from 'vitest';
import { describeNativeConflict, findNativeDependencyConflicts } from '../../src/graph/read-stack-graph.js';
import {
  buildDependencyGraph,
  closureNodes,
  declaredUpstreams,
  DependencyCycleError,
  downstreamClosure,
  findCycles,
  topologicalWaves,
} from '../../src/graph/dependency-graph.js';

const P = 'dependsOn:';
const stack = (id: string, ...ups: string[]) => ({ id, labels: ['team:infra', ...ups.map((u) => P + u)] });

describe('declaredUpstreams', () => {
  it('reads ids after the prefix, ignores other labels, drops duplicates and empty ids', () => {
    expect(
      declaredUpstreams(['dependsOn:a', 'env:prod', 'dependsOn:b', 'dependsOn:a', 'dependsOn:'], P),
    ).toEqual(['a', 'b']);
  });
  it('honours a custom prefix', () => {
    expect(declaredUpstreams(['after=net', 'dependsOn:db'], 'after=')).toEqual(['net']);
  });
});

describe('buildDependencyGraph', () => {
  it('links several upstreams and reports unknown ones without failing', () => {
    const g = buildDependencyGraph([stack('net'), stack('db', 'net'), stack('app', 'net', 'db', 'ghost')], P);
    expect(g.upstreams.get('app')).toEqual(['net', 'db', 'ghost']);
    expect(g.downstreams.get('net')).toEqual(['db', 'app']);
    expect(g.unknownDependencies).toEqual([{ stackId: 'app', dependsOn: 'ghost' }]);
  });
  it('refuses an empty prefix with a message saying the default', () => {
    expect(() => buildDependencyGraph([], '')).toThrow(/dependsOn:/);
  });
});

describe('downstreamClosure', () => {
  const g = buildDependencyGraph(
    [stack('a'), stack('b', 'a'), stack('c', 'b'), stack('d', 'a'), stack('x'), stack('y', 'x')],
    P,
  );
  it('holds the root and everything transitively downstream, nothing else', () => {
    expect(downstreamClosure(g, 'a').sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(downstreamClosure(g, 'x')).toEqual(['x', 'y']);
    expect(downstreamClosure(g, 'c')).toEqual(['c']);
  });
  it('works for a root the API cannot see when labels point at it', () => {
    const h = buildDependencyGraph([stack('b', 'hidden')], P);
    expect(downstreamClosure(h, 'hidden')).toEqual(['hidden', 'b']);
  });
  it('closureNodes keeps only upstreams inside the closure', () => {
    const h = buildDependencyGraph([stack('a'), stack('o'), stack('b', 'a', 'o')], P);
    expect(closureNodes(h, 'a')).toEqual([
      { id: 'a', dependsOn: [] },
      { id: 'b', dependsOn: ['a'] },
    ]);
  });
});

describe('findCycles', () => {
  it('names the stacks on each cycle in edge order', () => {
    const g = buildDependencyGraph(
      [
        stack('root'),
        stack('b', 'root', 'd'),
        stack('c', 'b'),
        stack('d', 'c'),
        stack('e', 'e'),
        stack('f', 'd'),
      ],
      P,
    );
    expect(findCycles(g)).toEqual([['b', 'c', 'd'], ['e']]);
  });
  it('finds none in a diamond', () => {
    const g = buildDependencyGraph([stack('a'), stack('b', 'a'), stack('c', 'a'), stack('d', 'b', 'c')], P);
    expect(findCycles(g)).toEqual([]);
  });
  it('only looks inside the given stacks', () => {
    const g = buildDependencyGraph([stack('a'), stack('b', 'c'), stack('c', 'b')], P);
    expect(findCycles(g, downstreamClosure(g, 'a'))).toEqual([]);
    expect(findCycles(g)).toEqual([['b', 'c']]);
  });
});

describe('topologicalWaves', () => {
  it('layers a diamond: the bottom comes after both parents', () => {
    const g = buildDependencyGraph([stack('a'), stack('b', 'a'), stack('c', 'a'), stack('d', 'b', 'c')], P);
    expect(topologicalWaves(g, downstreamClosure(g, 'a'))).toEqual([['a'], ['b', 'c'], ['d']]);
  });
  it('puts a stack after its deepest upstream', () => {
    const g = buildDependencyGraph([stack('a'), stack('b', 'a'), stack('c', 'b'), stack('d', 'a', 'c')], P);
    expect(topologicalWaves(g)).toEqual([['a'], ['b'], ['c'], ['d']]);
  });
  it('throws a DependencyCycleError naming the cycle', () => {
    const g = buildDependencyGraph([stack('a'), stack('b', 'a', 'c'), stack('c', 'b')], P);
    const err = (() => {
      try {
        topologicalWaves(g);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DependencyCycleError);
    expect((err as DependencyCycleError).cycles).toEqual([['b', 'c']]);
    expect((err as Error).message).toContain('b -> c -> b');
  });
});

describe('10,000 stacks', () => {
  it('handles a 10,000-deep chain without recursion limits', () => {
    const stacks = Array.from({ length: 10_000 }, (_, i) =>
      i === 0 ? stack('s0') : stack(`s${i}`, `s${i - 1}`),
    );
    const g = buildDependencyGraph(stacks, P);
    expect(downstreamClosure(g, 's0')).toHaveLength(10_000);
    const waves = topologicalWaves(g);
    expect(waves).toHaveLength(10_000);
    expect(waves[9_999]).toEqual(['s9999']);
    expect(findCycles(g)).toEqual([]);
  });

  it('layers 100 layers of 100 stacks, each depending on two stacks of the layer above', () => {
    const stacks = [];
    for (let layer = 0; layer < 100; layer++) {
      for (let i = 0; i < 100; i++) {
        const ups = layer === 0 ? [] : [`l${layer - 1}-${i}`, `l${layer - 1}-${(i + 1) % 100}`];
        stacks.push(stack(`l${layer}-${i}`, ...ups));
      }
    }
    const g = buildDependencyGraph(stacks, P);
    const waves = topologicalWaves(g);
    expect(waves).toHaveLength(100);
    expect(waves.every((w, layer) => w.length === 100 && w.every((id) => id.startsWith(`l${layer}-`)))).toBe(
      true,
    );
    // l<k>-i depends on l<k-1>-i and l<k-1>-(i+1), so from l0-0 the closure grows by one stack
    // per layer (wrapping backwards): layer k holds k + 1 stacks, 1 + 2 + ... + 100 = 5,050.
    const closure = downstreamClosure(g, 'l0-0');
    expect(closure).toHaveLength(5_050);
    expect(closure).toContain('l2-98');
    expect(closure).not.toContain('l2-1');
  });

  it('finds a cycle closing a 10,000-stack ring', () => {
    const stacks = Array.from({ length: 10_000 }, (_, i) => stack(`s${i}`, `s${(i + 9_999) % 10_000}`));
    const cycles = findCycles(buildDependencyGraph(stacks, P));
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(10_000);
    expect(cycles[0]!.slice(0, 2)).toEqual(['s0', 's1']);
  });
});

describe('findNativeDependencyConflicts', () => {
  it('names the stacks that have dependsOn labels and native Spacelift dependencies too', async () => {
    const api = new MockSpacelift({
      seed: {
        stacks: [
          { id: 'net' },
          { id: 'db', labels: ['dependsOn:net'] },
          { id: 'app', labels: ['dependsOn:db'] },
          { id: 'native-only' },
        ],
      },
    });
    const create = `mutation ($input: StackDependencyInput!) { stackDependencyCreate(input: $input) { id } }`;
    await api.execute(create, { input: { stackId: 'db', dependsOnStackId: 'net' } });
    await api.execute(create, { input: { stackId: 'native-only', dependsOnStackId: 'net' } });
    const conflicts = await findNativeDependencyConflicts(api, 'dependsOn:');
    expect(conflicts).toEqual([{ stackId: 'db', labelled: ['net'], native: ['net'] }]);
    expect(describeNativeConflict(conflicts[0]!)).toBe(
      'db has dependsOn labels (net) and native Spacelift dependencies (net): both would run it; keep one kind',
    );
  });
});
