import { describe, expect, it } from 'vitest';
import { buildDependencyGraph } from '../../src/graph/dependency-graph.js';
import { toDot, toJson, toMermaid, toTextTree } from '../../src/graph/graph-renderers.js';

const g = buildDependencyGraph(
  [
    { id: 'net', labels: [] },
    { id: 'db', labels: ['dependsOn:net'] },
    { id: 'cache', labels: ['dependsOn:net'] },
    { id: 'app', labels: ['dependsOn:db', 'dependsOn:cache', 'dependsOn:ghost'] },
    { id: 'other', labels: [] },
  ],
  'dependsOn:',
);

describe('renderers', () => {
  it('Mermaid: one node per stack, an edge per dependency, unknown stacks marked', () => {
    expect(toMermaid(g)).toBe(
      [
        'flowchart TD',
        '  s0["net"]',
        '  s1["db"]',
        '  s2["cache"]',
        '  s3["app"]',
        '  s4["other"]',
        '  s5["ghost (unknown)"]',
        '  s0 --> s1',
        '  s0 --> s2',
        '  s1 --> s3',
        '  s2 --> s3',
        '  s5 --> s3',
        '',
      ].join('\n'),
    );
  });

  it('Mermaid escapes quotes in ids', () => {
    const q = buildDependencyGraph([{ id: 'a"b', labels: [] }], 'dependsOn:');
    expect(toMermaid(q)).toContain('s0["a#quot;b"]');
  });

  it('DOT limited to a root closure', () => {
    expect(toDot(g, { root: 'db' })).toBe(
      'digraph stacks {\n  rankdir=TB;\n  "db";\n  "app";\n  "db" -> "app";\n}\n',
    );
    expect(toDot(g)).toContain('"ghost" [style=dashed];');
  });

  it('text tree prints a diamond bottom once and refers back to it', () => {
    expect(toTextTree(g, { root: 'net' })).toBe('net\n  db\n    app\n  cache\n    app (see above)\n');
  });

  it('text tree without a root starts from every top stack and lists cycle-only stacks', () => {
    const c = buildDependencyGraph(
      [
        { id: 'a', labels: [] },
        { id: 'x', labels: ['dependsOn:y'] },
        { id: 'y', labels: ['dependsOn:x'] },
      ],
      'dependsOn:',
    );
    expect(toTextTree(c)).toBe('a\n(in a cycle, no root: x, y)\n');
  });

  it('JSON lists dependencies both ways and the unknown ones', () => {
    const parsed = JSON.parse(toJson(g, { root: 'cache' }));
    expect(parsed).toEqual({
      stacks: [
        { id: 'cache', dependsOn: [], dependents: ['app'] },
        { id: 'app', dependsOn: ['cache'], dependents: [] },
      ],
      unknownDependencies: [{ stackId: 'app', dependsOn: 'ghost' }],
    });
    expect(JSON.parse(toJson(g)).stacks).toHaveLength(5);
  });
});
