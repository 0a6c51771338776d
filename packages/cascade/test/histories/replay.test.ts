/**
 * Replays recorded coordinator histories against today's workflow code: a change that would break
 * cascades already running (non-determinism) fails here. Regenerate the recordings after an
 * intended, versioned change with `record-histories.ts` (see its header).
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workflowsEntryPath } from '../../src/worker/create-cascade-worker.js';
import { HISTORY_SCENARIOS } from './history-scenarios.js';

const dir = fileURLToPath(new URL('./', import.meta.url));

describe('replaying recorded histories', () => {
  it("replays every recorded estate coordinator's history without non-determinism", async () => {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    const expected = Object.keys(HISTORY_SCENARIOS).map((n) => `${n}-coordinator.json`);
    expect(files).toEqual(expected.sort());
    const histories = await Promise.all(
      files.map(async (file) => ({
        workflowId: file,
        history: historyFromJSON(JSON.parse(await readFile(`${dir}/${file}`, 'utf8'))),
      })),
    );
    const results: Array<[string, string | null]> = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: workflowsEntryPath() },
      histories,
    )) {
      results.push([result.workflowId, result.error?.message ?? null]);
    }
    expect(results).toEqual(files.map((f) => [f, null]));
  });
});
