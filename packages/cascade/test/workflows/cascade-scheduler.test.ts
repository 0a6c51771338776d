import { TERMINAL_RUN_STATES as CLIENT_TERMINAL_STATES } from 'spacelift-client';
import { describe, expect, it } from 'vitest';
import { CascadeScheduler } from '../../src/workflows/cascade-scheduler.js';
import { TERMINAL_RUN_STATES } from '../../src/workflows/run-states.js';

const url = (s: string, r: string) => `u/${s}/${r}`;
// root -> a -> c ; root -> b -> c ; c -> d
const diamond = () =>
  new CascadeScheduler(
    [
      { id: 'root', dependsOn: [] },
      { id: 'a', dependsOn: ['root'] },
      { id: 'b', dependsOn: ['root'] },
      { id: 'c', dependsOn: ['a', 'b'] },
      { id: 'd', dependsOn: ['c'] },
    ],
    'root',
    ['a', 'b', 'c', 'd'],
    url,
  );

const drain = (s: CascadeScheduler) => {
  const out: string[] = [];
  for (let id = s.takeReady(); id !== undefined; id = s.takeReady()) out.push(id);
  return out;
};

describe('CascadeScheduler', () => {
  it('releases a diamond bottom only after both parents finished', () => {
    const s = diamond();
    expect(s.hasReady()).toBe(false);
    s.rootFinished();
    expect(drain(s)).toEqual(['a', 'b']);
    s.triggered('a', 'ra', 'QUEUED');
    s.triggered('b', 'rb', 'QUEUED');
    s.runEnded('a', 'ra', 'FINISHED');
    expect(s.hasReady()).toBe(false);
    expect(s.status().c).toEqual({ state: 'pending', waitingFor: ['b'] });
    s.runEnded('b', 'rb', 'FINISHED');
    expect(drain(s)).toEqual(['c']);
    expect(s.isSettled()).toBe(false);
  });

  it('skips everything below a failure with the reason naming the failed stack and run', () => {
    const s = diamond();
    s.rootFinished();
    drain(s);
    s.triggered('a', 'ra', 'QUEUED');
    s.triggered('b', 'rb', 'QUEUED');
    s.runEnded('a', 'ra', 'STOPPED');
    const reason = 'upstream a failed: run ra ended STOPPED';
    expect(s.status()).toMatchObject({
      a: { state: 'failed', runId: 'ra', runUrl: 'u/a/ra', runState: 'STOPPED' },
      c: { state: 'skipped', reason },
      d: { state: 'skipped', reason },
    });
    expect(s.isSettled()).toBe(false);
    s.runEnded('b', 'rb', 'FINISHED');
    expect(s.hasReady()).toBe(false);
    expect(s.isSettled()).toBe(true);
  });

  it('keeps the newest run state from signals and ignores stale versions', () => {
    const s = diamond();
    s.rootFinished();
    drain(s);
    s.triggered('a', 'ra', 'QUEUED');
    s.runStateChanged('ra', 'APPLYING', 5);
    s.runStateChanged('ra', 'PLANNING', 3);
    s.runStateChanged('unknown-run', 'FAILED', 9);
    expect(s.status().a).toMatchObject({ state: 'triggered', runState: 'APPLYING' });
  });

  it('a root that did not finish skips all; a stack that could not be triggered skips its dependents', () => {
    const s = diamond();
    s.rootEnded('r0', 'FAILED');
    expect(Object.values(s.status()).every((st) => st.state === 'skipped')).toBe(true);
    expect(s.isSettled()).toBe(true);

    const t = diamond();
    t.rootFinished();
    drain(t);
    t.notTriggered('a', 'could not trigger a run: stack locked');
    expect(t.status().a).toEqual({ state: 'skipped', reason: 'could not trigger a run: stack locked' });
    expect(t.status().c).toEqual({
      state: 'skipped',
      reason: 'upstream a was not triggered: could not trigger a run: stack locked',
    });
  });

  it('cancellation skips what was not triggered', () => {
    const s = diamond();
    s.rootFinished();
    drain(s);
    s.triggered('a', 'ra', 'QUEUED');
    s.skipUntriggered('canceled');
    expect(s.status()).toMatchObject({
      a: { state: 'triggered' },
      b: { state: 'skipped', reason: 'canceled' },
      d: { state: 'skipped', reason: 'canceled' },
    });
  });

  it('settles a 10,000-stack chain in linear time', () => {
    const n = 10_000;
    const nodes = [{ id: 's0', dependsOn: [] as string[] }];
    for (let i = 1; i <= n; i++) nodes.push({ id: `s${i}`, dependsOn: [`s${i - 1}`] });
    const s = new CascadeScheduler(
      nodes,
      's0',
      nodes.slice(1).map((x) => x.id),
      url,
    );
    s.rootFinished();
    let count = 0;
    for (let id = s.takeReady(); id !== undefined; id = s.takeReady()) {
      s.triggered(id, `r-${id}`, 'QUEUED');
      s.runEnded(id, `r-${id}`, 'FINISHED');
      count++;
    }
    expect(count).toBe(n);
    expect(s.isSettled()).toBe(true);
  });
});

describe('run states', () => {
  it('the workflow copy of terminal states equals the client list', () => {
    expect([...TERMINAL_RUN_STATES]).toEqual([...CLIENT_TERMINAL_STATES]);
  });
});
