import { Client, Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startSimulator, type Simulator } from 'spacelift-simulator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiKeyIdentity } from '../../src/own-identity.js';
import { observationOf } from '../../src/activities/run-observation.js';
import { Coordinator } from '../../src/temporal/coordinator.js';
import { eventually } from '../workflows/estate-rig.js';
import { testOptions } from '../workflows/test-options.js';

const script = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

let simulator: Simulator;
let connection: Connection;
const taskQueue = `worker-crash-${randomUUID()}`;
const children: ChildProcess[] = [];

/** Starts a worker process and resolves once it polls. */
function startWorkerProcess(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script], {
    cwd: repoRoot,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TASK_QUEUE: taskQueue,
      SPACELIFT_BASE_URL: simulator.baseUrl,
      SPACELIFT_KEY_ID: simulator.apiKey.id,
      SPACELIFT_KEY_SECRET: simulator.apiKey.secret,
      CASCADE_IDENTITY: apiKeyIdentity(simulator.apiKey.id),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('worker ready')) resolve(child);
    });
    child.once('exit', (code) =>
      reject(new Error(`worker process exited (${code}) before it was ready: ${stderr}`)),
    );
  });
}

beforeAll(async () => {
  simulator = await startSimulator({
    stateDurationMs: 100,
    seed: {
      stacks: [
        { id: 'net' },
        { id: 'db', labels: ['dependsOn:net'] },
        { id: 'cache', labels: ['dependsOn:net'] },
        { id: 'app', labels: ['dependsOn:db', 'dependsOn:cache'] },
        { id: 'edge', labels: ['dependsOn:app'] },
      ],
    },
  });
  connection = await Connection.connect({ address: inject('temporalAddress') });
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await connection?.close();
  await simulator?.close();
});

describe('a worker killed mid-cascade', () => {
  it(
    'is replaced by another and the cascade completes, no stack triggered twice',
    { timeout: 120_000 },
    async () => {
      const first = await startWorkerProcess();
      // Kill the worker the moment Spacelift creates the `app` run: the trigger call's answer
      // may never reach it, so its retry must find that run instead of triggering another.
      let killedAt: string | null = null;
      const stopListening = simulator.store.onRunStateChange(({ run, transition }) => {
        if (run.stackId === 'app' && transition.stateVersion === 1 && killedAt === null) {
          first.kill('SIGKILL');
          killedAt = run.id;
        }
      });
      const client = new Client({ connection });
      const coordinator = new Coordinator(client, {
        estateId: `estate-${randomUUID()}`,
        taskQueue,
        options: testOptions({ pollIntervalMs: 200 }),
      });
      // A push to net; no webhooks here: the coordinator follows every run by polling.
      const push = simulator.store.triggerRun('net', { type: 'TRACKED', triggeredBy: 'alice@example.com' });
      await coordinator.observe(observationOf('net', push));
      await new Promise((resolve) => first.once('exit', resolve));
      expect(killedAt).not.toBeNull();
      await startWorkerProcess();
      const view = await eventually(async () => {
        const v = await coordinator.cascade(push.id);
        return v?.phase === 'completed' ? v : undefined;
      });
      stopListening();
      await client.workflow.getHandle(coordinator.ref.estateId).terminate('test over');

      for (const stack of ['db', 'cache', 'app', 'edge']) {
        const runs = simulator.store.stackRuns(stack)!;
        expect(runs, stack).toHaveLength(1);
        expect(runs[0]!.state).toBe('FINISHED');
        expect(view.stacks[stack]).toMatchObject({ state: 'finished', runId: runs[0]!.id });
      }
      expect(simulator.store.stackRuns('app')![0]!.id).toBe(killedAt);
      expect(simulator.store.stackRuns('net')).toHaveLength(1);
    },
  );
});
