/**
 * Records the histories `replay.test.ts` replays: runs the chain, diamond and failure cascades
 * on a fresh Temporal dev server against MockSpacelift and saves each cascade's history and
 * one of its run followers' as JSON next to this file. Run after an intended, versioned change:
 *   node --conditions=source --import tsx packages/cascade/test/histories/record-histories.ts
 */
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { NativeConnection } from '@temporalio/worker';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PARENT_WORKFLOW, cascadeWorkflowId, runFollowerWorkflowId } from '../../src/constants.js';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { createCascadeWorker } from '../../src/worker/create-cascade-worker.js';
import { testOptions } from '../workflows/test-options.js';
import { ScriptedSpacelift } from '../workflows/scripted-spacelift.js';
import { HISTORY_SCENARIOS } from './history-scenarios.js';

const dir = fileURLToPath(new URL('./', import.meta.url));
const dataDir = await mkdtemp(join(tmpdir(), 'record-histories-'));
const server = await startDevServer({ dataDir, uiPort: false });
const connection = await Connection.connect({ address: server.address });
const nativeConnection = await NativeConnection.connect({ address: server.address });
const client = new Client({ connection });
try {
  for (const [name, { root, stacks }] of Object.entries(HISTORY_SCENARIOS)) {
    const spacelift = new ScriptedSpacelift(stacks);
    const worker = await createCascadeWorker({
      connection: nativeConnection,
      taskQueue: `record-${name}`,
      api: spacelift.api,
    });
    const workflowId = cascadeWorkflowId(`root-${name}`);
    await worker.runUntil(
      client.workflow.execute(PARENT_WORKFLOW, {
        workflowId,
        taskQueue: `record-${name}`,
        args: [{ rootStackId: root, rootRunId: `root-${name}`, rootFinished: true, options: testOptions() }],
      }),
    );
    await writeFile(
      join(dir, `${name}-cascade.json`),
      historyToJSON(await client.workflow.getHandle(workflowId).fetchHistory()),
    );
    const firstRun = spacelift.events.find((e) => e.kind === 'triggered')!.runId;
    const follower = await client.workflow.getHandle(runFollowerWorkflowId(firstRun)).fetchHistory();
    await writeFile(join(dir, `${name}-follower.json`), historyToJSON(follower));
    console.log(`recorded ${name}`);
  }
} finally {
  await connection.close();
  await nativeConnection.close();
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
