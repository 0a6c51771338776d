/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core) during a real
 * cascade: simulator -> signed webhooks -> receiver -> coordinator -> worker -> simulator.
 * With DASHBOARD_SCREENSHOT=1 it also saves docs/dashboard.png.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Spacelift } from 'spacelift-client';
import { startSimulator, type Simulator } from 'spacelift-simulator';
import { SeedSchema } from 'spacelift-simulator/testing';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_SEED_PATH } from '../../src/service/spacelift-part.js';
import { createDashboardSource } from '../../src/dashboard/dashboard-source.js';
import { TemporalCascadeGateway } from '../../src/temporal/cascade-gateway.js';
import { Coordinator } from '../../src/temporal/coordinator.js';
import { freePort } from '../../src/temporal/dev-server.js';
import { buildAdminServer, type AdminServer } from '../../src/admin/admin-server.js';
import type { Problem } from '../../src/admin/service-status.js';
import { DashboardUnavailableError } from '../../src/dashboard/dashboard-source.js';
import { buildWebhookServer, listenWebhookServer } from '../../src/webhook/server.js';
import { FakeDashboardSource } from './fake-dashboard-source.js';
import { CascadeHarness } from '../workflows/cascade-harness.js';
import { cascadeOptions } from '../webhook/webhook-examples.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SECRET = 'dashboard-e2e-secret';
const ESTATE_ID = `dashboard-e2e-estate-${randomUUID()}`;
const SCREENSHOT = new URL('../../../../docs/dashboard.png', import.meta.url);

let harness: CascadeHarness;
let connection: Connection;
let client: Client;
let receiver: FastifyInstance;
let simulator: Simulator;
let browser: Browser;
/** The admin listener the page is on (no token: open on loopback, read-only). */
let admin: AdminServer;
let url: string;
/** A second admin listener of the same estate, with CASCADE_ADMIN_TOKEN set. */
let tokenAdmin: AdminServer;
let adminUrl: string;
const ADMIN_TOKEN = `admin-${randomUUID()}`;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  }
  harness = await CascadeHarness.create(`dashboard-e2e-${randomUUID()}`);
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });

  // The demo estate, plus what the dashboard must show as problems.
  const seed = JSON.parse(await readFile(DEMO_SEED_PATH, 'utf8')) as { stacks: unknown[] };
  seed.stacks.push(
    { id: 'legacy-vpn', name: 'Legacy VPN', space: 'platform', labels: ['dependsOn:old-network'] },
    { id: 'edge-a', name: 'Edge A', space: 'apps', labels: ['dependsOn:edge-b'] },
    { id: 'edge-b', name: 'Edge B', space: 'apps', labels: ['dependsOn:edge-a'] },
  );
  const port = await freePort();
  simulator = await startSimulator({
    // Long enough that a browser polling every second sees runs queued and running.
    stateDurationMs: 500,
    seed: SeedSchema.parse(seed),
    webhooks: { urls: [`http://127.0.0.1:${port}/webhook`], secret: SECRET },
  });
  // A native Spacelift dependency beside a dependsOn label: shown as a problem.
  simulator.store.dependencies.create('worker', 'network');

  const options = { ...cascadeOptions, runUrlBase: simulator.baseUrl };
  const api = new Spacelift({
    baseUrl: simulator.baseUrl,
    keyId: simulator.apiKey.id,
    keySecret: simulator.apiKey.secret,
  });
  receiver = buildWebhookServer({
    gateway: new TemporalCascadeGateway({ connection }),
    secrets: [SECRET],
    estateId: ESTATE_ID,
    taskQueue: harness.taskQueue,
    cascadeOptions: options,
    logger: pino({ level: 'silent' }),
  });
  await listenWebhookServer(receiver, { port, host: '127.0.0.1' });
  const adminWith = (adminToken: string | null) =>
    buildAdminServer({
      host: '127.0.0.1',
      port: 0,
      adminToken,
      dashboard: {
        source: createDashboardSource({
          coordinator: new Coordinator(client, {
            estateId: ESTATE_ID,
            taskQueue: harness.taskQueue,
            options,
          }),
          api,
          labelPrefix: 'dependsOn:',
          runUrlBase: simulator.baseUrl,
          graphMaxAgeMs: 1_000,
        }),
        labelPrefix: 'dependsOn:',
      },
      logger: pino({ level: 'silent' }),
    });
  admin = adminWith(null);
  url = await admin.listen();
  tokenAdmin = adminWith(ADMIN_TOKEN);
  adminUrl = await tokenAdmin.listen();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterEach(async () => {
  await client.workflow
    .getHandle(ESTATE_ID)
    .terminate('test over')
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    });
});

afterAll(async () => {
  await browser?.close();
  await simulator?.close();
  await receiver?.close();
  await admin?.close();
  await tokenAdmin?.close();
  await connection?.close();
  await harness?.close();
});

/** Console errors and uncaught exceptions of a page. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

const nodeState = (page: Page, id: string) =>
  page.locator(`#graph g.node[data-id="${id}"]`).getAttribute('data-state');

describe('dashboard in Chromium', () => {
  it(
    'shows the estate, its problems, and stacks changing colour as a cascade runs',
    { timeout: 180_000 },
    async () => {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      const errors = watchErrors(page);
      await page.goto(`${url}/`);

      // The graph: every stack drawn, upstream above downstream, idle before anything runs.
      await page.locator('#graph g.node[data-id="web"]').waitFor();
      expect(await page.locator('#graph g.node').count()).toBe(simulator.store.listStacks().length);
      const y = async (id: string) => (await page.locator(`#graph g.node[data-id="${id}"]`).boundingBox())!.y;
      expect(await y('network')).toBeLessThan(await y('database'));
      expect(await y('database')).toBeLessThan(await y('api'));
      expect(await y('api')).toBeLessThan(await y('web'));
      expect(await nodeState(page, 'network')).toBe('idle');
      expect(await page.locator('#legend li').count()).toBe(14);

      // Problems: the unknown label, the cycle, the stack with labels and a native dependency.
      const problems = page.locator('#problem-list');
      await expect.poll(() => problems.textContent()).toContain('unknown stack "old-network"');
      expect(await problems.textContent()).toContain('Cycle: edge-a -> edge-b -> edge-a');
      expect(await problems.textContent()).toContain(
        'worker has dependsOn labels (api) and native Spacelift dependencies (network)',
      );

      // The dangling label is marked on its own node (dashed outline, a "?" badge, a tooltip
      // naming the unknown id) and in the stack list; no other stack is.
      const legacy = page.locator('#graph g.node[data-id="legacy-vpn"]');
      expect(await legacy.getAttribute('class')).toContain('dangling');
      expect(await legacy.getAttribute('data-missing')).toBe('old-network');
      expect(await legacy.locator('.badge').count()).toBe(1);
      expect(await legacy.locator(':scope > title').textContent()).toBe(
        'Legacy VPN (idle): depends on unknown stack old-network (no such stack, or the API key cannot see it)',
      );
      expect(await legacy.locator('rect').evaluate((el) => getComputedStyle(el).strokeDasharray)).not.toBe(
        'none',
      );
      expect(await page.locator('#graph g.node.dangling').count()).toBe(1);
      expect(await page.locator('#graph g.node .badge').count()).toBe(1);
      const legacyRow = page.getByRole('option', { name: /^Legacy VPN \(legacy-vpn\): / });
      expect(await legacyRow.getAttribute('aria-label')).toContain('depends on unknown stack old-network');
      expect(await page.locator('#stack-list .badge').count()).toBe(1);

      // Read-only: no action is offered without CASCADE_ADMIN_TOKEN.
      expect(await page.locator('button.danger').count()).toBe(0);

      const identity = `api::${simulator.apiKey.id}`;
      const api = new Spacelift({
        baseUrl: simulator.baseUrl,
        keyId: simulator.apiKey.id,
        keySecret: simulator.apiKey.secret,
      });
      await harness.withWorker(
        api,
        async () => {
          // Somebody disabled dns in Spacelift: the cascade cannot trigger it.
          simulator.store.stacks.setDisabled('dns', true);
          // Somebody's push to the network stack.
          const push = simulator.store.triggerRun('network', { type: 'TRACKED', triggeredBy: null });
          const seen = new Map<string, Set<string>>();
          const watch = ['network', 'database', 'api', 'web', 'warehouse', 'reporting', 'dns'];
          const finalState = {
            database: 'finished',
            api: 'finished',
            web: 'finished',
            warehouse: 'failed',
            reporting: 'blocked',
            dns: 'blocked',
          };
          const deadline = Date.now() + 120_000;
          let shot = false;
          for (;;) {
            // One snapshot of every watched stack per round: what is recorded is what is checked.
            const snapshot = await page.evaluate((ids) => {
              const out: Record<string, string> = {};
              for (const id of ids) {
                out[id] =
                  document.querySelector(`#graph g.node[data-id="${id}"]`)?.getAttribute('data-state') ??
                  'missing';
              }
              return out;
            }, watch);
            for (const id of watch) {
              if (!seen.has(id)) seen.set(id, new Set());
              seen.get(id)!.add(snapshot[id]!);
            }
            const states = Object.keys(finalState).map((id) => snapshot[id]);
            if (!shot && process.env.DASHBOARD_SCREENSHOT && states[3] === 'failed') {
              shot = true;
              await screenshot(page);
            }
            if (states.every((s, i) => s === Object.values(finalState)[i])) break;
            if (Date.now() > deadline) throw new Error(`stacks did not settle: ${JSON.stringify(states)}`);
            await page.waitForTimeout(150);
          }
          // Each stack went through a run in the page's eyes: queued or running, then its end state.
          for (const id of ['database', 'api', 'web']) {
            const states = seen.get(id)!;
            expect([...states], id).toContain('finished');
            expect(
              ['queued', 'running', 'triggering'].some((s) => states.has(s)),
              `${id}: ${[...states].join(', ')}`,
            ).toBe(true);
          }
          expect([...seen.get('api')!], 'api waited for its upstreams').toContain('waiting');
          // The colour is the state's: finished green, failed red.
          const fill = (id: string) =>
            page.locator(`#graph g.node[data-id="${id}"] rect`).evaluate((el) => getComputedStyle(el).fill);
          expect(await fill('web')).toBe('rgb(74, 222, 128)');
          expect(await fill('warehouse')).toBe('rgb(220, 38, 38)');
          expect(simulator.store.findRun(push.id)?.state).toBe('FINISHED');

          // The cascade list: selecting the cascade shows its timeline.
          const cascade = page.locator('#cascade-list button.cascade').first();
          await cascade.waitFor();
          expect(await cascade.textContent()).toContain('network');
          if ((await cascade.getAttribute('aria-pressed')) !== 'true') await cascade.click();
          const timeline = page.getByRole('table', { name: /Timeline of cascade-/ });
          await timeline.waitFor();
          expect(await timeline.locator('tbody tr').count()).toBeGreaterThanOrEqual(10);
          expect(await timeline.textContent()).toContain('reporting');
          // A stack that cannot be triggered says what to do, in the CLI's words.
          const disabledWords =
            'disabled in Spacelift: enable it, then run `spacelift-cascade trigger dns` or push to it';
          expect(await timeline.locator('tr', { hasText: 'dns' }).textContent()).toContain(disabledWords);
          expect(await timeline.locator('tr', { hasText: 'reporting' }).textContent()).toContain(
            'blocked: upstream warehouse failed: run ',
          );
          await page.locator('#stack-list [data-id="dns"]').click();
          await expect
            .poll(() => page.locator('#details-body p.view').textContent())
            .toContain(disabledWords);
          expect(await page.locator('#details-body p.view').textContent()).not.toContain('blocked by');

          // Select a stack from the graph (queries need the worker up): its runs (from the simulator's API) and its plan.
          await page.locator('#graph g.node[data-id="database"]').click();
          const details = page.locator('#details-body');
          await expect.poll(() => details.locator('.stack-title').textContent()).toContain('Database');
          await expect.poll(() => details.textContent()).toContain('A change of it would trigger');
          const waves = (await details.locator('ol.waves li').allTextContents()).map((w) =>
            w.replace(' (in parallel)', '').split(', ').sort(),
          );
          expect(waves).toEqual([
            ['api', 'warehouse'],
            ['reporting', 'web', 'worker'],
          ]);
          // The plan is lit on the graph: the stack, what it would trigger, and its upstream.
          const lit = await page
            .locator('#graph g.node.lit')
            .evaluateAll((els) => els.map((el) => el.getAttribute('data-id')).sort());
          expect(lit).toEqual(['api', 'database', 'network', 'reporting', 'warehouse', 'web', 'worker']);
          const runLink = details.locator('table.runs a').first();
          expect(await runLink.getAttribute('href')).toMatch(
            new RegExp(`^${simulator.baseUrl}/stack/database/run/`),
          );
          expect(await details.locator('table.runs').textContent()).toContain('FINISHED');
          // Whole run ids and identities, wrapped inside the panel, never cut ("AP7T…").
          const databaseRun = simulator.store.stackRuns('database')![0]!;
          const row = details.locator('table.runs tbody tr').first();
          expect(await row.locator('td.id').textContent()).toBe(databaseRun.id);
          expect(await row.locator('td.by').textContent()).toBe(identity);
          for (const cell of [row.locator('td.id'), row.locator('td.by')]) {
            const fits = await cell.evaluate((el) => el.scrollWidth <= el.clientWidth);
            expect(fits, (await cell.textContent()) ?? undefined).toBe(true);
          }
          const panel = (await page.locator('#details').boundingBox())!;
          const table = (await details.locator('table.runs').boundingBox())!;
          expect(table.x + table.width).toBeLessThanOrEqual(panel.x + panel.width);
          if (process.env.DASHBOARD_SCREENSHOT_DIR) {
            await page.screenshot({ path: `${process.env.DASHBOARD_SCREENSHOT_DIR}/database-runs.png` });
            await page.locator('#graph g.node[data-id="legacy-vpn"]').click();
            await page.waitForTimeout(500);
            await page.screenshot({ path: `${process.env.DASHBOARD_SCREENSHOT_DIR}/dangling.png` });
          }
          await simulator.webhooksIdle();
        },
        identity,
      );
      simulator.store.stacks.setDisabled('dns', false);

      expect(errors).toEqual([]);
      await page.close();
    },
  );

  it('the stack list is a keyboard-navigable listbox with accessible names', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors = watchErrors(page);
    await page.goto(`${url}/`);
    const list = page.getByRole('listbox', { name: /Stacks/ });
    await list.getByRole('option').first().waitFor();
    expect(await list.getByRole('option').count()).toBe(simulator.store.listStacks().length);
    // Each option's name says the stack and its state, for a screen reader.
    expect(await list.getByRole('option', { name: /^Network \(network\): / }).count()).toBe(1);

    const first = list.getByRole('option').first();
    await first.focus();
    await page.keyboard.press('ArrowDown');
    const second = list.getByRole('option').nth(1);
    expect(await second.getAttribute('aria-selected')).toBe('true');
    expect(await second.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await first.getAttribute('aria-selected')).toBe('false');
    await page.keyboard.press('End');
    const last = list.getByRole('option').last();
    expect(await last.getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Home');
    expect(await first.getAttribute('aria-selected')).toBe('true');
    // Only the selected option is in the tab order (roving tabindex).
    expect(await list.locator('[role="option"][tabindex="0"]').count()).toBe(1);
    // Selecting shows the stack's details, and lights it up on the graph.
    const name = await first.getAttribute('data-id');
    await expect.poll(() => page.locator('#details-body .stack-title').textContent()).toContain(name!);
    expect(await page.locator(`#graph g.node.selected[data-id="${name}"]`).count()).toBe(1);

    // Filtering narrows the list; arrows move among what is shown.
    await page.getByRole('searchbox', { name: 'Filter stacks' }).fill('team:apps');
    await expect.poll(() => list.getByRole('option').count()).toBe(4);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('dashboard actions', () => {
  it(
    'with CASCADE_ADMIN_TOKEN set, a running cascade can be canceled from the page with the token',
    { timeout: 120_000 },
    async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors = watchErrors(page);
      await page.goto(`${adminUrl}/`);
      // The page loads without the token, then asks for it: the API needs it.
      const ask = page.locator('#token-form');
      await ask.waitFor();
      expect(await page.locator('#graph g.node').count()).toBe(0);
      // A wrong token is refused and not kept.
      await ask.getByLabel('Admin token for this tab').fill('not-the-admin-token');
      await ask.getByRole('button', { name: 'Unlock' }).click();
      await expect
        .poll(() => page.locator('#token-message').textContent())
        .toContain('The token was refused');
      expect(await ask.isVisible()).toBe(true);
      await ask.getByLabel('Admin token for this tab').fill(ADMIN_TOKEN);
      await ask.getByRole('button', { name: 'Unlock' }).click();
      await page.locator('#graph g.node[data-id="network"]').waitFor();
      expect(await ask.isVisible()).toBe(false);
      // Asked once per tab: a reload keeps it.
      await page.reload();
      await page.locator('#graph g.node[data-id="network"]').waitFor();
      expect(await ask.isVisible()).toBe(false);
      const api = new Spacelift({
        baseUrl: simulator.baseUrl,
        keyId: simulator.apiKey.id,
        keySecret: simulator.apiKey.secret,
      });
      await harness.withWorker(
        api,
        async () => {
          simulator.store.triggerRun('network', { type: 'TRACKED', triggeredBy: null });
          const cascade = page.locator('#cascade-list button.cascade', { hasText: 'running' }).first();
          await cascade.waitFor({ timeout: 60_000 });
          await cascade.click();
          const form = page.locator('form.cancel');
          await form.waitFor();
          // The tab has the token already: the action does not ask again.
          expect(await form.getByLabel('Admin token').count()).toBe(0);
          await form.getByRole('button', { name: 'Cancel cascade' }).click();
          await expect
            .poll(() => page.locator('#cascade-body').textContent(), { timeout: 60_000 })
            .toMatch(/ canceled · started/);
          // The token is never shown: not in the page's text, not in any attribute.
          expect(await page.content()).not.toContain(ADMIN_TOKEN);
          await simulator.webhooksIdle();
        },
        `api::${simulator.apiKey.id}`,
      );
      expect(errors.filter((e) => !e.includes('401'))).toEqual([]);
      await page.close();
    },
  );
});

describe("the service's problems", () => {
  /** An admin listener over an in-memory estate, answering `problems` on /api/status. */
  async function adminOver(source: FakeDashboardSource, problems: () => Problem[]) {
    const server = buildAdminServer({
      host: '127.0.0.1',
      port: 0,
      adminToken: null,
      dashboard: { source, labelPrefix: 'dependsOn:' },
      problems,
      logger: pino({ level: 'silent' }),
    });
    return { url: await server.listen(), close: () => server.close() };
  }
  const records = [{ id: 'network', name: 'Network', space: null, labels: [], nativeUpstreams: [] }];

  it('are shown in words beside the estate, and go when fixed', { timeout: 60_000 }, async () => {
    let problems: Problem[] = [
      {
        part: 'spacelift',
        message:
          'Spacelift refused API key 01HXYZ (unauthorized): check SPACELIFT_KEY_ID and SPACELIFT_KEY_SECRET',
      },
    ];
    const server = await adminOver(new FakeDashboardSource(records), () => problems);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      const errors = watchErrors(page);
      await page.goto(`${server.url}/`);
      await page.locator('#graph g.node[data-id="network"]').waitFor();
      const shown = page.getByRole('alert', { name: 'What is wrong with the service' });
      await expect
        .poll(() => shown.textContent())
        .toBe(
          'Spacelift: Spacelift refused API key 01HXYZ (unauthorized): check SPACELIFT_KEY_ID and SPACELIFT_KEY_SECRET',
        );
      await expect
        .poll(() => page.locator('#status').textContent())
        .toMatch(/^Running, but 1 problem \(below\) · 1 stacks · /);
      problems = [];
      await expect.poll(() => shown.isVisible(), { timeout: 15_000 }).toBe(false);
      await expect.poll(() => page.locator('#status').textContent()).toMatch(/^Live · 1 stacks · /);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await server.close();
    }
  });

  it('replace "Connection problem" when the API cannot answer', { timeout: 60_000 }, async () => {
    const source = new FakeDashboardSource(records);
    source.failWith = new DashboardUnavailableError('estate');
    const server = await adminOver(source, () => [
      { part: 'temporal', message: 'Temporal at 127.0.0.1:7233 does not answer: check TEMPORAL_ADDRESS' },
    ]);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    try {
      await page.goto(`${server.url}/`);
      const status = page.locator('#status');
      await expect
        .poll(() => status.textContent())
        .toBe('Temporal: Temporal at 127.0.0.1:7233 does not answer: check TEMPORAL_ADDRESS. Retrying…');
      expect(await status.getAttribute('class')).toContain('error');
      // The read's own error stays at hand.
      expect(await status.getAttribute('title')).toContain('Temporal did not answer (estate)');
    } finally {
      await page.close();
      await server.close();
    }
  });
});

async function screenshot(page: Page): Promise<void> {
  // The stack a reader cares about, and the cascade with its timeline.
  await page.locator('#stack-list [data-id="api"]').click();
  const cascade = page.locator('#cascade-list button.cascade').first();
  if ((await cascade.getAttribute('aria-pressed')) !== 'true') await cascade.click();
  await page.getByRole('table', { name: /Timeline of cascade-/ }).waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: SCREENSHOT.pathname });
}
