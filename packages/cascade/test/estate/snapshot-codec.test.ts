import { describe, expect, it } from 'vitest';
import type { CascadeOptions } from '../../src/cascade-contract.js';
import { EstateModel } from '../../src/estate/estate-model.js';
import type { EstateSnapshot } from '../../src/estate/estate-snapshot.js';
import { packSnapshot, unpackSnapshot } from '../../src/estate/snapshot-codec.js';

const options: CascadeOptions = {
  labelPrefix: 'dependsOn:',
  maxParallel: 50,
  runType: 'TRACKED',
  pollIntervalMs: 30_000,
  reconcileIntervalMs: 60_000,
  runUrlBase: 'https://acme.app.spacelift.io',
  driftRuns: 'cascade',
};

/** 3,000 stacks in layers of 50, each on two of the layer above, mid-cascade: runs in flight and waiting stacks. */
function estateMidCascade(): EstateModel {
  const model = new EstateModel(options);
  const nodes = [{ id: 'root', dependsOn: [] as string[] }];
  for (let i = 0; i < 3_000; i++) {
    const layer = Math.floor(i / 50);
    const above = (j: number) => `s${(layer - 1) * 50 + (j % 50)}`;
    nodes.push({ id: `s${i}`, dependsOn: layer === 0 ? ['root'] : [above(i), above(i + 1)] });
  }
  model.setGraph(nodes, 1_000);
  const run = (stackId: string, runId: string, state: string, at: number) => ({
    stackId,
    runId,
    state,
    stateVersion: null,
    runType: 'TRACKED' as const,
    triggeredBy: null,
    createdAt: Math.floor(at / 1000),
    at,
    driftDetection: false,
    stackLabels: null,
  });
  model.observe(run('root', 'run-root', 'FINISHED', 2_000), 2_000);
  let at = 3_000;
  for (let wave = 0; wave < 5; wave++) {
    const ready = model.takeReady(50);
    for (const { stackId } of ready) model.triggered(stackId, `run-${stackId}`, 'QUEUED', at / 1000, at);
    for (const { stackId } of ready.slice(0, wave < 4 ? 50 : 20))
      model.observe(run(stackId, `run-${stackId}`, 'FINISHED', (at += 7)), at);
  }
  return model;
}

describe('packSnapshot', () => {
  it('round-trips the carried state exactly, and the restored model goes on where it was', () => {
    const model = estateMidCascade();
    const snapshot = model.snapshot();
    const restored = unpackSnapshot(packSnapshot(snapshot)) as EstateSnapshot;
    expect(restored).toEqual(JSON.parse(JSON.stringify(snapshot)));
    const again = new EstateModel(options, restored);
    expect(again.ownInFlight()).toBe(model.ownInFlight());
    expect(again.ownInFlight()).toBe(30);
    expect(again.stackView('s2999')).toEqual(model.stackView('s2999'));
  });

  it('is a fraction of the JSON it carries', () => {
    const snapshot = estateMidCascade().snapshot();
    const json = JSON.stringify(snapshot).length;
    const packed = packSnapshot(snapshot).length;
    expect(packed).toBeLessThan(json / 4);
  });
});
