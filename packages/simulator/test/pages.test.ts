import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/index.js';
import { escapeHtml } from '../src/html-pages.js';

let sim: Simulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const seed = {
  stacks: [
    { id: 'net', name: 'Network <main>', labels: ['team:platform', 'x"><script>alert(1)</script>'] },
    { id: 'app', labels: ['dependsOn:net'] },
  ],
};

async function get(path: string): Promise<{ status: number; type: string | null; html: string }> {
  const response = await fetch(`${sim!.baseUrl}${path}`);
  return { status: response.status, type: response.headers.get('content-type'), html: await response.text() };
}

describe('HTML pages for the links the simulator and the cascade print', () => {
  it('escapes text for HTML', () => {
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;',
    );
  });

  it('/stack/<id> shows labels (escaped), the lock and the runs with links', async () => {
    sim = await startSimulator({ seed, stateDurationMs: 60_000 });
    const run = sim.store.triggerRun('net', { triggeredBy: 'jane@example.com' });
    sim.store.stacks.lock('net', 'api::OPS', 'db migration');
    const { status, type, html } = await get('/stack/net');
    expect(status).toBe(200);
    expect(type).toBe('text/html; charset=utf-8');
    expect(html).toContain('Stack Network &lt;main&gt;');
    expect(html).toContain('<code>team:platform</code>');
    expect(html).toContain('x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('locked by api::OPS');
    expect(html).toContain('(db migration)');
    expect(html).toContain(`<a href="/stack/net/run/${run.id}">${run.id}</a>`);
    expect(html).toContain('jane@example.com');
  });

  it('/stack/<id>/run/<id> shows the state history with times, who triggered it and the commit', async () => {
    sim = await startSimulator({ seed, stateDurationMs: 60_000 });
    const run = sim.store.triggerRun('app', { triggeredBy: null, commitSha: 'abcdef1234567890' });
    sim.store.runs.step('app', run.id);
    const { status, html } = await get(`/stack/app/run/${run.id}`);
    expect(status).toBe(200);
    expect(html).toContain(`Run <code>${run.id}</code>`);
    expect(html).toContain('<tr><th>triggered by</th><td>Git commit</td></tr>');
    expect(html).toContain('abcdef1234567890');
    // Newest first, each with its time.
    expect(html.indexOf('<td>2</td><td>READY</td>')).toBeLessThan(html.indexOf('<td>1</td><td>QUEUED</td>'));
    expect(html).toMatch(/<td>QUEUED<\/td><td>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
  });

  it('answers 404 for an unknown stack or run', async () => {
    sim = await startSimulator({ seed });
    expect((await get('/stack/nope')).status).toBe(404);
    expect((await get('/stack/net/run/01NOPE')).status).toBe(404);
    expect((await get('/stack/%E0%A4%A')).status).toBe(404);
  });
});
