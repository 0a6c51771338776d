/**
 * A cascade worker in its own process, for tests that kill it: talks to Temporal and to the
 * simulator over the network, so all state lives outside it. Prints `worker ready` once polling.
 * Env: TEMPORAL_ADDRESS, TASK_QUEUE, SPACELIFT_BASE_URL, SPACELIFT_KEY_ID, SPACELIFT_KEY_SECRET, CASCADE_IDENTITY.
 */
import { NativeConnection } from '@temporalio/worker';
import { Spacelift } from 'spacelift-client';
import { createCascadeWorker } from '../../src/worker/create-cascade-worker.js';

const env = process.env;
const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS! });
const worker = await createCascadeWorker({
  connection,
  taskQueue: env.TASK_QUEUE!,
  api: new Spacelift(),
  identity: env.CASCADE_IDENTITY,
});
const running = worker.run();
console.log('worker ready');
await running;
