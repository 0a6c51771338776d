/**
 * Records the histories `replay.test.ts` replays: runs the scenarios of `history-scenarios.ts`
 * on a fresh Temporal dev server against MockSpacelift and saves the estate coordinator's
 * history as JSON next to this file. Recordings already there are kept (they are what running
 * coordinators of older code look like): only scenarios without one are recorded, unless named.
 *   node --conditions=source --import tsx packages/cascade/test/histories/record-histories.ts [name...]
 */
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { CascadeHarness } from '../workflows/cascade-harness.js';
import { EstateRig } from '../workflows/estate-rig.js';
import { HISTORY_SCENARIOS } from './history-scenarios.js';

const dir = fileURLToPath(new URL('./', import.meta.url));
const named = process.argv.slice(2);
const scenarios = Object.entries(HISTORY_SCENARIOS).filter(([name]) =>
  named.length > 0 ? named.includes(name) : !existsSync(join(dir, `${name}-coordinator.json`)),
);
const dataDir = await mkdtemp(join(tmpdir(), 'record-histories-'));
const server = await startDevServer({ dataDir, uiPort: false });
try {
  for (const [name, { root, stacks, script }] of scenarios) {
    const harness = await CascadeHarness.create(`record-${name}`, server.address);
    const rig = new EstateRig(harness, stacks);
    let history = '';
    rig.beforeTerminate = async () => {
      history = historyToJSON(
        await harness.client.workflow.getHandle(rig.coordinator.ref.estateId).fetchHistory(),
      );
    };
    await rig.run(async () => {
      if (script) return script(rig);
      const run = rig.push(root, null);
      rig.finish(run);
      await rig.settled(run.id);
    });
    await writeFile(join(dir, `${name}-coordinator.json`), history);
    await harness.close();
    console.log(`recorded ${name}`);
  }
} finally {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
