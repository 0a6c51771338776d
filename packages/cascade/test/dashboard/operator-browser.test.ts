/**
 * The dashboard's operator controls in a real browser (Debian's chromium, driven by
 * playwright-core) over an in-memory estate: the name typed once, the token, freeze and
 * unfreeze, and the banner every page view shows while frozen.
 */
import { existsSync } from 'node:fs';
import { pino } from 'pino';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer, type AdminServer } from '../../src/admin/admin-server.js';
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
  source = new FakeDashboardSource(
    [
      { id: 'network', name: 'Network', space: null, labels: [], nativeUpstreams: [] },
      { id: 'database', name: 'Database', space: null, labels: ['dependsOn:network'], nativeUpstreams: [] },
    ],
    { database: { state: 'held', hold: 'freeze', reason: 'the estate is frozen by alice', heldSince: 0 } },
  );
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

describe('operator controls on the dashboard', () => {
  it(
    'freeze with a name typed once and the token; the banner says who and why; unfreeze',
    { timeout: 60_000 },
    async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      try {
        await page.goto(`${url}/`);
        await page.locator('#token-input').fill(TOKEN);
        await page.locator('#token-form button').click();
        await page.locator('#graph g.node[data-id="network"]').waitFor();
        await page.getByLabel('Your name, shown with your actions').fill('alice');
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
