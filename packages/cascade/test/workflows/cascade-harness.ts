import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundle } from '@temporalio/worker';
import type { SpaceliftApi } from 'spacelift-client';
import { createCascadeWorker, workflowsEntryPath } from '../../src/worker/create-cascade-worker.js';

export { testOptions } from './test-options.js';

/** A Temporal client and worker factory on the shared dev server, one task queue per test file. */
export class CascadeHarness {
  private constructor(
    readonly taskQueue: string,
    readonly client: Client,
    private readonly connection: Connection,
    private readonly nativeConnection: NativeConnection,
    private readonly bundle: WorkflowBundle,
  ) {}

  /** `address`: the test run's shared dev server unless given (scripts pass their own). */
  static async create(taskQueue: string, given?: string): Promise<CascadeHarness> {
    // Imported only inside vitest: scripts (the history recorder) pass their own server.
    const address = given ?? (await import('vitest')).inject('temporalAddress');
    const connection = await Connection.connect({ address });
    const nativeConnection = await NativeConnection.connect({ address });
    // Bundled once per file: each test's worker reuses it.
    const bundle = await bundleWorkflowCode({ workflowsPath: workflowsEntryPath(), logger: quietLogger });
    return new CascadeHarness(taskQueue, new Client({ connection }), connection, nativeConnection, bundle);
  }

  /** Runs a worker for `api` while `fn` runs. */
  async withWorker<T>(api: SpaceliftApi, fn: () => Promise<T>, identity?: string): Promise<T> {
    const worker = await createCascadeWorker({
      connection: this.nativeConnection,
      taskQueue: this.taskQueue,
      api,
      identity,
      workflowBundle: this.bundle,
    });
    return worker.runUntil(fn);
  }

  async close(): Promise<void> {
    await this.connection.close();
    await this.nativeConnection.close();
  }
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
