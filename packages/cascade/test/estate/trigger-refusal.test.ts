import { MockSpacelift } from 'spacelift-simulator/testing';
import { describe, expect, it } from 'vitest';
import { describeStack } from '../../src/cli/cascade-report.js';
import {
  readRefusal,
  refusedTriggerReason,
  refusedUpstreamReason,
} from '../../src/estate/trigger-refusal.js';
import { Estate } from './estate-driver.js';

/** What Spacelift (here the in-memory one, which words it as the simulator does) answers a trigger of `dns`. */
async function refusalOf(prepare: (mock: MockSpacelift) => void): Promise<string> {
  const mock = new MockSpacelift({ seed: { stacks: [{ id: 'dns' }] } });
  prepare(mock);
  try {
    await mock.triggerRun('dns', { runType: 'TRACKED' });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the trigger was not refused');
}

/** root -> dns -> app: a run of root finished, dns could not be triggered with `error`. */
function refusedEstate(error: string): Estate {
  const e = new Estate({ root: [], dns: ['root'], app: ['dns'] });
  const push = e.start('root');
  e.clock++;
  e.finish('root', push);
  expect(e.model.takeReady(10).map((r) => r.stackId)).toEqual(['dns']);
  e.model.triggerFailed('dns', error);
  return e;
}

const THEN =
  'then run `spacelift-cascade trigger dns` or push to it (the cascade also tries again by itself within 60 s)';

describe('a stack Spacelift will not run, in words', () => {
  it('disabled: "dns: disabled in Spacelift: enable it, then …", and the stacks below say why they wait', async () => {
    const error = await refusalOf((mock) => mock.store.stacks.setDisabled('dns', true));
    const { model } = refusedEstate(error);
    const dns = model.stackView('dns');
    expect(dns).toEqual({
      state: 'blocked',
      blockedBy: 'dns',
      reason: `disabled in Spacelift: enable it, ${THEN}`,
    });
    expect(describeStack('dns', dns)).toBe(`dns: disabled in Spacelift: enable it, ${THEN}`);
    expect(describeStack('app', model.stackView('app'))).toBe(
      `app: blocked: upstream dns is disabled in Spacelift: enable it, ${THEN}`,
    );
  });

  it('locked: names who holds the lock', async () => {
    const error = await refusalOf((mock) =>
      mock.store.stacks.lock('dns', 'alice@example.com', 'maintenance'),
    );
    const { model } = refusedEstate(error);
    expect(describeStack('dns', model.stackView('dns'))).toBe(
      `dns: locked by alice@example.com in Spacelift: unlock it, ${THEN}`,
    );
    expect(describeStack('app', model.stackView('app'))).toBe(
      `app: blocked: upstream dns is locked by alice@example.com in Spacelift: unlock it, ${THEN}`,
    );
  });

  it('what the words promise holds: a run of the stack from any source releases what waits below it', async () => {
    const error = await refusalOf((mock) => mock.store.stacks.setDisabled('dns', true));
    const e = refusedEstate(error);
    // Enabled, then `spacelift-cascade trigger dns` (or a push): a run the cascade did not start.
    e.clock++;
    const run = e.start('dns');
    e.clock++;
    e.finish('dns', run);
    expect(e.model.stackView('dns')).toMatchObject({ state: 'finished', runId: run });
    expect(e.model.takeReady(10).map((r) => r.stackId)).toEqual(['app']);
  });

  it("another refusal keeps Spacelift's words, with the same way out", () => {
    expect(readRefusal('stack "dns" is locked')).toEqual({ state: 'locked in Spacelift', fix: 'unlock it' });
    expect(readRefusal('forbidden: not an admin')).toBeNull();
    expect(refusedTriggerReason('dns', 'forbidden: not an admin', 1_000)).toBe(
      'could not trigger a run: forbidden: not an admin: fix that, then run `spacelift-cascade trigger dns` ' +
        'or push to it (the cascade also tries again by itself within 1 s)',
    );
    expect(refusedUpstreamReason('dns', 'forbidden', 1_000)).toMatch(
      /^upstream dns could not be triggered: forbidden: fix that, then run `spacelift-cascade trigger dns` /,
    );
  });
});
