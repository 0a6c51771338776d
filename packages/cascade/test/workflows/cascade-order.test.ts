import { WorkflowFailedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CascadeResult } from '../../src/cascade-contract.js';
import { PARENT_WORKFLOW, cascadeWorkflowId } from '../../src/constants.js';
import { CascadeHarness, cascadeInput } from './cascade-harness.js';
import { ScriptedSpacelift, type StackSpec } from './scripted-spacelift.js';

let harness: CascadeHarness;
beforeAll(async () => {
  harness = await CascadeHarness.create(`cascade-order-${randomUUID()}`);
});
afterAll(async () => harness.close());

async function cascade(stacks: StackSpec[], root: string, overrides = {}) {
  const spacelift = new ScriptedSpacelift(stacks);
  const rootRunId = `root-${randomUUID()}`;
  const result = await harness.withWorker(
    spacelift.api,
    () =>
      harness.client.workflow.execute(PARENT_WORKFLOW, {
        workflowId: cascadeWorkflowId(rootRunId),
        taskQueue: harness.taskQueue,
        args: [cascadeInput(root, rootRunId, overrides)],
      }) as Promise<CascadeResult>,
  );
  return { spacelift, result, rootRunId };
}

describe('stackDependencyChainWorkflow', () => {
  it('runs a chain in order, each stack once, never the root', async () => {
    const { spacelift, result } = await cascade(
      [{ id: 'net' }, { id: 'db', dependsOn: ['net'] }, { id: 'app', dependsOn: ['db'] }, { id: 'other' }],
      'net',
    );
    expect(spacelift.triggeredStacks()).toEqual(['db', 'app']);
    expect(spacelift.indexOf('ended', 'db')).toBeLessThan(spacelift.indexOf('triggered', 'app'));
    expect(result.phase).toBe('completed');
    expect(Object.keys(result.stacks)).toEqual(['db', 'app']);
    const dbRun = spacelift.runsOf('db')[0]!.id;
    expect(result.stacks.db).toEqual({
      state: 'finished',
      runId: dbRun,
      runUrl: `https://acme.app.spacelift.io/stack/db/run/${dbRun}`,
    });
    expect(spacelift.calls.searchStacks).toBe(1);
  });

  it('fans out in parallel, up to maxParallel at once', async () => {
    const leaves = Array.from({ length: 6 }, (_, i) => ({ id: `leaf-${i}`, dependsOn: ['hub'] }));
    for (const maxParallel of [6, 2]) {
      const spacelift = new ScriptedSpacelift([{ id: 'hub' }, ...leaves], { autoFinish: false });
      const rootRunId = `root-${randomUUID()}`;
      await harness.withWorker(spacelift.api, async () => {
        const handle = await harness.client.workflow.start(PARENT_WORKFLOW, {
          workflowId: cascadeWorkflowId(rootRunId),
          taskQueue: harness.taskQueue,
          args: [cascadeInput('hub', rootRunId, { maxParallel })],
        });
        // Finish runs only while `maxParallel` of them are running at once: this stalls (and
        // the test times out) unless the cascade really runs that many in parallel.
        let finished = 0;
        while (finished < leaves.length) {
          const open = spacelift.events.filter((e) => e.kind === 'triggered').length - finished;
          if (open === Math.min(maxParallel, leaves.length - finished)) {
            const next = spacelift.events.filter((e) => e.kind === 'triggered')[finished]!;
            spacelift.mock.finishRun(next.stackId, next.runId);
            finished++;
          }
          await new Promise((r) => setTimeout(r, 10));
        }
        await handle.result();
      });
      expect(spacelift.triggeredStacks().sort()).toEqual(leaves.map((l) => l.id).sort());
      expect(spacelift.maxRunning).toBe(maxParallel);
    }
  });

  it('runs a diamond bottom once, after both parents finished', async () => {
    const { spacelift, result } = await cascade(
      [
        { id: 'top' },
        { id: 'left', dependsOn: ['top'] },
        { id: 'right', dependsOn: ['top'] },
        { id: 'bottom', dependsOn: ['left', 'right'] },
      ],
      'top',
    );
    expect(spacelift.triggeredStacks().filter((s) => s === 'bottom')).toHaveLength(1);
    const bottomTriggered = spacelift.indexOf('triggered', 'bottom');
    expect(spacelift.indexOf('ended', 'left')).toBeLessThan(bottomTriggered);
    expect(spacelift.indexOf('ended', 'right')).toBeLessThan(bottomTriggered);
    expect(Object.values(result.stacks).map((s) => s.state)).toEqual(['finished', 'finished', 'finished']);
  });

  it('skips what is downstream of a failed run, with the reason, and lets siblings go on', async () => {
    const { spacelift, result } = await cascade(
      [
        { id: 'root' },
        { id: 'mid', dependsOn: ['root'], outcome: 'FAILED' },
        { id: 'below', dependsOn: ['mid'] },
        { id: 'deeper', dependsOn: ['below'] },
        { id: 'sibling', dependsOn: ['root'] },
        { id: 'after-sibling', dependsOn: ['sibling'] },
      ],
      'root',
    );
    expect(spacelift.triggeredStacks().sort()).toEqual(['after-sibling', 'mid', 'sibling']);
    const midRun = spacelift.runsOf('mid')[0]!.id;
    expect(result.stacks.mid).toMatchObject({ state: 'failed', runId: midRun, runState: 'FAILED' });
    const reason = `upstream mid failed: run ${midRun} ended FAILED`;
    expect(result.stacks.below).toEqual({ state: 'skipped', reason });
    expect(result.stacks.deeper).toEqual({ state: 'skipped', reason });
    expect(result.stacks['after-sibling']).toMatchObject({ state: 'finished' });
    expect(result.phase).toBe('completed');
  });

  it('refuses a cycle before triggering anything, naming its stacks', async () => {
    const spacelift = new ScriptedSpacelift([
      { id: 'root' },
      { id: 'a', dependsOn: ['root', 'c'] },
      { id: 'b', dependsOn: ['a'] },
      { id: 'c', dependsOn: ['b'] },
      { id: 'free', dependsOn: ['root'] },
    ]);
    const rootRunId = `root-${randomUUID()}`;
    const handle = await harness.client.workflow.start(PARENT_WORKFLOW, {
      workflowId: cascadeWorkflowId(rootRunId),
      taskQueue: harness.taskQueue,
      args: [cascadeInput('root', rootRunId)],
    });
    const [err, status] = await harness.withWorker(spacelift.api, async () => [
      await handle.result().then(
        () => null,
        (e: unknown) => e,
      ),
      await handle.query<CascadeResult>('cascadeStatus'),
    ]);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(((err as WorkflowFailedError).cause as Error).message).toContain('a -> b -> c -> a');
    expect(spacelift.triggeredStacks()).toEqual([]);
    expect(status.phase).toBe('failed');
    expect(status.error).toContain('a -> b -> c -> a');
  });

  it('reports labels pointing at unknown stacks and goes on', async () => {
    const { spacelift, result } = await cascade(
      [{ id: 'root' }, { id: 'app', dependsOn: ['root', 'ghost'] }],
      'root',
    );
    expect(spacelift.triggeredStacks()).toEqual(['app']);
    expect(result.unknownDependencies).toEqual([{ stackId: 'app', dependsOn: 'ghost' }]);
  });

  it('gives dependents the configured run type', async () => {
    const { spacelift } = await cascade([{ id: 'root' }, { id: 'app', dependsOn: ['root'] }], 'root', {
      runType: 'PROPOSED',
    });
    expect(spacelift.runsOf('app')[0]!.type).toBe('PROPOSED');
  });
});
