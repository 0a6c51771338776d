import { describe, expect, it } from 'vitest';
import type { CascadeStatus } from '../../src/cascade-contract.js';
import {
  changedStackLines,
  describeCascade,
  exitCodeOf,
  progressLine,
  tally,
} from '../../src/cli/cascade-report.js';

const base: CascadeStatus = {
  rootStackId: 'network',
  rootRunId: 'R0',
  phase: 'running',
  error: null,
  unknownDependencies: [],
  stacks: {
    database: { state: 'finished', runId: 'R1', runUrl: 'http://x/stack/database/run/R1' },
    cluster: {
      state: 'triggered',
      runId: 'R2',
      runUrl: 'http://x/stack/cluster/run/R2',
      runState: 'APPLYING',
    },
    app: { state: 'pending', waitingFor: ['cluster'] },
  },
};

describe('cascade report', () => {
  it('tallies stacks by state', () => {
    expect(tally(base)).toEqual({ total: 3, pending: 1, triggered: 1, finished: 1, failed: 0, skipped: 0 });
    expect(progressLine(base)).toBe(
      '[running] 1/3 done: 1 finished, 1 running, 1 pending, 0 failed, 0 skipped',
    );
  });

  it('maps outcomes to exit codes: 0 success, 1 cascade failed, 3 stacks failed or skipped', () => {
    const done: CascadeStatus = {
      ...base,
      phase: 'completed',
      stacks: { database: { state: 'finished', runId: 'R1', runUrl: 'u' } },
    };
    expect(exitCodeOf(done)).toBe(0);
    expect(exitCodeOf({ ...done, phase: 'failed', error: 'cycle: a -> b -> a' })).toBe(1);
    expect(exitCodeOf({ ...done, phase: 'canceled' })).toBe(1);
    expect(
      exitCodeOf({
        ...done,
        stacks: { ...done.stacks, app: { state: 'skipped', reason: 'upstream database failed' } },
      }),
    ).toBe(3);
  });

  it('prints only what changed between two snapshots', () => {
    const next: CascadeStatus = {
      ...base,
      stacks: {
        ...base.stacks,
        cluster: { state: 'finished', runId: 'R2', runUrl: 'http://x/stack/cluster/run/R2' },
      },
    };
    expect(changedStackLines(base, next)).toEqual([
      'cluster: finished (run R2) http://x/stack/cluster/run/R2',
    ]);
    expect(changedStackLines(null, base)).toEqual([
      'database: finished (run R1) http://x/stack/database/run/R1',
      'cluster: applying (run R2) http://x/stack/cluster/run/R2',
      'app: pending (waiting for cluster)',
      'cascade running',
    ]);
    expect(changedStackLines(base, { ...next, phase: 'completed' }).at(-1)).toBe('cascade completed');
  });

  it('describes failures, skips and dangling labels', () => {
    const text = describeCascade('cascade-R0', {
      ...base,
      phase: 'completed',
      unknownDependencies: [{ stackId: 'app', dependsOn: 'ghost' }],
      stacks: {
        database: { state: 'failed', runId: 'R1', runUrl: 'u1', runState: 'FAILED' },
        app: { state: 'skipped', reason: 'upstream database failed: run R1 ended FAILED' },
      },
    });
    expect(text).toContain('database: FAILED, run R1 ended FAILED u1');
    expect(text).toContain('app: skipped (upstream database failed: run R1 ended FAILED)');
    expect(text).toContain('warning: app depends on unknown stack ghost');
  });
});
