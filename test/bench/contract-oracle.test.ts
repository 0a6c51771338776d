import { describe, expect, it } from 'vitest';
import { checkOverlappingChanges, type OracleRun } from '../../bench/cascade/contract-oracle.js';

/** a -> b -> c */
const chain = new Map<string, string[]>([
  ['a', []],
  ['b', ['a']],
  ['c', ['b']],
]);

const run = (stackId: string, createdAt: number, endedAt: number | null, own = true): OracleRun => ({
  runId: `${stackId}@${createdAt}`,
  stackId,
  createdAt,
  endedAt,
  endState: endedAt === null ? null : 'FINISHED',
  own,
});

describe('checkOverlappingChanges', () => {
  it('one push cascading in order: each stack once, the fewest allowed, no violation', () => {
    const report = checkOverlappingChanges(chain, [
      run('a', 0, 10, false),
      run('b', 11, 20),
      run('c', 21, 30),
    ]);
    expect(report).toMatchObject({
      runsMade: 3,
      fewestAllowed: 3,
      extraHistogram: { '0': 3 },
      startedInFlight: [],
      redundant: [],
      unserved: [],
      notFinished: [],
    });
  });

  it('a run created while a transitive upstream is still running started in flight', () => {
    const report = checkOverlappingChanges(chain, [
      run('a', 0, 10, false),
      run('b', 11, 20),
      run('c', 15, 30),
    ]);
    expect(report.startedInFlight).toEqual([
      { runId: 'c@15', stackId: 'c', upstream: 'b', upstreamRunId: 'b@11', upstreamLeadMs: 4 },
    ]);
    // c@15 was also created before b's change: the need at 20 is unserved.
    expect(report.unserved).toEqual(['c']);
  });

  it('a push of a stack and its upstream together: the stack runs again after the upstream, the rest once', () => {
    const report = checkOverlappingChanges(chain, [
      run('a', 0, 10, false),
      run('b', 5, 12, false),
      run('b', 13, 20),
      run('c', 21, 30),
    ]);
    expect(report.fewestAllowed).toBe(4);
    expect(report.runsMade).toBe(4);
    expect(report.overRun).toEqual([]);
    expect(report.redundant).toEqual([]);
  });

  it('a push created after the need serves it: no run of ours is needed, one is redundant', () => {
    const runs = [run('a', 0, 1_000, false), run('b', 2_100, 2_500, false), run('c', 2_600, 3_000)];
    expect(checkOverlappingChanges(chain, runs)).toMatchObject({
      fewestAllowed: 3,
      runsMade: 3,
      redundant: [],
    });
    const extra = checkOverlappingChanges(chain, [...runs, run('b', 3_100, 3_500)]);
    // Its previous run is the push, created 1,100 ms after the need it served.
    expect(extra.redundant).toEqual([
      { runId: 'b@3100', stackId: 'b', secondsRule: false, previousOwn: false, needLeadMs: 1_100 },
    ]);
    expect(extra.overRun).toEqual([{ stackId: 'b', runs: 2, fewest: 1 }]);
    expect(extra.extraHistogram).toEqual({ '0': 2, '1': 1 });
  });

  it('a run after a push created in the same whole second as the need is put down to the seconds rule', () => {
    const report = checkOverlappingChanges(chain, [
      run('a', 0, 1_100, false),
      run('b', 1_500, 1_600, false),
      run('b', 1_700, 1_800),
      run('c', 1_900, 2_000),
    ]);
    expect(report.redundant).toEqual([
      { runId: 'b@1700', stackId: 'b', secondsRule: true, previousOwn: false, needLeadMs: 400 },
    ]);
  });

  it('so is a run after one of ours created in that second (its milliseconds came later); a later second is not', () => {
    const sameSecond = checkOverlappingChanges(chain, [
      run('a', 0, 1_100, false),
      run('b', 1_500, 1_600),
      run('b', 1_700, 1_800),
      run('c', 1_900, 2_000),
    ]);
    expect(sameSecond.redundant).toEqual([
      { runId: 'b@1700', stackId: 'b', secondsRule: true, previousOwn: true, needLeadMs: 400 },
    ]);
    const laterSecond = checkOverlappingChanges(chain, [
      run('a', 0, 1_100, false),
      run('b', 2_050, 2_100),
      run('b', 2_200, 2_300),
      run('c', 2_400, 2_500),
    ]);
    expect(laterSecond.redundant).toEqual([
      { runId: 'b@2200', stackId: 'b', secondsRule: false, previousOwn: true, needLeadMs: 950 },
    ]);
  });

  it('a change landing while the run is in progress justifies one more run; the bound counts one', () => {
    const report = checkOverlappingChanges(chain, [
      run('a', 0, 10, false),
      run('b', 11, 20),
      run('a', 12, 14, false),
      run('b', 21, 30),
      run('c', 31, 40),
    ]);
    expect(report.redundant).toEqual([]);
    expect(report.overRun).toEqual([{ stackId: 'b', runs: 2, fewest: 1 }]);
    expect(report.startedInFlight).toEqual([]);
  });

  it('a run that failed or never ended is reported', () => {
    const report = checkOverlappingChanges(chain, [
      run('a', 0, 10, false),
      { ...run('b', 11, 20), endState: 'FAILED' },
      run('c', 21, null),
    ]);
    expect(report.notFinished).toEqual(['b@11', 'c@21']);
  });
});
