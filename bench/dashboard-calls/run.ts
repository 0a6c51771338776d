/**
 * Spacelift API calls of a running service, with and without its dashboard open: proves that the
 * dashboard takes the graph from what the service already read (the EstateCatalog the worker's
 * reconciliation passes fill) and states from the coordinator, and makes no reads of its own.
 *
 * One service (`spacelift-cascade start`, demo mode, from source: the simulator seeded with N
 * layered stacks, no demo push), its simulator's counters read over `GET /simulator/stats`
 * (GraphQL operations by name, logins included). In the same run:
 *   (a) idle, no dashboard, for at least W minutes;
 *   (b) the dashboard open in Chromium for at least W minutes, the page left alone so its
 *       polling (estate states each second, cascades every 2 s, status every 5 s) runs;
 *   (c) one pushed change cascading with no dashboard, then the same change again with the
 *       page open (nobody clicks: no run or stack is opened).
 * Each window starts and ends when a reconciliation pass has just ended, so (a) and (b) hold
 * whole pass cycles: the pass (one stack search, ⌈N/50⌉ pages, every CASCADE_RECONCILE_INTERVAL_MS,
 * default 60 s, after the previous one ended) is nearly all of the idle traffic.
 * The requirement holds when (b) calls per minute ≤ (a) + a small tolerance (runs a person opens:
 * none here). Writes bench/results/dashboard-calls.json; exits 1 when the requirement fails.
 *
 *   node --conditions=source --import tsx bench/dashboard-calls/run.ts
 *
 * DASHBOARD_CALLS_STACKS (default 10,000), DASHBOARD_CALLS_MINUTES (W, default 10),
 * DASHBOARD_CALLS_CASCADE (default 1; 0 skips (c)), CHROMIUM_PATH (default /usr/bin/chromium).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { SimulatorStats } from 'spacelift-simulator';
import { ENDED_PHASES, type CascadeSummary } from '../../packages/cascade/src/cascade-contract.js';
import {
  processesMentioning,
  quietServicePorts,
  spawnCli,
  type Spawned,
} from '../../packages/cascade/test/cli/cli-process.js';
import { pushRequest } from '../../packages/simulator/src/run-source-commands.js';
import { sendSimulatorRequest } from '../../packages/simulator/src/simulator-requests.js';
import { estateWithPush } from '../estate-with-push.js';
import { round } from '../percentiles.js';
import { waitForFirstDraw } from '../dashboard/first-draw.js';

const STACKS = Number(process.env.DASHBOARD_CALLS_STACKS ?? 10_000);
const MINUTES = Number(process.env.DASHBOARD_CALLS_MINUTES ?? 10);
const CASCADE = process.env.DASHBOARD_CALLS_CASCADE !== '0';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The service's default (the bench sets no CASCADE_* variable). */
const RECONCILE_INTERVAL_MS = 60_000;
/** A pass has ended once its stack search (and its reads of changed stacks' runs) has been still this long. */
const PASS_QUIET_MS = 3_000;
/** Longest wait for a pass to end: two intervals and a slow pass. */
const PASS_WAIT_MS = 2 * RECONCILE_INTERVAL_MS + 180_000;
const JITTER_MS = 5_000;
const CASCADE_TIMEOUT_MS = 900_000;
/** The bench's own simulator-only operation (a git push), not the service's. */
const OWN_OPERATIONS = new Set(['SimulatorPush']);
/** Calls per minute (b) may exceed (a) by: the key check (`GetSpaces`, at most once a minute) falls on the page's status polls or the banner's. */
const tolerance = (baseline: number) => Math.max(1, baseline * 0.01);

type Calls = Record<string, number>;

interface Snapshot {
  at: number;
  calls: Calls;
}

const minus = (after: Calls, before: Calls): Calls =>
  Object.fromEntries(
    Object.keys(after)
      .filter((op) => !OWN_OPERATIONS.has(op))
      .map((op) => [op, after[op]! - (before[op] ?? 0)] as const)
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
const sum = (calls: Calls) => Object.values(calls).reduce((a, b) => a + b, 0);

/**
 * Reads the simulator's counters every half second and finds the reconciliation passes in
 * them: a pass is a burst of stack searches, over once they have been still for PASS_QUIET_MS.
 */
function watchCalls(statsUrl: string) {
  let latest: Snapshot | null = null;
  // Typed by a cast: the loop below is an IIFE, which TypeScript would narrow this to `null` in.
  let open = null as { start: number; lastRise: number } | null;
  const passes: Array<{ start: number; end: number }> = [];
  const waiting: Array<(s: Snapshot) => void> = [];
  let stopped = false;
  let failures = 0;

  const read = async (): Promise<Snapshot> => {
    const response = await fetch(statsUrl);
    if (!response.ok) throw new Error(`GET ${statsUrl}: HTTP ${response.status}`);
    return { at: Date.now(), calls: { ...((await response.json()) as SimulatorStats).apiCalls } };
  };

  const loop = (async () => {
    while (!stopped) {
      const now = await read().catch((err: unknown) => {
        if (++failures > 20) throw err;
        return null;
      });
      if (now) {
        const rose = (op: string) => (now.calls[op] ?? 0) > (latest?.calls[op] ?? 0);
        // After its search, a pass reads the runs of the stacks that changed since the previous one.
        const searched = rose('SearchStacks');
        if (searched && latest) open = { start: open?.start ?? latest.at, lastRise: now.at };
        else if (open && rose('GetStackRuns')) open.lastRise = now.at;
        else if (open && now.at - open.lastRise >= PASS_QUIET_MS) {
          passes.push({ start: open.start, end: open.lastRise });
          open = null;
          for (const resolve of waiting.splice(0)) resolve(now);
        }
        latest = now;
      }
      await sleep(500);
    }
  })();

  return {
    passes,
    read,
    /** The counters just after the next pass ends; after `timeoutMs` without one, the counters then (`aligned: false`). */
    async nextPassEnd(timeoutMs = PASS_WAIT_MS): Promise<Snapshot & { aligned: boolean }> {
      const ended = new Promise<Snapshot>((resolve) => waiting.push(resolve));
      const timer = new AbortController();
      const timedOut = sleep(timeoutMs, null, { signal: timer.signal }).catch(() => null);
      const snapshot = await Promise.race([ended, timedOut]);
      timer.abort();
      return snapshot ? { ...snapshot, aligned: true } : { ...(await read()), aligned: false };
    },
    passesWithin: (from: number, to: number) => passes.filter((p) => p.start >= from && p.start < to).length,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
type CallWatch = ReturnType<typeof watchCalls>;

interface CallWindow {
  seconds: number;
  /** Reconciliation passes begun in the window. */
  passes: number;
  /** Whether both ends fell just after a pass (false: a pass did not end in time). */
  alignedOnPasses: boolean;
  calls: number;
  callsPerMinute: number;
  callsByOperation: Calls;
  callsPerMinuteByOperation: Record<string, number>;
}

function windowOf(
  watch: CallWatch,
  start: Snapshot & { aligned?: boolean },
  end: Snapshot & { aligned?: boolean },
): CallWindow {
  const calls = minus(end.calls, start.calls);
  const minutes = (end.at - start.at) / 60_000;
  return {
    seconds: round((end.at - start.at) / 1000, 1),
    passes: watch.passesWithin(start.at, end.at),
    alignedOnPasses: start.aligned !== false && end.aligned !== false,
    calls: sum(calls),
    callsPerMinute: round(sum(calls) / minutes, 2),
    callsByOperation: calls,
    callsPerMinuteByOperation: Object.fromEntries(
      Object.entries(calls).map(([op, n]) => [op, round(n / minutes, 2)]),
    ),
  };
}

/**
 * From a pass's end until the first pass end at least MINUTES later (less JITTER_MS: the half
 * second sampling moves each end a little): whole pass cycles.
 */
async function measure(watch: CallWatch, start: Snapshot & { aligned: boolean }) {
  let end = await watch.nextPassEnd();
  while (end.aligned && end.at - start.at < MINUTES * 60_000 - JITTER_MS) end = await watch.nextPassEnd();
  return end;
}

/** Opens the dashboard and waits for its first drawing; counts the page's requests to the service by path. */
async function openDashboard(browser: Browser, url: string) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  const requests: Record<string, number> = {};
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    const path = pathname.replace(/^\/api\/(stacks|cascades)\/[^/]+/, '/api/$1/:id');
    requests[path] = (requests[path] ?? 0) + 1;
  });
  const opened = Date.now();
  await page.goto(url);
  await waitForFirstDraw(page, 600_000);
  return {
    page,
    requests,
    firstDrawSeconds: round((Date.now() - opened) / 1000, 1),
    close: () => context.close(),
  };
}

const statusLine = (page: Page) => page.locator('#status').textContent();

/** Pushes a change of `stack` and waits for the cascade it starts to end. */
async function cascadeOnce(admin: string, simulator: string, stack: string, seen: Set<string>) {
  const pushedAt = Date.now();
  await sendSimulatorRequest(simulator, pushRequest([stack]));
  for (;;) {
    if (Date.now() - pushedAt > CASCADE_TIMEOUT_MS)
      throw new Error(`no cascade from ${stack} ended within ${CASCADE_TIMEOUT_MS / 1000} s`);
    await sleep(1000);
    // The admin API's cascade list is a query of the coordinator, as the page's own poll: no Spacelift read.
    const response = await fetch(`${admin}/api/cascades?limit=5`).catch(() => null);
    if (!response?.ok) continue;
    const { cascades } = (await response.json()) as { cascades: CascadeSummary[] };
    const ended = cascades.find(
      (c) => !seen.has(c.id) && c.roots.includes(stack) && ENDED_PHASES.includes(c.phase),
    );
    if (ended) {
      seen.add(ended.id);
      return {
        id: ended.id,
        phase: ended.phase,
        stacks: ended.total,
        seconds: round((Date.now() - pushedAt) / 1000, 1),
      };
    }
  }
}

const { stacks, push } = estateWithPush(STACKS);
const dir = await mkdtemp(join(tmpdir(), 'cascade-dashboard-calls-'));
const dataDir = join(dir, 'data');
const seedFile = join(dir, 'seed.json');
await writeFile(seedFile, JSON.stringify({ stacks }));
const ports = await quietServicePorts();
const admin = `http://127.0.0.1:${ports.CASCADE_ADMIN_PORT}`;
const simulator = `http://127.0.0.1:${ports.SIMULATOR_PORT}`;
console.log(
  `dashboard-calls: ${stacks.length} stacks, windows of at least ${MINUTES} min; the reconciliation pass ` +
    `(every ${RECONCILE_INTERVAL_MS / 1000} s after the previous one, the default) is the idle baseline`,
);

let service: Spawned | null = null;
let browser: Browser | null = null;
let watch: CallWatch | null = null;
let failed = true;
try {
  const startedAt = Date.now();
  service = spawnCli(['start', '--no-demo', '--seed', seedFile], {
    CASCADE_DATA_DIR: dataDir,
    ...ports,
    HOST: '127.0.0.1',
    // As bench/memory: short run states and up to 20 runs at once, so a cascade takes seconds.
    SIMULATOR_STATE_DURATION_MS: '100',
    CASCADE_MAX_PARALLEL: '20',
  });
  await service.waitFor(/^spacelift-cascade is ready\./m, 900_000);
  const readySeconds = round((Date.now() - startedAt) / 1000, 1);
  watch = watchCalls(`${simulator}/simulator/stats`);
  const atReady = await watch.read();
  console.log(`  ready after ${readySeconds} s (${sum(minus(atReady.calls, {}))} API calls so far)`);
  // Launched before (a): both windows run with the browser's process alive; only (b) has a page.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });

  const aStart = await watch.nextPassEnd();
  console.log(`  (a) no dashboard: from ${new Date(aStart.at).toISOString()}`);
  const aEnd = await measure(watch, aStart);
  const idle = windowOf(watch, aStart, aEnd);
  console.log(`      ${idle.callsPerMinute} calls/min over ${idle.seconds} s, ${idle.passes} passes`);

  console.log(`  (b) dashboard open: ${admin}/`);
  const page = await openDashboard(browser, `${admin}/`);
  console.log(`      first drawing after ${page.firstDrawSeconds} s`);
  const bEnd = await measure(watch, aEnd);
  const lastStatus = await statusLine(page.page);
  const pageRequests = { ...page.requests };
  await page.close();
  const open = windowOf(watch, aEnd, bEnd);
  const bMinutes = (bEnd.at - aEnd.at) / 60_000;
  console.log(`      ${open.callsPerMinute} calls/min over ${open.seconds} s, ${open.passes} passes`);

  let cascade: Record<string, unknown> | null = null;
  if (CASCADE) {
    const seen = new Set<string>();
    console.log(`  (c) a change of ${push} cascading, no dashboard`);
    const c1 = await cascadeOnce(admin, simulator, push, seen);
    await sleep(5_000); // the last deliveries and polls
    const c1End = await watch.read();
    const without = { ...c1, ...windowOf(watch, bEnd, c1End) };
    console.log(`      ${without.calls} calls, ${c1.stacks} stacks ${c1.phase} in ${c1.seconds} s`);
    console.log(`  (c) the same change again, dashboard open`);
    const c2Start = await watch.nextPassEnd();
    const c2Page = await openDashboard(browser, `${admin}/`);
    const c2 = await cascadeOnce(admin, simulator, push, seen);
    await sleep(5_000);
    const c2End = await watch.read();
    const c2Requests = { ...c2Page.requests };
    await c2Page.close();
    const withPage = { ...c2, ...windowOf(watch, c2Start, c2End), pageRequests: c2Requests };
    console.log(`      ${withPage.calls} calls, ${c2.stacks} stacks ${c2.phase} in ${c2.seconds} s`);
    cascade = {
      pushed: push,
      note:
        'calls from a pass end (the push; with the page: its opening, then the push) to 5 s after the cascade ended; ' +
        'two cascades of the same change differ by their polls of late runs, so this is shown, not judged',
      withoutDashboard: without,
      withDashboard: withPage,
      callsWithDashboardMinusWithout: withPage.calls - without.calls,
    };
  }

  const ops = [
    ...new Set([...Object.keys(idle.callsByOperation), ...Object.keys(open.callsByOperation)]),
  ].sort();
  const allowed = round(idle.callsPerMinute + tolerance(idle.callsPerMinute), 2);
  const holds = idle.alignedOnPasses && open.alignedOnPasses && open.callsPerMinute <= allowed;
  const rose = ops.filter(
    (op) => (open.callsPerMinuteByOperation[op] ?? 0) > (idle.callsPerMinuteByOperation[op] ?? 0) + 1,
  );
  const ratio = idle.callsPerMinute > 0 ? round(open.callsPerMinute / idle.callsPerMinute, 3) : null;

  console.log('');
  console.log(`${'operation'.padEnd(22)} ${'(a) /min'.padStart(9)} ${'(b) /min'.padStart(9)}`);
  for (const op of ops)
    console.log(
      `${op.padEnd(22)} ${String(idle.callsPerMinuteByOperation[op] ?? 0).padStart(9)} ${String(open.callsPerMinuteByOperation[op] ?? 0).padStart(9)}`,
    );
  console.log(
    `${'total'.padEnd(22)} ${String(idle.callsPerMinute).padStart(9)} ${String(open.callsPerMinute).padStart(9)}  ratio (b)/(a) ${ratio}`,
  );
  console.log(
    `page requests/min: ${Object.entries(pageRequests)
      .map(([path, n]) => `${path} ${round(n / bMinutes, 1)}`)
      .join(', ')}`,
  );
  console.log(`page status at the end: ${lastStatus ?? '?'}`);
  console.log(
    `requirement: (b) ≤ (a) + ${round(tolerance(idle.callsPerMinute), 2)} calls/min: ${holds ? 'holds' : 'FAILS'}` +
      (rose.length ? ` (rose: ${rose.join(', ')})` : ''),
  );

  const output = {
    benchmark:
      'dashboard-calls: Spacelift API calls per minute of a running service with no dashboard, then with the dashboard open',
    requirement:
      'with a dashboard open on 10,000 stacks for 10 minutes, calls per minute no higher than with no dashboard (plus the runs a person opens)',
    date: new Date().toISOString(),
    node: process.version,
    commit: spawnSync('git', ['describe', '--always', '--dirty'], { encoding: 'utf8' }).stdout.trim(),
    chromium: CHROMIUM,
    stacks: stacks.length,
    minutes: MINUTES,
    reconcileIntervalMs: RECONCILE_INTERVAL_MS,
    readySeconds,
    note:
      'service from source in demo mode (its simulator seeded, no demo push), counted by the simulator (GraphQL ' +
      'operations by name, logins included) over GET /simulator/stats; each window runs from the end of a ' +
      'reconciliation pass to the end of the first pass at least `minutes` later, so both hold whole pass cycles; ' +
      'the pass (one paged stack search every reconcileIntervalMs after the previous one ended) is nearly all of the ' +
      'idle baseline. In (b) the page is left open, nobody clicks (no run or stack opened: those read Spacelift ' +
      'by design). GetSpaces is the API key check behind GET /api/status and the start banner (every 15 s), ' +
      'answered from a cache for 60 s: at most once a minute with or without the page; 2 cores shared with other work',
    phases: {
      noDashboard: idle,
      dashboardOpen: {
        ...open,
        firstDrawSeconds: page.firstDrawSeconds,
        pageRequestsPerMinute: Object.fromEntries(
          Object.entries(pageRequests).map(([path, n]) => [path, round(n / bMinutes, 1)]),
        ),
        statusAtEnd: lastStatus,
      },
    },
    ratio,
    toleranceCallsPerMinute: round(tolerance(idle.callsPerMinute), 2),
    operationsThatRose: rose,
    verdict: holds ? 'holds' : 'fails',
    cascade,
  };
  const results = fileURLToPath(new URL('../results/', import.meta.url));
  await mkdir(results, { recursive: true });
  await writeFile(join(results, 'dashboard-calls.json'), `${JSON.stringify(output, null, 2)}\n`);
  console.log('wrote bench/results/dashboard-calls.json');
  failed = !holds;
} finally {
  await watch?.stop().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  if (service && service.child.exitCode === null) {
    service.child.kill('SIGTERM');
    await Promise.race([service.exited, sleep(20_000)]);
  }
  // Only if the service did not stop: nothing of this bench (its Temporal) outlives it.
  for (const line of await processesMentioning(dataDir)) process.kill(Number(line.split(':')[0]), 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
