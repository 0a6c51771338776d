import { describe, expect, it } from 'vitest';
import type { CascadeView } from '../../src/cascade-contract.js';
import {
  changedStackLines,
  describeCascade,
  exitCodeOf,
  progressLine,
  tally,
} from '../../src/cli/cascade-report.js';

const runs = (id: string) => [{ runId: id, state: 'FINISHED', own: true, at: 1 }];
const base: CascadeView = {
  id: 'cascade-R0',
  phase: 'running',
  heldOn: [],
  resumes: [],
  resumedBy: [],
  merged: [],
  startedAt: 0,
  endedAt: null,
  changes: [{ stackId: 'network', runId: 'R0', at: 0 }],
  stacks: {
    database: {
      state: 'finished',
      runId: 'R1',
      runUrl: 'http://x/stack/database/run/R1',
      runs: runs('R1'),
      since: 0,
    },
    cluster: {
      state: 'running',
      runId: 'R2',
      runUrl: 'http://x/stack/cluster/run/R2',
      runState: 'APPLYING',
      runs: [],
      since: 0,
    },
    app: { state: 'waiting', waitingFor: ['cluster'], runs: [], since: 0 },
  },
};

describe('cascade report', () => {
  it('tallies stacks by state', () => {
    expect(tally(base)).toMatchObject({
      total: 3,
      waiting: 1,
      running: 1,
      finished: 1,
      failed: 0,
      blocked: 0,
    });
    expect(progressLine(base)).toBe(
      '[running] 1/3 done: 1 finished, 1 running, 1 waiting, 0 failed, 0 blocked',
    );
  });

  it('maps outcomes to exit codes: 0 success, 1 canceled, 3 stacks failed or blocked', () => {
    const done: CascadeView = {
      ...base,
      phase: 'completed',
      stacks: { database: base.stacks.database! },
    };
    expect(exitCodeOf(done)).toBe(0);
    expect(exitCodeOf({ ...done, phase: 'canceled' })).toBe(1);
    const blocked: CascadeView = {
      ...done,
      phase: 'blocked',
      stacks: {
        ...done.stacks,
        app: {
          state: 'blocked',
          blockedBy: 'database',
          reason: 'upstream database failed',
          runs: [],
          since: 0,
        },
      },
    };
    expect(exitCodeOf(blocked)).toBe(3);
  });

  it('describes every stack state a person needs to act on', () => {
    const text = describeCascade({
      ...base,
      stacks: {
        ...base.stacks,
        gate: {
          state: 'awaiting-confirmation',
          runId: 'R3',
          runUrl: 'u3',
          runState: 'UNCONFIRMED',
          runs: [],
          since: 0,
        },
        loop: { state: 'cyclic', cycle: 'loop -> knot -> loop', runs: [], since: 0 },
        below: {
          state: 'blocked',
          blockedBy: 'gate',
          reason: 'upstream gate failed: run R3 ended DISCARDED',
          runs: [],
          since: 0,
        },
      },
    });
    expect(text).toContain('cascade cascade-R0 from network: running');
    expect(text).toContain('app: waiting for cluster');
    expect(text).toContain('cluster: running (run R2, APPLYING) http://x/stack/cluster/run/R2');
    expect(text).toContain('gate: awaiting confirmation (run R3) u3');
    expect(text).toContain('loop: on a cycle (loop -> knot -> loop), never runs');
    expect(text).toContain('below: blocked: upstream gate failed: run R3 ended DISCARDED');
  });

  it('says what early cutoff decided: deciding, up to date and what it spared', () => {
    const view: CascadeView = {
      ...base,
      phase: 'completed',
      stacks: {
        vpc: { state: 'deciding', runId: 'R4', runUrl: 'u4', runs: runs('R4'), since: 0 },
        dns: {
          state: 'up-to-date',
          runId: 'R5',
          runUrl: 'u5',
          reason: 'run R5 changed nothing',
          spared: ['cdn', 'edge'],
          runs: runs('R5'),
          since: 0,
        },
        cdn: {
          state: 'up-to-date',
          runId: 'R5',
          runUrl: 'u5',
          reason: 'upstream dns: run R5 changed nothing',
          spared: [],
          runs: [],
          since: 0,
        },
      },
    };
    const text = describeCascade(view);
    expect(text).toContain('vpc: finished (run R4), reading its outputs: did it change anything? u4');
    expect(text).toContain('dns: up to date: run R5 changed nothing; spared cdn, edge u5');
    expect(text).toContain('cdn: up to date: upstream dns: run R5 changed nothing u5');
    expect(progressLine(view)).toBe(
      '[completed] 2/3 done: 0 finished, 1 running, 0 waiting, 0 failed, 0 blocked, 2 up to date',
    );
    expect(exitCodeOf(view)).toBe(0);
  });

  it('lists only the stack lines that changed, then the phase when it changed', () => {
    expect(changedStackLines(null, base)).toHaveLength(4);
    const next: CascadeView = {
      ...base,
      stacks: {
        ...base.stacks,
        cluster: {
          state: 'finished',
          runId: 'R2',
          runUrl: 'http://x/stack/cluster/run/R2',
          runs: runs('R2'),
          since: 0,
        },
      },
    };
    expect(changedStackLines(base, next)).toEqual([
      'cluster: finished (run R2) http://x/stack/cluster/run/R2',
    ]);
    expect(changedStackLines(next, { ...next, phase: 'completed' })).toEqual(['cascade completed']);
  });
});
