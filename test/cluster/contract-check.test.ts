import { describe, expect, it } from 'vitest';
import { checkCascadeContract, downstreamOf, type StackRun } from './contract-check.js';

// root -> a, b; a, b -> c (a diamond); x is unrelated.
const upstreams = new Map<string, string[]>([
  ['root', []],
  ['a', ['root']],
  ['b', ['root']],
  ['c', ['a', 'b']],
  ['x', []],
]);
const run = (runId: string, stackId: string, createdAt: number, endedAt: number | null = createdAt + 5) => ({
  runId,
  stackId,
  createdAt,
  endedAt,
  endState: endedAt === null ? null : 'FINISHED',
});
const push = run('r0', 'root', 0, 10);
const clean: StackRun[] = [push, run('ra', 'a', 11, 20), run('rb', 'b', 12, 18), run('rc', 'c', 21, 30)];

describe('checkCascadeContract', () => {
  it('finds the downstream closure', () => {
    expect([...downstreamOf(upstreams, 'root')].sort()).toEqual(['a', 'b', 'c']);
    expect([...downstreamOf(upstreams, 'a')]).toEqual(['c']);
  });

  it('accepts a diamond run once each, in dependency order, and reports its figures', () => {
    const report = checkCascadeContract(upstreams, [{ stackId: 'root', runId: 'r0' }], clean);
    expect(report.violations).toEqual([]);
    expect(report.changes).toEqual([{ stackId: 'root', expected: 3, runs: 3, durationMs: 30 }]);
  });

  it('reports a missing stack, a duplicate and an unrelated run', () => {
    const runs = [
      push,
      run('ra', 'a', 11, 20),
      run('ra2', 'a', 12, 19),
      run('rb', 'b', 12, 18),
      run('rx', 'x', 13),
    ];
    const { violations } = checkCascadeContract(upstreams, [{ stackId: 'root', runId: 'r0' }], runs);
    expect(violations).toHaveLength(3);
    expect(violations).toEqual(
      expect.arrayContaining([
        { kind: 'missing', change: 0, stackId: 'c' },
        { kind: 'duplicate', change: 0, stackId: 'a', runIds: ['ra', 'ra2'] },
        { kind: 'unexpected', change: 0, stackId: 'x', runId: 'rx' },
      ]),
    );
  });

  it('reports a run created while an upstream run (direct or not) was in progress', () => {
    const runs = [push, run('ra', 'a', 11, 20), run('rb', 'b', 12, 18), run('rc', 'c', 19, 30)];
    const { violations } = checkCascadeContract(upstreams, [{ stackId: 'root', runId: 'r0' }], runs);
    expect(violations).toEqual([
      expect.objectContaining({ kind: 'order', stackId: 'c', upstream: 'a', why: 'upstream in progress' }),
    ]);
    const early = [push, run('ra', 'a', 5, 20), run('rb', 'b', 12, 18), run('rc', 'c', 21, 30)];
    expect(checkCascadeContract(upstreams, [{ stackId: 'root', runId: 'r0' }], early).violations).toEqual([
      expect.objectContaining({ kind: 'order', stackId: 'a', upstream: 'root', why: 'upstream in progress' }),
    ]);
  });

  it('reports a run created before its upstream ran for the same change', () => {
    const runs = [push, run('ra', 'a', 11, 20), run('rb', 'b', 22, 25), run('rc', 'c', 21, 30)];
    const { violations } = checkCascadeContract(upstreams, [{ stackId: 'root', runId: 'r0' }], runs);
    expect(violations).toEqual([
      expect.objectContaining({ kind: 'order', stackId: 'c', upstream: 'b', why: 'upstream ran later' }),
    ]);
  });

  it('reports stuck and failed runs', () => {
    const runs = [...clean.slice(0, 3), run('rc', 'c', 21, null)];
    const report = checkCascadeContract(upstreams, [{ stackId: 'root', runId: 'r0' }], runs);
    expect(report.violations).toEqual([{ kind: 'not-finished', stackId: 'c', runId: 'rc', endState: null }]);
    expect(report.changes[0]!.durationMs).toBeNull();
  });

  it('splits sequential changes into windows: each change is checked on its own runs', () => {
    const second = [run('r1', 'a', 100, 110), run('rc2', 'c', 111, 120)];
    const changes = [
      { stackId: 'root', runId: 'r0' },
      { stackId: 'a', runId: 'r1' },
    ];
    const report = checkCascadeContract(upstreams, changes, [...clean, ...second]);
    expect(report.violations).toEqual([]);
    expect(report.changes.map((c) => [c.stackId, c.expected, c.runs])).toEqual([
      ['root', 3, 3],
      ['a', 1, 1],
    ]);
    // The second change's run of c missing: only that window reports it.
    const missing = checkCascadeContract(upstreams, changes, [...clean, second[0]!]);
    expect(missing.violations).toEqual([{ kind: 'missing', change: 1, stackId: 'c' }]);
  });
});
