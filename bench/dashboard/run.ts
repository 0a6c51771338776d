/**
 * Dashboard in Chromium: time from navigation to the estate's graph laid out and drawn (and
 * painted), for 100 (baseline), 1,000 and 10,000 stacks, plus 10,000 filtered to one stack's
 * neighbourhood. The page is served by the real admin listener (buildAdminServer) over an
 * in-memory estate. Writes bench/results/dashboard.json.
 *
 *   node --conditions=source --import tsx bench/dashboard/run.ts
 */
import { writeFile } from 'node:fs/promises';
import { pino } from 'pino';
import { chromium, type Page } from 'playwright-core';
import { buildAdminServer } from '../../packages/cascade/src/admin/admin-server.js';
import {
  FakeDashboardSource,
  layeredEstate,
} from '../../packages/cascade/test/dashboard/fake-dashboard-source.js';
import { percentiles } from '../percentiles.js';
import { waitForFirstDraw } from './first-draw.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REPEATS = Number(process.env.DASHBOARD_BENCH_REPEATS ?? 5);
const BUDGET_MS = 2000;

interface Sample {
  /** Navigation start to the graph drawn and painted (two animation frames after). */
  totalMs: number;
  fetchMs: number;
  layoutMs: number;
  drawMs: number;
  drawnNodes: number;
}

async function serve(count: number): Promise<{ url: string; close: () => Promise<void> }> {
  const records = layeredEstate(count, Math.max(4, Math.round(count / 200)));
  const states = Object.fromEntries(
    records.map((r, i) => [
      r.id,
      i % 7 === 0
        ? { state: 'finished' as const, runId: `run-${i}`, runUrl: `http://sim/stack/${r.id}/run/run-${i}` }
        : { state: 'idle' as const },
    ]),
  );
  const source = new FakeDashboardSource(records, states);
  const admin = buildAdminServer({
    host: '127.0.0.1',
    port: 0,
    adminToken: null,
    dashboard: { source, labelPrefix: 'dependsOn:' },
    logger: pino({ level: 'silent' }),
  });
  return { url: await admin.listen(), close: () => admin.close() };
}

async function firstDraw(page: Page, url: string): Promise<Sample> {
  await page.goto(url);
  await waitForFirstDraw(page, 120_000);
  return page.evaluate(async () => {
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    const t = (window as unknown as { __dashboard: { timings: Record<string, number> } }).__dashboard.timings;
    return {
      totalMs: performance.now(),
      fetchMs: t.fetchMs!,
      layoutMs: t.layoutMs!,
      drawMs: t.drawMs!,
      drawnNodes: t.drawnNodes!,
    };
  });
}

/** After the first draw: select one stack in the list and time until its neighbourhood is drawn. */
async function neighbourhood(page: Page, url: string, stackId: string): Promise<Sample> {
  await firstDraw(page, url);
  return page.evaluate(async (id) => {
    const d = (window as unknown as { __dashboard: { timings: Record<string, number> } }).__dashboard;
    const before = performance.now();
    document.getElementById(`stack-${id}`)!.click();
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return {
      totalMs: performance.now() - before,
      fetchMs: 0,
      layoutMs: d.timings.layoutMs!,
      drawMs: d.timings.drawMs!,
      drawnNodes: d.timings.drawnNodes!,
    };
  }, stackId);
}

function summary(samples: Sample[]) {
  const pick = (k: keyof Sample) => percentiles(samples.map((s) => s[k]));
  return {
    runs: samples.length,
    drawnNodes: samples[0]!.drawnNodes,
    totalMs: pick('totalMs'),
    layoutMs: pick('layoutMs'),
    drawMs: pick('drawMs'),
    fetchMs: pick('fetchMs'),
  };
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
const results: Record<string, ReturnType<typeof summary> & { stacks: number; view: string }> = {};
try {
  const scenarios: Array<{
    name: string;
    stacks: number;
    view: string;
    run: (p: Page, url: string) => Promise<Sample>;
  }> = [
    { name: 'baseline100', stacks: 100, view: 'whole estate', run: firstDraw },
    { name: 'stacks1000', stacks: 1000, view: 'whole estate', run: firstDraw },
    { name: 'stacks10000', stacks: 10_000, view: 'grouped by space', run: firstDraw },
    {
      name: 'stacks10000Neighbourhood',
      stacks: 10_000,
      view: "one stack's neighbourhood (select in the list)",
      run: (p, url) => neighbourhood(p, url, 'stack-4500'),
    },
  ];
  for (const scenario of scenarios) {
    const server = await serve(scenario.stacks);
    try {
      const samples: Sample[] = [];
      for (let i = 0; i < REPEATS; i++) {
        const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
        const page = await context.newPage();
        samples.push(await scenario.run(page, `${server.url}/`));
        await context.close();
      }
      results[scenario.name] = { stacks: scenario.stacks, view: scenario.view, ...summary(samples) };
      const r = results[scenario.name]!;
      console.log(
        `${scenario.name.padEnd(26)} ${String(r.drawnNodes).padStart(5)} drawn  total p50 ${r.totalMs.p50} ms (p90 ${r.totalMs.p90})  layout p50 ${r.layoutMs.p50} ms  draw p50 ${r.drawMs.p50} ms`,
      );
    } finally {
      await server.close();
    }
  }
} finally {
  await browser.close();
}

const output = {
  benchmark: 'dashboard: navigation to graph laid out, drawn and painted, in Chromium',
  date: new Date().toISOString(),
  node: process.version,
  chromium: CHROMIUM,
  budgetMs: BUDGET_MS,
  withinBudget1000: results.stacks1000!.totalMs.p90 <= BUDGET_MS,
  note: 'totalMs counts from navigation start (page, scripts, /api/estate fetch, dagre layout, SVG draw, paint); 2 cores shared with other work',
  results,
};
await writeFile(
  new URL('../results/dashboard.json', import.meta.url),
  `${JSON.stringify(output, null, 2)}\n`,
);
console.log('wrote bench/results/dashboard.json');
