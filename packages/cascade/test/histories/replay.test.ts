/**
 * Replays recorded cascade histories against today's workflow code: a change that would break
 * running cascades (non-determinism) fails here.
 *
 * Regenerate the recordings (after an intended, versioned change) with:
 *   RECORD_HISTORIES=1 npx vitest run packages/cascade/test/histories
 */
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARENT_WORKFLOW, cascadeWorkflowId, runFollowerWorkflowId } from '../../src/constants.js';
import type { CascadeResult } from '../../src/cascade-contract.js';
import { workflowsEntryPath } from '../../src/worker/create-cascade-worker.js';
import { CascadeHarness, cascadeInput } from '../workflows/cascade-harness.js';
import { ScriptedSpacelift, type StackSpec } from '../workflows/scripted-spacelift.js';

const dir = fileURLToPath(new URL('./', import.meta.url));
const recording = process.env.RECORD_HISTORIES === '1';

const scenarios: Record<string, { root: string; stacks: StackSpec[] }> = {
  chain: {
    root: 'net',
    stacks: [{ id: 'net' }, { id: 'db', dependsOn: ['net'] }, { id: 'app', dependsOn: ['db'] }],
  },
  diamond: {
    root: 'top',
    stacks: [
      { id: 'top' },
      { id: 'left', dependsOn: ['top'] },
      { id: 'right', dependsOn: ['top'] },
      { id: 'bottom', dependsOn: ['left', 'right'] },
    ],
  },
  failure: {
    root: 'root',
    stacks: [
      { id: 'root' },
      { id: 'mid', dependsOn: ['root'], outcome: 'FAILED' },
      { id: 'below', dependsOn: ['mid'] },
      { id: 'sibling', dependsOn: ['root'] },
    ],
  },
};

describe.runIf(recording)('recording histories', () => {
  let harness: CascadeHarness;
  beforeAll(async () => {
    harness = await CascadeHarness.create(`record-${randomUUID()}`);
  });
  afterAll(async () => harness.close());

  it.each(Object.keys(scenarios))('records the %s cascade and one of its run followers', async (name) => {
    const { root, stacks } = scenarios[name]!;
    const spacelift = new ScriptedSpacelift(stacks);
    const rootRunId = `root-${name}`;
    const workflowId = `${cascadeWorkflowId(rootRunId)}-${randomUUID()}`;
    await harness.withWorker(
      spacelift.api,
      () =>
        harness.client.workflow.execute(PARENT_WORKFLOW, {
          workflowId,
          taskQueue: harness.taskQueue,
          args: [cascadeInput(root, rootRunId)],
        }) as Promise<CascadeResult>,
    );
    const parent = await harness.client.workflow.getHandle(workflowId).fetchHistory();
    await writeFile(`${dir}/${name}-cascade.json`, historyToJSON(parent));
    const firstRun = spacelift.events.find((e) => e.kind === 'triggered')!.runId;
    const child = await harness.client.workflow.getHandle(runFollowerWorkflowId(firstRun)).fetchHistory();
    await writeFile(`${dir}/${name}-follower.json`, historyToJSON(child));
  });
});

describe('replaying recorded histories', () => {
  it('replays every recorded cascade and follower without non-determinism', async () => {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(
      expect.arrayContaining(['chain-cascade.json', 'diamond-cascade.json', 'failure-cascade.json']),
    );
    const histories = await Promise.all(
      files.map(async (file) => ({
        workflowId: file,
        history: historyFromJSON(JSON.parse(await readFile(`${dir}/${file}`, 'utf8'))),
      })),
    );
    const results = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: workflowsEntryPath() },
      histories,
    )) {
      results.push(result);
    }
    expect(results.map((r) => [r.workflowId, r.error?.message ?? null])).toEqual(files.map((f) => [f, null]));
  });
});
