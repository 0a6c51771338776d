/**
 * The randomized fault soak: `spacelift-cascade start` (embedded Temporal, worker, receiver)
 * against the simulator with a realistic estate, while a seeded schedule pushes changes and
 * injects faults; then, with faults off and everything quiet, every stack is checked against
 * the cascade contract from Spacelift's side (the simulator's run records) and the
 * coordinator's view. Used by `bench/soak/run.ts` (10 minutes) and a 60 s test.
 */
import { apiKeyIdentity } from 'spacelift-client';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { seededRandom, startSimulator, type Simulator } from 'spacelift-simulator';
import type { EstateView, StackView } from '../../packages/cascade/src/cascade-contract.js';
import { accountOf, defaultEstateId } from '../../packages/cascade/src/account.js';
import { estateQuery } from '../../packages/cascade/src/coordinator-contract.js';
import { freePort } from '../../packages/cascade/src/temporal/dev-server.js';
import { checkOverlappingChanges, type OracleReport, type OracleRun } from '../cascade/contract-oracle.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../packages/cascade/src/cli.ts', import.meta.url));
/** The built bin (`npm run build`), as a deployment runs it: its workflows come bundled. */
const BUILT_CLI = fileURLToPath(new URL('../../packages/cascade/dist/cli.js', import.meta.url));
const SECRET = 'soak-webhook-secret';
const KEY = { id: 'soak-key', secret: 'soak-key-secret-not-a-real-one' };
/** The reconciliation period the service runs with here (and the knowable-lead bound below). */
/** The reconciliation interval the soak's service runs with (SOAK_RECONCILE_MS; the service's default is 60 s). */
const RECONCILE_MS = Number(process.env.SOAK_RECONCILE_MS ?? 5_000);
/** A run younger than this may still be unknown to the coordinator (deliveries dropped or held back, next pass not yet). */
const KNOWABLE_MS = RECONCILE_MS + 3_000;
/** How often the service's memory and handles are read. */
const SAMPLE_EVERY_MS = 30_000;

export type FaultKind =
  | 'duplicate-and-shuffle'
  | 'drop-deliveries'
  | 'api-500-burst'
  | 'api-429-burst'
  | 'kill-dev-server'
  | 'kill-service'
  | 'temporal-unreachable';
export const FAULT_KINDS: readonly FaultKind[] = [
  'duplicate-and-shuffle',
  'drop-deliveries',
  'api-500-burst',
  'api-429-burst',
  'kill-dev-server',
  'kill-service',
  'temporal-unreachable',
];

export interface SoakOptions {
  seed: number;
  durationMs: number;
  /** Longest Temporal outage (SIGSTOP of the dev server); the figure is 60 s. */
  maxOutageMs: number;
  dataDir: string;
  /**
   * A fault injected once more after the last push, so the time to quiet measures recovery from
   * it alone (pushes otherwise go on to the end of the run, past the last fault).
   */
  lastFault?: FaultKind;
  /** Run the built bin instead of the source through tsx (whose start bundles the workflows). */
  built?: boolean;
  log?: (line: string) => void;
}

/** Faults of the service's own parts (the rest are Spacelift's: lost, doubled or refused calls). */
export const OWN_PART_FAULTS: ReadonlySet<FaultKind> = new Set([
  'kill-dev-server',
  'kill-service',
  'temporal-unreachable',
]);

export interface ProcessSample {
  at: number;
  pid: number;
  rssMb: number;
  openHandles: number;
}

export interface SoakReport {
  seed: number;
  durationMs: number;
  stacks: number;
  pushes: number;
  changes: number;
  runs: number;
  ownRuns: number;
  faults: Record<FaultKind, number>;
  jwtTtlSeconds: number;
  /** Own runs created while an upstream run the coordinator could have known (older than a reconciliation period) was in flight. */
  outOfOrder: number;
  /** The same, counting upstream runs whose deliveries may all have been dropped a moment before. */
  outOfOrderAny: number;
  /** Own runs with no need since the stack's previous run, that the coordinator could have avoided. */
  duplicates: number;
  /**
   * Own runs after another source's run the coordinator could not count: created in the same
   * second as the change (whole-second run times; the coordinator runs once more rather than
   * risk a stale apply), or too recently for any delivery or pass to have told it (its
   * deliveries dropped or held back by the faults).
   */
  rerunsAfterUnknowableRuns: number;
  duplicateRuns: Array<{ runId: string; stackId: string }>;
  /** For each lost or duplicated stack: what the coordinator shows, its runs and its upstreams' runs (to replay a failure). */
  details: Record<string, { view: StackView | null; runs: OracleRun[]; upstreamRuns: OracleRun[] }>;
  /** Stacks whose last need got no run, and that the coordinator does not show blocked or cyclic. */
  lost: string[];
  /** Stacks the coordinator shows waiting, triggering, queued or running after the quiet wait. */
  stuck: string[];
  /** Stacks shown blocked without a reason. */
  blockedWithoutReason: string[];
  blocked: number;
  cyclic: number;
  /** From the last fault's end to quiet. */
  timeToQuietMs: number;
  /** The last fault, and whether it was one of the service's own parts failing. */
  lastFault: { kind: FaultKind; ownPart: boolean } | null;
  /**
   * Whether the simulator disabled the webhook (10 failed deliveries in a row, as Spacelift
   * does, e.g. while the whole service was down): cascades then live on polls and passes alone,
   * and the contract must hold all the same.
   */
  webhookDisabled: boolean;
  /** From the last push to quiet (pushes go on after the last fault, to the end of the run). */
  timeToQuietAfterLastPushMs: number;
  /** The service's memory and open handles: every 30 s, and first and last of each process lifetime, in time order. */
  samples: ProcessSample[];
  oracle: Omit<OracleReport, 'startedInFlight' | 'redundant'>;
}

export interface SoakStack {
  id: string;
  labels: string[];
  outcome?: 'FAILED';
}

/**
 * About 320 stacks: 12 layers of 25, each depending on two stacks of the layer above
 * (diamonds everywhere), two small cycles hanging off layer 3, and three stacks that always fail.
 */
export function soakEstate(random: () => number): SoakStack[] {
  const layers = 12;
  const width = 25;
  const id = (layer: number, i: number) => `l${layer}-s${i}`;
  const stacks: SoakStack[] = [];
  for (let layer = 0; layer < layers; layer++) {
    for (let i = 0; i < width; i++) {
      const labels =
        layer === 0 ? [] : [`dependsOn:${id(layer - 1, i)}`, `dependsOn:${id(layer - 1, (i + 1) % width)}`];
      stacks.push({ id: id(layer, i), labels });
    }
  }
  for (const n of [0, 1]) {
    stacks.push({ id: `cycle${n}-a`, labels: [`dependsOn:${id(3, n * 7)}`, `dependsOn:cycle${n}-b`] });
    stacks.push({ id: `cycle${n}-b`, labels: [`dependsOn:cycle${n}-a`] });
    stacks.push({ id: `cycle${n}-child`, labels: [`dependsOn:cycle${n}-b`] });
  }
  for (let n = 0; n < 3; n++) {
    const victim = stacks[width * (4 + n * 2) + Math.floor(random() * width)]!;
    victim.outcome = 'FAILED';
  }
  return stacks;
}

const upstreamsOf = (stacks: SoakStack[]) =>
  new Map(stacks.map((s) => [s.id, s.labels.map((l) => l.slice('dependsOn:'.length))]));

/** The service: `spacelift-cascade start` in its own process group (killed as a whole, as systemd would). */
class ServiceProcess {
  child: ChildProcess | null = null;
  starts = 0;
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
    private readonly built: boolean,
  ) {}

  async start(): Promise<void> {
    const log = openSync(this.logFile, 'a');
    const child = spawn(
      process.execPath,
      this.built
        ? [BUILT_CLI, 'start', '--no-demo']
        : ['--conditions=source', '--import', 'tsx', CLI, 'start', '--no-demo'],
      {
        cwd: REPO,
        env: this.env,
        stdio: ['ignore', 'pipe', log],
        detached: true,
      },
    );
    closeSync(log);
    this.child = child;
    this.starts++;
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    const deadline = Date.now() + 120_000;
    while (!out.includes('spacelift-cascade is ready')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        this.killGroup();
        throw new Error(
          `the service did not start:\n${out}\n${readFileSync(this.logFile, 'utf8').slice(-3000)}`,
        );
      }
      await sleep(100);
    }
  }

  killGroup(signal: NodeJS.Signals = 'SIGKILL'): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => this.killGroup(), 20_000);
    await exited;
    clearTimeout(timer);
    this.killGroup();
  }
}

async function devServerPid(dataDir: string): Promise<number | null> {
  for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(`${dataDir}/temporal/temporal.sqlite`)) return Number(pid);
  }
  return null;
}

async function sample(pid: number): Promise<ProcessSample | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  if (!status) return null;
  const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  return { at: Date.now(), pid, rssMb: Math.round(rssKb / 102.4) / 10, openHandles: fds.length };
}

/** Runs the soak; never throws for a contract violation (the report says), only for a broken setup. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const stacks = soakEstate(random);
  const upstreams = upstreamsOf(stacks);
  const jwtTtlSeconds = Math.max(20, Math.round(options.durationMs / 4000));
  const [webhookPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const simulator: Simulator = await startSimulator({
    seed: { stacks },
    apiKey: KEY,
    stateDurationMs: 25,
    jwtTtlSeconds,
    webhooks: { urls: [`http://127.0.0.1:${webhookPort}/webhook`], secret: SECRET, retryBackoffMs: 1_000 },
    faults: { randomSeed: options.seed },
  });
  const runs = new Map<string, OracleRun>();
  simulator.store.onRunStateChange(({ run, transition }) => {
    const known = runs.get(run.id);
    if (!known) {
      runs.set(run.id, {
        runId: run.id,
        stackId: run.stackId,
        createdAt: Date.now(),
        endedAt: null,
        endState: null,
        own: run.triggeredBy === apiKeyIdentity(KEY.id),
      });
    }
    if (transition.terminal) {
      const r = runs.get(run.id)!;
      r.endedAt = Date.now();
      r.endState = transition.state;
    }
  });
  const service = new ServiceProcess(
    {
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          ([k]) => !/^(VITEST|SPACELIFT_|TEMPORAL_|CASCADE_|SIMULATOR_)/.test(k),
        ),
      ),
      SPACELIFT_BASE_URL: simulator.baseUrl,
      SPACELIFT_KEY_ID: KEY.id,
      SPACELIFT_KEY_SECRET: KEY.secret,
      SPACELIFT_WEBHOOK_SECRET: SECRET,
      CASCADE_DATA_DIR: options.dataDir,
      PORT: String(webhookPort),
      HOST: '127.0.0.1',
      CASCADE_ADMIN_PORT: '0',
      TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      CASCADE_RECONCILE_INTERVAL_MS: String(RECONCILE_MS),
      CASCADE_POLL_INTERVAL_MS: '3000',
      CASCADE_MAX_PARALLEL: '20',
      CASCADE_TEMPORAL_MAX_RESTARTS: '20',
      LOG_LEVEL: 'info',
    },
    `${options.dataDir}/service.log`,
    options.built ?? false,
  );
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const samples: ProcessSample[] = [];
  let sampler: NodeJS.Timeout | undefined;
  let pushes = 0;
  let lastFaultEnd = Date.now();
  let lastPushAt = Date.now();
  try {
    await service.start();
    const first = await sample(service.child!.pid!);
    if (first) samples.push(first);
    sampler = setInterval(() => {
      const pid = service.child?.pid;
      if (pid) void sample(pid).then((s) => s && samples.push(s));
    }, SAMPLE_EVERY_MS);
    log(`soak seed ${options.seed}: ${stacks.length} stacks, ${options.durationMs / 1000} s`);

    // The schedule: every fault kind at least once, spread over the run, in a seeded order.
    const kinds = [...FAULT_KINDS, ...FAULT_KINDS.filter(() => options.durationMs > 120_000)];
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
    }
    const start = Date.now();
    const slot = (options.durationMs * 0.8) / kinds.length;
    const pushing = (async () => {
      while (Date.now() - start < options.durationMs) {
        const stack = stacks[Math.floor(random() * stacks.length)]!;
        const targets = [stack.id];
        // Sometimes one commit changes a stack and its upstream together.
        const up = upstreams.get(stack.id)?.[0];
        if (up && random() < 0.25) targets.push(up);
        for (const id of targets) simulator.store.triggerRun(id, { type: 'TRACKED', triggeredBy: null });
        pushes++;
        lastPushAt = Date.now();
        await sleep(400 + random() * 1600);
      }
    })();
    for (let i = 0; i < kinds.length; i++) {
      await sleep(Math.max(0, start + slot * (i + 0.5) - Date.now()));
      const kind = kinds[i]!;
      faults[kind]++;
      log(`fault ${kind}`);
      await inject(kind);
      lastFaultEnd = Date.now();
    }
    await pushing;
    let lastFault: FaultKind | null = kinds.at(-1) ?? null;
    if (options.lastFault) {
      lastFault = options.lastFault;
      faults[lastFault]++;
      log(`last fault ${lastFault}, after the last push`);
      await inject(lastFault);
      lastFaultEnd = Date.now();
    }

    async function inject(kind: FaultKind): Promise<void> {
      const window = Math.min(slot * 0.6, 15_000);
      const f = simulator.faults;
      switch (kind) {
        case 'duplicate-and-shuffle':
          Object.assign(f, { deliveryCopies: 2, shuffleDeliveries: true });
          await sleep(window);
          Object.assign(f, { deliveryCopies: 1, shuffleDeliveries: false });
          return;
        case 'drop-deliveries':
          f.dropRate = 0.3;
          await sleep(window);
          f.dropRate = 0;
          return;
        case 'api-500-burst':
          f.http500Rate = 0.3;
          await sleep(Math.min(window, 5_000));
          f.http500Rate = 0;
          return;
        case 'api-429-burst':
          f.http429Rate = 0.3;
          await sleep(Math.min(window, 5_000));
          f.http429Rate = 0;
          return;
        case 'kill-dev-server': {
          const pid = await devServerPid(options.dataDir);
          if (pid) process.kill(pid, 'SIGKILL');
          return;
        }
        case 'kill-service': {
          const before = await sample(service.child!.pid!);
          if (before) samples.push(before);
          service.killGroup();
          await sleep(2_000);
          await service.start();
          const after = await sample(service.child!.pid!);
          if (after) samples.push(after);
          return;
        }
        case 'temporal-unreachable': {
          const pid = await devServerPid(options.dataDir);
          if (!pid) return;
          process.kill(pid, 'SIGSTOP');
          await sleep(Math.min(options.maxOutageMs, slot * 0.8));
          process.kill(pid, 'SIGCONT');
          return;
        }
      }
    }

    // Quiet: faults off, no run in Spacelift, nothing in flight in the coordinator, for two passes.
    Object.assign(simulator.faults, {
      deliveryCopies: 1,
      shuffleDeliveries: false,
      dropRate: 0,
      http500Rate: 0,
      http429Rate: 0,
    });
    const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    const estate = () =>
      new Client({ connection }).workflow
        .getHandle(defaultEstateId(accountOf(simulator.baseUrl)))
        .query(estateQuery);
    const busy = (v: StackView) =>
      ['waiting', 'triggering', 'queued', 'running', 'awaiting-confirmation'].includes(v.state);
    let view: EstateView | null = null;
    let quietSince: number | null = null;
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
      view = await estate().catch(() => null);
      const live = [...runs.values()].some((r) => r.endedAt === null);
      const inFlight = !view || live || Object.values(view.stacks).some(busy);
      if (inFlight) quietSince = null;
      else if ((quietSince ??= Date.now()) + 2 * RECONCILE_MS < Date.now()) break;
      await sleep(500);
    }
    const timeToQuietMs = (quietSince ?? Date.now()) - lastFaultEnd;
    const timeToQuietAfterLastPushMs = (quietSince ?? Date.now()) - lastPushAt;
    await connection.close();
    clearInterval(sampler);
    const last = await sample(service.child!.pid!);
    if (last) samples.push(last);
    samples.sort((a, b) => a.at - b.at);

    const all = [...runs.values()];
    const oracle = checkOverlappingChanges(upstreams, all);
    const stacksView = view?.stacks ?? {};
    // Blocked, failed and cyclic stacks, and what is below them, wait for a person (their needs
    // come back when it is fixed); stacks on a cycle are their own upstream.
    const onCycle = new Set((view?.cycles ?? []).flat());
    const waitsForAPerson = (id: string) =>
      onCycle.has(id) || ['blocked', 'cyclic', 'failed'].includes(stacksView[id]?.state ?? '');
    const excused = (id: string) => {
      const seen = new Set<string>();
      const queue = [id];
      for (let i = 0; i < queue.length; i++) {
        const at = queue[i]!;
        if (seen.has(at)) continue;
        seen.add(at);
        if (waitsForAPerson(at)) return true;
        queue.push(...(upstreams.get(at) ?? []));
      }
      return false;
    };
    const { startedInFlight, redundant, ...rest } = oracle;
    const previousRun = (runId: string, stackId: string) => {
      const mine = all.filter((r) => r.stackId === stackId).sort((a, b) => a.createdAt - b.createdAt);
      return {
        run: mine.find((r) => r.runId === runId)!,
        prev: mine[mine.findIndex((r) => r.runId === runId) - 1],
      };
    };
    const ancestors = (id: string) => {
      const seen = new Set<string>();
      const queue = [...(upstreams.get(id) ?? [])];
      for (let i = 0; i < queue.length; i++) {
        if (seen.has(queue[i]!)) continue;
        seen.add(queue[i]!);
        queue.push(...(upstreams.get(queue[i]!) ?? []));
      }
      return seen;
    };
    // A need in the same whole second before a run was created cannot be told apart from one
    // after it when no delivery gave milliseconds (the trigger's answer has seconds only).
    const needInItsSecond = (stackId: string, created: number) => {
      const ups = ancestors(stackId);
      const second = Math.floor(created / 1000) * 1000;
      return all.some(
        (u) =>
          ups.has(u.stackId) && u.endState === 'FINISHED' && u.endedAt! >= second && u.endedAt! < created,
      );
    };
    const strictDuplicates = redundant.filter((r) => {
      if (r.secondsRule) return false;
      const { run, prev } = previousRun(r.runId, r.stackId);
      if (!prev) return true;
      if (!prev.own && run.createdAt - prev.createdAt < KNOWABLE_MS) return false;
      return !needInItsSecond(r.stackId, prev.createdAt);
    });
    return {
      seed: options.seed,
      durationMs: options.durationMs,
      stacks: stacks.length,
      pushes,
      changes: all.filter((r) => r.endState === 'FINISHED').length,
      runs: all.length,
      ownRuns: all.filter((r) => r.own).length,
      faults,
      jwtTtlSeconds,
      outOfOrder: startedInFlight.filter((s) => s.upstreamLeadMs > KNOWABLE_MS).length,
      outOfOrderAny: startedInFlight.length,
      duplicates: strictDuplicates.length,
      rerunsAfterUnknowableRuns: redundant.length - strictDuplicates.length,
      duplicateRuns: strictDuplicates,
      details: Object.fromEntries(
        [
          ...new Set([
            ...oracle.unserved.filter((id) => !excused(id)),
            ...strictDuplicates.map((r) => r.stackId),
          ]),
        ].map((id) => {
          const ups = new Set(upstreams.get(id) ?? []);
          return [
            id,
            {
              view: stacksView[id] ?? null,
              runs: all.filter((r) => r.stackId === id),
              upstreamRuns: all.filter((r) => ups.has(r.stackId)),
            },
          ];
        }),
      ),
      lost: oracle.unserved.filter((id) => !excused(id)),
      stuck: Object.entries(stacksView)
        .filter(([, v]) => busy(v))
        .map(([id]) => id),
      blockedWithoutReason: Object.entries(stacksView)
        .filter(([, v]) => v.state === 'blocked' && !v.reason)
        .map(([id]) => id),
      blocked: Object.values(stacksView).filter((v) => v.state === 'blocked').length,
      cyclic: Object.values(stacksView).filter((v) => v.state === 'cyclic').length,
      timeToQuietMs,
      lastFault: lastFault ? { kind: lastFault, ownPart: OWN_PART_FAULTS.has(lastFault) } : null,
      webhookDisabled: simulator.stats.webhooks.some((w) => w.disabled),
      timeToQuietAfterLastPushMs,
      samples,
      oracle: rest,
    };
  } finally {
    clearInterval(sampler);
    await service.stop();
    await simulator.close();
  }
}
