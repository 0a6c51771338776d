/**
 * The demo, then `trigger network --follow`, as an operator would run them: two cascades, each
 * with its own changes, the first ended blocked (warehouse fails), the second completing with
 * network's own run in it (warehouse fixed meanwhile, so it resumes what the first left blocked).
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type Worker } from '@temporalio/worker';
import { Spacelift } from 'spacelift-client';
import { loadSeed, startSimulator, type Simulator } from 'spacelift-simulator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CascadePhase, CascadeSummary, CascadeView } from '../../src/cascade-contract.js';
import { readChangeWindows } from '../../src/config/change-windows.js';
import { runDemoCascade } from '../../src/service/demo-cascade.js';
import { DEMO_SEED_PATH } from '../../src/service/spacelift-part.js';
import { Coordinator } from '../../src/temporal/coordinator.js';
import { createCascadeWorker, workflowsEntryPath } from '../../src/worker/index.js';
import { eventually } from '../workflows/estate-rig.js';
import { testOptions } from '../workflows/test-options.js';
import { cliSandbox, type CliSandbox } from './cli-harness.js';

const TASK_QUEUE = `cli-lifecycle-${randomUUID()}`;
const ESTATE_ID = `estate-${randomUUID()}`;
const KEY = { id: 'lifecycle-key', secret: `lifecycle-secret-${randomUUID()}` };
const quiet = () => undefined;
const quietLogger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

let simulator: Simulator;
let connection: Connection;
let nativeConnection: NativeConnection;
let worker: Worker;
let workerRun: Promise<void>;
let coordinator: Coordinator;
let cli: CliSandbox;

beforeAll(async () => {
  simulator = await startSimulator({
    seed: loadSeed(fileURLToPath(DEMO_SEED_PATH)),
    apiKey: KEY,
    stateDurationMs: 0,
  });
  const address = inject('temporalAddress');
  connection = await Connection.connect({ address });
  nativeConnection = await NativeConnection.connect({ address });
  worker = await createCascadeWorker({
    connection: nativeConnection,
    taskQueue: TASK_QUEUE,
    api: new Spacelift({ baseUrl: simulator.baseUrl, keyId: KEY.id, keySecret: KEY.secret }),
    identity: `api::${KEY.id}`,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: workflowsEntryPath(), logger: quietLogger }),
  });
  workerRun = worker.run();
  // No receiver here: the coordinator hears of the demo's pushes from its reconciliation pass,
  // and polls the runs it triggers.
  const options = testOptions({
    pollIntervalMs: 100,
    reconcileIntervalMs: 1_000,
    runUrlBase: simulator.baseUrl,
  });
  coordinator = new Coordinator(new Client({ connection }), {
    estateId: ESTATE_ID,
    taskQueue: TASK_QUEUE,
    options,
  });
  await coordinator.configure();
  cli = await cliSandbox({
    SPACELIFT_BASE_URL: simulator.baseUrl,
    SPACELIFT_KEY_ID: KEY.id,
    SPACELIFT_KEY_SECRET: KEY.secret,
    TEMPORAL_ADDRESS: address,
    CASCADE_TASK_QUEUE: TASK_QUEUE,
    CASCADE_ESTATE_ID: ESTATE_ID,
    CASCADE_POLL_INTERVAL_MS: '100',
    CASCADE_RECONCILE_INTERVAL_MS: '1000',
  });
});

afterAll(async () => {
  await new Client({ connection }).workflow
    .getHandle(ESTATE_ID)
    .terminate('tests over')
    .catch(() => undefined);
  await connection?.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRun;
  await nativeConnection?.close();
  await simulator?.close();
  await cli?.dispose();
});

/** Prints a CLI result when SHOW_CLI_OUTPUT is set (transcripts for a report); returns it. */
const show = <R extends { out: string; err: string }>(r: R): R => {
  if (process.env.SHOW_CLI_OUTPUT) console.log([r.out, r.err].filter(Boolean).join('\n'));
  return r;
};

/** `cascades status --json` of a run's cascade, once it is in one of `phases`. */
const statusIn = (runId: string, ...phases: CascadePhase[]) =>
  eventually(async () => {
    const view = JSON.parse((await cli.run(['--json', 'cascades', 'status', runId])).out) as CascadeView;
    return phases.includes(view.phase) ? view : undefined;
  });

describe('cascade lifecycle through the CLI', () => {
  it('the demo, then trigger network --follow: two cascades, the second completing with network’s own run in it', async () => {
    await coordinator.graphRead(30_000);
    const demo: string[] = [];
    await runDemoCascade(simulator, coordinator, (line) => demo.push(line));
    expect(demo.at(-1)).toMatch(/^Demo cascade blocked: /);
    const [first] = await coordinator.cascades(10);
    expect(first).toMatchObject({ phase: 'blocked', roots: expect.arrayContaining(['network']) });
    expect(first!.endedAt).not.toBeNull();
    const before = JSON.parse(
      (await cli.run(['--json', 'cascades', 'status', first!.id])).out,
    ) as CascadeView;

    // warehouse's owner fixes it; then an operator changes network again.
    simulator.store.stacks.setBehaviour('warehouse', { outcome: 'FINISHED' });
    const { code, out } = await cli.run(['trigger', 'network', '--follow']);
    if (process.env.SHOW_CLI_OUTPUT) console.log(out);
    expect(code).toBe(0);
    const [, runId] = /^Triggered run (\S+) of stack network\.$/m.exec(out) ?? [];
    expect(out).toContain(`network: finished (run ${runId})`);
    expect(out).toContain(`cascade cascade-${runId} from network: completed`);
    expect(out).toContain(`  network: changed (run ${runId}), started it`);
    expect(out).toContain(`  resumes ${first!.id} (took over what it left blocked)`);
    expect(out).toMatch(/^ {2}reporting: finished \(run /m);

    const list = JSON.parse((await cli.run(['--json', 'cascades', 'list'])).out) as CascadeSummary[];
    expect(list.map((c) => [c.id, c.phase])).toEqual([
      [first!.id, 'blocked'],
      [`cascade-${runId}`, 'completed'],
    ]);
    const second = JSON.parse((await cli.run(['--json', 'cascades', 'status', runId!])).out) as CascadeView;
    expect(second.changes.map((c) => [c.stackId, c.runId])).toEqual([['network', runId]]);
    const again = JSON.parse((await cli.run(['--json', 'cascades', 'status', first!.id])).out) as CascadeView;
    expect(again.changes).toEqual(before.changes);
    expect(again.changes.map((c) => c.runId)).not.toContain(runId);
    expect(again.resumedBy).toEqual([`cascade-${runId}`]);
    const estate = await coordinator.estate();
    expect(estate.cascadeCounts).toEqual({ running: 0, held: 0, blocked: 0 });
    expect(estate.stacks.reporting!.state).toBe('finished');
  });
});

describe('freeze through the CLI', () => {
  it('freeze, a held cascade in every view, refusals with their reasons, unfreeze running each waiting stack once', async () => {
    const frozen = show(
      await cli.run(['freeze', '--reason', 'incident 4711', '--until', '2h', '--as', 'alice']),
    );
    expect(frozen.code).toBe(0);
    expect(frozen.out).toMatch(
      /^Frozen: frozen since \d\d:\d\d by alice: incident 4711; until (\S+ )?\d\d:\d\d\.$/m,
    );
    expect(frozen.out).toContain('lock the stacks in Spacelift');
    const before = simulator.store.stackRuns('dns')!.length;

    const { out } = await cli.run(['trigger', 'network']);
    const [, runId] = /^Triggered run (\S+) of stack network\.$/m.exec(out) ?? [];
    const held = await eventually(async () => {
      const r = await cli.run(['cascades', 'status', runId!]);
      return r.code === 0 && r.out.includes(': held') ? r : undefined;
    });
    show(held);
    expect(held.out.split('\n')[0]).toMatch(/^FROZEN: frozen since \d\d:\d\d by alice: incident 4711; until/);
    expect(held.out).toContain('  held: the estate is frozen by alice: incident 4711');
    expect(held.out).toMatch(/^ {2}dns: held, the estate is frozen by alice: incident 4711$/m);
    const list = show(await cli.run(['cascades', 'list']));
    expect(list.out.split('\n')[0]).toMatch(/^FROZEN: /);
    expect(list.out).toMatch(new RegExp(`^cascade-${runId} {2}held `, 'm'));
    expect(simulator.store.stackRuns('dns')).toHaveLength(before);

    const twice = show(await cli.run(['freeze', '--as', 'bob']));
    expect(twice.code).toBe(1);
    expect(twice.err).toMatch(
      /^error: the estate is already frozen since .+Z by alice: incident 4711; unfreeze it first$/,
    );
    const bad = await cli.run(['freeze', '--until', 'tomorrow']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('give a time of day (16:00), a duration from now (90m, 2h, 1d)');

    const thawed = show(await cli.run(['unfreeze', '--as', 'alice']));
    expect(thawed.code).toBe(0);
    expect(thawed.out).toMatch(
      /^Unfrozen by alice \(it was frozen since \d\d:\d\d by alice: incident 4711; until .+\)\. \d+ waiting stacks run now, each once, in order: .*dns/,
    );
    const done = await statusIn(runId!, 'completed', 'blocked');
    expect(done.stacks.dns!.runs).toHaveLength(1);
    expect(simulator.store.stackRuns('dns')).toHaveLength(before + 1);
    const again = show(await cli.run(['unfreeze']));
    expect(again.code).toBe(1);
    expect(again.err).toBe('error: the estate is not frozen');
  });
});

describe('approvals through the CLI', () => {
  it('a stack labelled cascade:approval waits, every view says so, and approve lets it run; refusals say why', async () => {
    await coordinator.graphRead(30_000);
    simulator.store.stacks.changeLabels('dns', ['cascade:approval'], []);
    // The coordinator reads labels with each reconciliation pass (every second here).
    await new Promise((r) => setTimeout(r, 2_500));
    const before = simulator.store.stackRuns('dns')!.length;
    const { out } = await cli.run(['trigger', 'network']);
    const [, runId] = /^Triggered run (\S+) of stack network\.$/m.exec(out) ?? [];
    // Everything else ran: the cascade waits only on the approval.
    await statusIn(runId!, 'held');
    const held = show(await cli.run(['cascades', 'status', runId!]));
    expect(held.out).toMatch(
      new RegExp(`^AWAITING APPROVAL: dns in cascade-${runId} since \\d\\d:\\d\\d$`, 'm'),
    );
    expect(held.out).toContain(
      `  dns: held, awaiting approval in cascade-${runId}: spacelift-cascade cascades approve cascade-${runId} dns`,
    );
    expect(simulator.store.stackRuns('dns')).toHaveLength(before);

    const wrong = show(await cli.run(['cascades', 'approve', runId!, 'database', '--as', 'alice']));
    expect(wrong.code).toBe(1);
    expect(wrong.err).toBe('error: database needs no approval: it has no cascade:approval label');
    const approved = show(
      await cli.run(['cascades', 'approve', runId!, 'dns', '--note', 'change CHG-12', '--as', 'alice']),
    );
    expect(approved.code).toBe(0);
    expect(approved.out).toBe(
      `Approved dns in cascade-${runId} by alice: change CHG-12. It runs once nothing upstream of it is changing; the approval holds for this cascade.`,
    );
    const done = await statusIn(runId!, 'completed', 'blocked');
    expect(done.stacks.dns).toMatchObject({ state: 'finished' });
    expect(simulator.store.stackRuns('dns')).toHaveLength(before + 1);
    const late = show(await cli.run(['cascades', 'reject', runId!, 'dns', '--as', 'bob']));
    expect(late.code).toBe(1);
    expect(late.err).toBe(`error: dns is not waiting in cascade cascade-${runId}: it has run, or is running`);
    simulator.store.stacks.changeLabels('dns', [], ['cascade:approval']);
    // Read again by the next passes (every second here), so the tests after this one start clean.
    await new Promise((r) => setTimeout(r, 2_500));
  });
});

describe('change windows through the CLI', () => {
  it(
    'outside the window every view says until when; at the edge the held stacks run',
    { timeout: 150_000 },
    async () => {
      await coordinator.graphRead(30_000);
      // A window (UTC) that opens at the next whole minute; the coordinator is configured with it.
      const opens = Math.ceil((Date.now() + 5_000) / 60_000) * 60_000;
      const hm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
      const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(opens).getUTCDay()]!;
      const read = readChangeWindows({
        CASCADE_CHANGE_WINDOWS: `${day} ${hm(opens)}-${hm(opens + 600_000)} UTC`,
      });
      if (!('windows' in read)) throw new Error(read.problems.join('; '));
      const windowed = new Coordinator(new Client({ connection }), {
        ...coordinator.ref,
        options: { ...coordinator.ref.options, changeWindows: read.windows },
      });
      await windowed.configure();
      try {
        const { out } = await cli.run(['trigger', 'network']);
        const [, runId] = /^Triggered run (\S+) of stack network\.$/m.exec(out) ?? [];
        await statusIn(runId!, 'held');
        const held = show(await cli.run(['cascades', 'status', runId!]));
        expect(held.out.split('\n')[0]).toBe(
          `OUTSIDE THE CHANGE WINDOW: triggers are held until ${day} ${hm(opens)} (UTC)`,
        );
        expect(held.out).toContain(
          `  dns: held, outside the change window: held until ${day} ${hm(opens)} (UTC)`,
        );
        const done = await statusIn(runId!, 'completed', 'blocked');
        expect(done.stacks.dns).toMatchObject({ state: 'finished' });
        expect(
          Math.min(...Object.values(done.stacks).flatMap((s) => s.runs.map((r) => r.at))),
        ).toBeGreaterThanOrEqual(opens);
      } finally {
        await coordinator.configure();
      }
    },
  );
});
