/**
 * The dashboard's operator controls in a real browser (Debian's chromium, driven by
 * playwright-core) over an in-memory estate: the name typed once, the token, freeze and
 * unfreeze, and the banner every page view shows while frozen.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer, type AdminServer } from '../../src/admin/admin-server.js';
import type { StackView } from '../../src/cascade-contract.js';
import { DEMO_SEED_PATH } from '../../src/service/spacelift-part.js';
import { FakeDashboardSource } from './fake-dashboard-source.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'operator-browser-token-0123456789';

let browser: Browser;
let server: AdminServer;
let url: string;
let source: FakeDashboardSource;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  // The demo's estate, in the middle of a cascade: network and what only needs it ran; database
  // waits for its approval, what is below it waits for it.
  const seed = JSON.parse(await readFile(DEMO_SEED_PATH, 'utf8')) as {
    stacks: Array<{ id: string; name: string; space: string; labels: string[] }>;
  };
  const records = seed.stacks.map((st) => ({
    id: st.id,
    name: st.name,
    space: st.space,
    labels: st.id === 'database' ? [...st.labels, 'cascade:approval'] : st.labels,
    nativeUpstreams: [],
  }));
  const ran = (id: string): StackView => ({
    state: 'finished',
    runId: `01M8RUN${id.toUpperCase()}`,
    runUrl: `http://127.0.0.1:4000/stack/${id}/run/01M8RUN${id.toUpperCase()}`,
  });
  source = new FakeDashboardSource(records, {
    network: ran('network'),
    dns: ran('dns'),
    cluster: ran('cluster'),
    cache: ran('cache'),
    monitoring: ran('monitoring'),
    database: { state: 'held', hold: 'freeze', reason: 'the estate is frozen by alice', heldSince: 0 },
    api: { state: 'waiting', waitingFor: ['database'] },
    warehouse: { state: 'waiting', waitingFor: ['database'] },
    web: { state: 'waiting', waitingFor: ['api'] },
    worker: { state: 'waiting', waitingFor: ['api'] },
    reporting: { state: 'waiting', waitingFor: ['warehouse'] },
  });
  server = buildAdminServer({
    host: '127.0.0.1',
    port: 0,
    adminToken: TOKEN,
    dashboard: { source, labelPrefix: 'dependsOn:' },
    logger: pino({ level: 'silent' }),
  });
  url = await server.listen();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A page of the dashboard unlocked with the token, with alice's name typed in the controls. */
async function openAsAlice(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${url}/`);
  await page.locator('#token-input').fill(TOKEN);
  await page.locator('#token-form button').click();
  await page.locator('#graph g.node[data-id="database"]').waitFor();
  await page.getByLabel('Your name, shown with your actions').fill('alice');
  return page;
}

describe('the change window on the dashboard', () => {
  it('a banner says when the estate is outside its window and when it opens; it goes when the window opens', async () => {
    const opens = {
      start: Date.now() + 3_600_000,
      end: Date.now() + 7_200_000,
      opens: 'Mon 09:00 (Europe/Berlin)',
    };
    source.estateView!.window = { open: false, next: opens };
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      await page.goto(`${url}/`);
      await page.locator('#token-input').fill(TOKEN);
      await page.locator('#token-form button').click();
      const banner = page.locator('#window-banner');
      await expect
        .poll(() => banner.textContent())
        .toBe(
          'Outside the change window: no stack is triggered until Mon 09:00 (Europe/Berlin); runs in flight go on.',
        );
      source.estateView!.window = { open: true, next: null };
      await expect.poll(() => banner.isHidden(), { timeout: 15_000 }).toBe(true);
    } finally {
      source.estateView!.window = undefined;
      await page.close();
    }
  });
});

describe('operator controls on the dashboard', () => {
  it(
    'freeze with a name typed once and the token; the banner says who and why; unfreeze',
    { timeout: 60_000 },
    async () => {
      const page = await openAsAlice();
      try {
        await page.getByLabel('Why freeze').fill('incident 4711');
        await page.getByRole('button', { name: 'Freeze the estate' }).click();
        const banner = page.locator('#freeze-banner');
        await expect
          .poll(() => banner.textContent())
          .toMatch(
            /^Frozen since \d\d:\d\d by alice: incident 4711\. No stack is triggered; runs in flight go on\.$/,
          );
        expect(source.estateView?.freeze).toMatchObject({ by: 'alice', reason: 'incident 4711' });
        // The name is kept for the next action: unfreeze needs no typing.
        await page.reload();
        await page.getByRole('button', { name: 'Unfreeze' }).click();
        await expect.poll(() => banner.isHidden()).toBe(true);
        expect(source.estateView?.freeze).toBeNull();
        expect(await page.getByLabel('Your name, shown with your actions').inputValue()).toBe('alice');
      } finally {
        await page.close();
      }
    },
  );
});

describe('approvals on the dashboard', () => {
  it(
    'a stack awaiting approval offers Approve and Reject; the verdict says who',
    { timeout: 60_000 },
    async () => {
      source.estateView!.stacks.database = {
        state: 'held',
        hold: 'approval',
        reason: 'awaiting approval in cascade-R1: spacelift-cascade cascades approve cascade-R1 database',
        heldSince: Date.now() - 90_000,
        cascadeId: 'cascade-R1',
      };
      source.pendingApprovals = [
        { cascadeId: 'cascade-R1', stackId: 'database', since: Date.now() - 90_000 },
      ];
      source.estateView!.cascadeCounts = { running: 0, held: 1, blocked: 0 };
      const stacks = source.estateView!.stacks;
      const reached = [
        'dns',
        'cluster',
        'cache',
        'monitoring',
        'database',
        'api',
        'warehouse',
        'web',
        'worker',
        'reporting',
      ];
      source.cascadeViews.set('cascade-R1', {
        id: 'cascade-R1',
        phase: 'held',
        heldOn: [
          'the estate is frozen by alice: incident 4711',
          'awaiting approval in cascade-R1: spacelift-cascade cascades approve cascade-R1 database',
        ],
        resumes: [],
        resumedBy: [],
        merged: [],
        startedAt: Date.now() - 120_000,
        endedAt: null,
        changes: [{ stackId: 'network', runId: '01M8RUNNETWORK', at: Date.now() - 120_000 }],
        stacks: Object.fromEntries(
          reached.map((id) => [id, { ...stacks[id]!, runs: [], since: Date.now() - 110_000 }]),
        ),
      });
      await source.freeze({ by: 'alice', reason: 'incident 4711', until: Date.now() + 2 * 3_600_000 });
      const page = await openAsAlice();
      try {
        await page.getByRole('option', { name: /^Database \(database\): / }).click();
        const approve = page.getByRole('button', { name: 'Approve database' });
        await approve.waitFor();
        expect(await page.locator('#freeze-banner').textContent()).toMatch(
          /^Frozen since \d\d:\d\d by alice: incident 4711; until \d\d:\d\d\./,
        );
        await expect.poll(() => page.locator('#status').textContent()).toMatch(/^Live/);
        if (process.env.OPERATOR_SCREENSHOT_DIR)
          await page.screenshot({ path: `${process.env.OPERATOR_SCREENSHOT_DIR}/operator-controls.png` });
        await page.getByLabel("Note on database's approval").fill('change CHG-12');
        await approve.click();
        await expect.poll(() => source.decisions.length).toBe(1);
        expect(source.decisions[0]).toMatchObject({
          cascadeId: 'cascade-R1',
          stackId: 'database',
          verdict: 'approved',
          by: 'alice',
          note: 'change CHG-12',
        });
      } finally {
        await page.close();
      }
    },
  );
});
