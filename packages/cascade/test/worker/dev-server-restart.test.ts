import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { observationOf } from '../../src/activities/run-observation.js';
import { Coordinator } from '../../src/temporal/coordinator.js';
import { freePort, startDevServer } from '../../src/temporal/dev-server.js';
import { createCascadeWorker } from '../../src/worker/create-cascade-worker.js';
import { testOptions } from '../workflows/test-options.js';
import { ScriptedSpacelift } from '../workflows/scripted-spacelift.js';

async function eventually<T>(check: () => T | undefined): Promise<T> {
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the Temporal dev server restarted mid-cascade', () => {
  it(
    'keeps the coordinator in its SQLite file and completes the cascade after the restart',
    { timeout: 120_000 },
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'cascade-restart-'));
      const port = await freePort();
      let server = await startDevServer({ dataDir, port, uiPort: false });
      const spacelift = new ScriptedSpacelift(
        [
          { id: 'root' },
          { id: 'a', dependsOn: ['root'] },
          { id: 'b', dependsOn: ['a'] },
          { id: 'c', dependsOn: ['b'] },
        ],
        { autoFinish: false },
      );
      const nativeConnection = await NativeConnection.connect({ address: server.address });
      const connection = await Connection.connect({ address: server.address });
      const client = new Client({ connection });
      const worker = await createCascadeWorker({
        connection: nativeConnection,
        taskQueue: `restart-${randomUUID()}`,
        api: spacelift.api,
      });
      const coordinator = new Coordinator(client, {
        estateId: `estate-${randomUUID()}`,
        taskQueue: worker.options.taskQueue,
        options: testOptions({ pollIntervalMs: 200 }),
      });
      try {
        const view = await worker.runUntil(async () => {
          const push = spacelift.mock.store.triggerRun('root', {
            type: 'TRACKED',
            triggeredBy: 'alice@example.com',
          });
          await coordinator.observe(observationOf('root', push));
          spacelift.mock.finishRun('root', push.id);
          const aRun = await eventually(() => spacelift.runsOf('a')[0]?.id);
          await server.stop();
          // Spacelift goes on while Temporal is down: the run ends unobserved.
          spacelift.mock.finishRun('a', aRun);
          server = await startDevServer({ dataDir, port, uiPort: false });
          const bRun = await eventually(() => spacelift.runsOf('b')[0]?.id);
          spacelift.mock.finishRun('b', bRun);
          const cRun = await eventually(() => spacelift.runsOf('c')[0]?.id);
          spacelift.mock.finishRun('c', cRun);
          for (;;) {
            const v = await coordinator.cascade(push.id).catch(() => null);
            if (v?.phase === 'completed') return v;
            await new Promise((r) => setTimeout(r, 50));
          }
        });
        expect(Object.keys(view.stacks).sort()).toEqual(['a', 'b', 'c']);
        expect(spacelift.triggeredStacks()).toEqual(['root', 'a', 'b', 'c']);
      } finally {
        await connection.close();
        await nativeConnection.close();
        await server.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  );
});
