/**
 * The product path of the cascade bench, one fresh estate per case: simulator -> signed
 * webhooks -> receiver (buildWebhookServer + TemporalCascadeGateway) -> Temporal -> worker
 * (createCascadeWorker, identity api::<key id>) -> simulator API. The dev server, the
 * connections and the workflow bundle are shared by every case; each case gets its own
 * simulator, receiver, task queue, worker and estate id, and terminates its coordinator.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  type WorkflowBundle,
} from '@temporalio/worker';
import { pino } from 'pino';
import { Spacelift, apiKeyIdentity } from 'spacelift-client';
import type { CascadeOptions } from '../../packages/cascade/src/cascade-contract.js';
import { runStateSignal } from '../../packages/cascade/src/coordinator-contract.js';
import { TemporalCascadeGateway } from '../../packages/cascade/src/temporal/cascade-gateway.js';
import { Coordinator } from '../../packages/cascade/src/temporal/coordinator.js';
import { startDevServer, type DevServer } from '../../packages/cascade/src/temporal/dev-server.js';
import { buildWebhookServer, listenWebhookServer } from '../../packages/cascade/src/webhook/server.js';
import {
  createCascadeWorker,
  workflowsEntryPath,
} from '../../packages/cascade/src/worker/create-cascade-worker.js';
import type { BenchStack } from './graph-shapes.js';
import { ThreadedSimulator } from './threaded-simulator.js';

const RUN_STATE_SIGNAL = runStateSignal.name;

const SECRET = 'bench-cascade-webhook-secret';
/** The simulator's API key: the receiver knows the cascade's own runs by it, as in production. */
const SIM_KEY = { id: 'bench-cascade', secret: randomUUID() };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One coordinator run of a workflow id's continue-as-new chain. */
export interface CoordinatorRun {
  runId: string;
  historyLength: number;
  /** Bytes of the run's input (the carried snapshot for every run but the first). */
  inputBytes: number;
}

/** What a case sees of its estate. */
export interface Estate {
  /** "Spacelift", in a thread of its own. */
  sim: ThreadedSimulator;
  coordinator: Coordinator;
  identity: string;
  /** API calls per operation up to the moment the coordinator had read the graph. */
  callsWhenReady: Record<string, number>;
}

/** The shared part: a Temporal dev server with its own data folder, connections, one bundle. */
export class BenchTemporal {
  private constructor(
    private readonly server: DevServer,
    private readonly dataDir: string,
    readonly client: Client,
    private readonly connection: Connection,
    private readonly nativeConnection: NativeConnection,
    private readonly bundle: WorkflowBundle,
  ) {}

  static async start(): Promise<BenchTemporal> {
    // Workers starting and stopping per case log at info; the bench prints its own lines.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const dataDir = await mkdtemp(join(tmpdir(), 'bench-cascade-temporal-'));
    const server = await startDevServer({ dataDir, uiPort: false });
    const connection = await Connection.connect({
      address: server.address,
      // Whole histories are read back: a page holding carried snapshots passes grpc-js's 4 MB default.
      channelArgs: { 'grpc.max_receive_message_length': 64 * 1024 * 1024 },
    });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const bundle = await bundleWorkflowCode({ workflowsPath: workflowsEntryPath(), logger: quietLogger });
    return new BenchTemporal(
      server,
      dataDir,
      new Client({ connection }),
      connection,
      nativeConnection,
      bundle,
    );
  }

  /**
   * Runs `fn` against a fresh estate of `stacks`: the coordinator is started (`configure()`)
   * and has read the graph (a `stack` query answers) before `fn` runs.
   */
  async withEstate<T>(
    stacks: BenchStack[],
    settings: { options: CascadeOptions; stateDurationMs: number },
    fn: (estate: Estate) => Promise<T>,
  ): Promise<T> {
    const estateId = `bench-estate-${randomUUID()}`;
    const taskQueue = `bench-cascade-${randomUUID()}`;
    const receiver = buildWebhookServer({
      gateway: new TemporalCascadeGateway({ connection: this.connection }),
      secrets: [SECRET],
      estateId,
      taskQueue,
      cascadeOptions: settings.options,
      ownIdentity: apiKeyIdentity(SIM_KEY.id),
      // Production logs at info; written to /dev/null so the terminal does not slow the run.
      logger: pino({ level: 'info' }, pino.destination('/dev/null')),
    });
    const url = await listenWebhookServer(receiver, { port: 0, host: '127.0.0.1' });
    const sim = await ThreadedSimulator.start({
      stateDurationMs: settings.stateDurationMs,
      stacks,
      apiKey: SIM_KEY,
      webhooks: { urls: [`${url}/webhook`], secret: SECRET },
    });
    const identity = apiKeyIdentity(sim.apiKey.id);
    const api = new Spacelift({ baseUrl: sim.baseUrl, keyId: sim.apiKey.id, keySecret: sim.apiKey.secret });
    const coordinator = new Coordinator(this.client, { estateId, taskQueue, options: settings.options });
    try {
      const worker = await createCascadeWorker({
        connection: this.nativeConnection,
        taskQueue,
        api,
        identity,
        workflowBundle: this.bundle,
      });
      return await worker.runUntil(async () => {
        await coordinator.configure();
        while ((await coordinator.stack(stacks[0]!.id).catch(() => null)) === null) await sleep(50);
        return fn({ sim, coordinator, identity, callsWhenReady: (await sim.stats()).apiCalls });
      });
    } finally {
      await sim.close();
      await receiver.close();
      // Last, so no late delivery starts the coordinator again on a task queue nobody polls.
      await this.client.workflow.getHandle(estateId).terminate('bench case over');
    }
  }

  /** Every run of the coordinator's continue-as-new chain, oldest first, with its history. */
  private async chain(estateId: string) {
    const runs = [];
    for await (const info of this.client.workflow.list({ query: `WorkflowId = '${estateId}'` })) {
      const handle = this.client.workflow.getHandle(estateId, info.runId);
      const { historyLength, startTime } = await handle.describe();
      runs.push({ runId: info.runId, historyLength, startedAt: startTime.getTime(), handle });
    }
    runs.sort((a, b) => a.startedAt - b.startedAt);
    return Promise.all(
      runs.map(async (run) => ({ ...run, events: (await run.handle.fetchHistory()).events ?? [] })),
    );
  }

  /** Every run of the coordinator's continue-as-new chain, oldest first. */
  async coordinatorRuns(estateId: string): Promise<CoordinatorRun[]> {
    return (await this.chain(estateId)).map(({ runId, historyLength, events }) => ({
      runId,
      historyLength,
      inputBytes: (events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? []).reduce(
        (bytes, p) => bytes + (p.data?.length ?? 0),
        0,
      ),
    }));
  }

  /**
   * The order in which the coordinator learnt things, from its histories (one ordinal across
   * the continue-as-new chain): per Spacelift run id, its first run-state signal, and for the
   * runs it triggered, when it scheduled the trigger.
   */
  async decisionOrder(
    estateId: string,
  ): Promise<{ firstSignal: Map<string, number>; triggered: Map<string, number> }> {
    const firstSignal = new Map<string, number>();
    const triggered = new Map<string, number>();
    const json = (data: Uint8Array | null | undefined) =>
      JSON.parse(Buffer.from(data ?? []).toString('utf8')) as { runId: string };
    (await this.chain(estateId)).forEach(({ events }, i) => {
      const at = (eventId: unknown) => i * 1e9 + Number(eventId);
      for (const e of events) {
        const signal = e.workflowExecutionSignaledEventAttributes;
        // One signal carries the deliveries that came together.
        if (signal?.signalName === RUN_STATE_SIGNAL) {
          for (const payload of signal.input?.payloads ?? []) {
            const { runId } = json(payload.data);
            if (!firstSignal.has(runId)) firstSignal.set(runId, at(e.eventId));
          }
        }
        const done = e.activityTaskCompletedEventAttributes;
        if (!done) continue;
        // Event ids count from 1, in order.
        const scheduled = events[Number(done.scheduledEventId) - 1];
        if (scheduled?.activityTaskScheduledEventAttributes?.activityType?.name === 'triggerStackRun') {
          triggered.set(json(done.result?.payloads?.[0]?.data).runId, at(scheduled.eventId));
        }
      }
    });
    return { firstSignal, triggered };
  }

  async close(): Promise<void> {
    await this.connection.close();
    await this.nativeConnection.close();
    await this.server.stop();
    await rm(this.dataDir, { recursive: true, force: true });
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
