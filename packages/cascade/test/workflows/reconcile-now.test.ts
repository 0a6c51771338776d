import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CascadeHarness } from './cascade-harness.js';
import { EstateRig, eventually } from './estate-rig.js';
import { testOptions } from './test-options.js';

let harness: CascadeHarness;
beforeAll(async () => {
  harness = await CascadeHarness.create(`reconcile-now-${randomUUID()}`);
});
afterAll(async () => harness.close());

describe('fast recovery: a pass asked for after one of our own parts came back', () => {
  it('runs a reconciliation pass at once, not at the next periodic one (10 min away here), and finds a lost change', async () => {
    const rig = new EstateRig(
      harness,
      [{ id: 'root' }, { id: 'app', dependsOn: ['root'] }, { id: 'other' }],
      testOptions({ reconcileIntervalMs: 600_000 }),
    );
    const passes = () => rig.spacelift.calls.searchStacks ?? 0;
    const found = await rig.run(async () => {
      await eventually(async () => ((await rig.coordinator.estate()).graphReadAt != null ? true : undefined));
      // The estate has a past the passes measure from.
      rig.finish(rig.push('other', null));
      await rig.flush();
      const first = passes();
      await rig.coordinator.reconcileNow('the service started again');
      await eventually(() => (passes() > first ? true : undefined));

      // Lost while (say) the embedded server restarted: nobody tells the coordinator.
      const root = rig.push('root', null);
      rig.dropped.add(root.id);
      rig.finish(root);
      await eventually(() => (rig.runsOf('root')[0]?.state === 'FINISHED' ? true : undefined));
      const second = passes();
      const at = Date.now();
      await rig.coordinator.reconcileNow('the embedded Temporal server restarted');
      await rig.until('app', 'finished');
      return { ms: Date.now() - at, passes: passes() - second };
    });
    expect(rig.count('app')).toBe(1);
    expect(found.passes).toBeGreaterThanOrEqual(1);
    expect(found.ms).toBeLessThan(30_000);
  });
});
