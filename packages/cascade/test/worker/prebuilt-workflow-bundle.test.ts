/**
 * The workflow bundle made at build time (scripts/bundle-workflows.mjs, run by `npm run build`):
 * a worker started from dist loads it instead of bundling at start, never a stale one, and it
 * runs the coordinator as the bundle made at start does. (From dist end to end: the packages
 * install test starts the installed service and its demo cascade.)
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Coordinator } from '../../src/temporal/coordinator.js';
import {
  createCascadeWorker,
  prebuiltWorkflowBundlePath,
  workflowsEntryPath,
} from '../../src/worker/create-cascade-worker.js';
import { eventually } from '../workflows/estate-rig.js';
import { ScriptedSpacelift } from '../workflows/scripted-spacelift.js';
import { testOptions } from '../workflows/test-options.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/bundle-workflows.mjs', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'prebuilt-bundle-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('prebuiltWorkflowBundlePath', () => {
  it('is null when running from source: the worker bundles the TypeScript workflows at start', () => {
    expect(workflowsEntryPath()).toMatch(/\.ts$/);
    expect(prebuiltWorkflowBundlePath()).toBeNull();
  });

  it('takes the built bundle only when it is at least as new as the workflows entry', async () => {
    const entry = join(dir, 'index.js');
    const bundle = join(dir, 'workflow-bundle.js');
    await writeFile(entry, '');
    expect(prebuiltWorkflowBundlePath(bundle, entry)).toBeNull();
    await writeFile(bundle, '');
    await utimes(entry, 1_000, 1_000);
    await utimes(bundle, 1_000, 1_000);
    // npm pack gives every file the same time: fresh.
    expect(prebuiltWorkflowBundlePath(bundle, entry)).toBe(bundle);
    // tsc ran again after the bundle was made: stale, bundled at start instead.
    await utimes(entry, 2_000, 2_000);
    expect(prebuiltWorkflowBundlePath(bundle, entry)).toBeNull();
  });
});

describe('the bundle the build writes', () => {
  it('keeps its source map without the sources, and a worker loading it runs the coordinator', async () => {
    const codePath = join(dir, 'built-bundle.js');
    await promisify(execFile)(process.execPath, [SCRIPT, workflowsEntryPath(), codePath]);
    const code = await readFile(codePath, 'utf8');
    const comment = code.lastIndexOf('//# sourceMappingURL=data:');
    const map = JSON.parse(
      Buffer.from(code.slice(code.indexOf('base64,', comment) + 'base64,'.length), 'base64').toString(),
    ) as { mappings: string; sources: string[]; sourcesContent?: unknown };
    expect(map.sources.some((s) => s.endsWith('stack-dependency-chain.ts'))).toBe(true);
    expect(map.mappings.length).toBeGreaterThan(0);
    expect(map.sourcesContent).toBeUndefined();

    const address = inject('temporalAddress');
    const connection = await Connection.connect({ address });
    const native = await NativeConnection.connect({ address });
    try {
      const taskQueue = `prebuilt-bundle-${randomUUID()}`;
      const spacelift = new ScriptedSpacelift([{ id: 'vpc' }, { id: 'app', dependsOn: ['vpc'] }]);
      const client = new Client({ connection });
      const coordinator = new Coordinator(client, {
        estateId: `estate-${randomUUID()}`,
        taskQueue,
        options: testOptions(),
      });
      const worker = await createCascadeWorker({
        connection: native,
        taskQueue,
        api: spacelift.api,
        workflowBundle: { codePath },
      });
      const app = await worker.runUntil(async () => {
        await coordinator.configure();
        try {
          // The workflow from the file ran, and its activities read the graph.
          return await eventually(async () => (await coordinator.stack('app')) ?? undefined);
        } finally {
          await client.workflow.getHandle(coordinator.ref.estateId).terminate('test over');
        }
      });
      expect(app).toMatchObject({ state: 'idle' });
    } finally {
      await native.close();
      await connection.close();
    }
  }, 120_000);
});
