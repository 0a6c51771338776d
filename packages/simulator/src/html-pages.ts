import { isTerminalRunState } from 'spacelift-client';
import type { RunRecord } from './spacelift/runs.js';
import type { SpaceliftStore } from './spacelift/spacelift-store.js';
import type { StackRecord } from './spacelift/stacks.js';

/*
 * The pages behind the links the simulator and the cascade print (`/stack/<id>`,
 * `/stack/<id>/run/<id>`): plain server-rendered HTML, every value escaped. Pure.
 */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const time = (unixSeconds: number): string => new Date(unixSeconds * 1000).toISOString();
const stackPath = (stackId: string): string => `/stack/${encodeURIComponent(stackId)}`;
const runPath = (run: RunRecord): string => `${stackPath(run.stackId)}/run/${encodeURIComponent(run.id)}`;

function page(title: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)} · Spacelift simulator</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}',
    'td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}code{font-size:.9em}</style>',
    '</head><body>',
    body,
    '</body></html>',
    '',
  ].join('\n');
}

/** `triggeredBy` in words: null is a git push (or drift detection), as spacectl shows it. */
function triggeredBy(run: RunRecord): string {
  if (run.triggeredBy !== null) return run.triggeredBy;
  return run.driftDetection ? 'drift detection' : 'Git commit';
}

/** A stack: its settings, labels, lock and runs (newest first). */
function stackPage(store: SpaceliftStore, stack: StackRecord): string {
  const runs = [...(store.runs.ofStack(stack.id) ?? [])].reverse();
  const labels = stack.labels.map((l) => `<li><code>${escapeHtml(l)}</code></li>`).join('');
  const lock = stack.lockedBy
    ? `locked by ${escapeHtml(stack.lockedBy)} since ${time(stack.lockedAt ?? 0)}${
        stack.lockNote ? ` (${escapeHtml(stack.lockNote)})` : ''
      }`
    : 'not locked';
  const rows = runs
    .map(
      (r) =>
        `<tr><td><a href="${escapeHtml(runPath(r))}">${escapeHtml(r.id)}</a></td><td>${escapeHtml(r.type)}</td>` +
        `<td>${escapeHtml(r.state)}</td><td>${escapeHtml(triggeredBy(r))}</td><td>${time(r.createdAt)}</td></tr>`,
    )
    .join('\n');
  return page(
    `Stack ${stack.name}`,
    [
      `<h1>Stack ${escapeHtml(stack.name)} <small><code>${escapeHtml(stack.id)}</code></small></h1>`,
      `<p>Space <code>${escapeHtml(stack.space)}</code> · state ${escapeHtml(store.runs.stackState(stack.id))} · ` +
        `autodeploy ${stack.autodeploy ? 'on' : 'off'}${stack.isDisabled ? ' · <strong>disabled</strong>' : ''}</p>`,
      `<p>Lock: ${lock}</p>`,
      `<h2>Labels</h2>${labels ? `<ul>${labels}</ul>` : '<p>none</p>'}`,
      '<h2>Runs</h2>',
      runs.length === 0
        ? '<p>none</p>'
        : `<table><tr><th>run</th><th>type</th><th>state</th><th>triggered by</th><th>created</th></tr>\n${rows}</table>`,
    ].join('\n'),
  );
}

/** A run: state history with times (newest first), who triggered it, its commit. */
export function runPage(stack: StackRecord, run: RunRecord): string {
  const history = [...run.history]
    .reverse()
    .map(
      (h) =>
        `<tr><td>${h.stateVersion}</td><td>${escapeHtml(h.state)}</td><td>${time(h.timestamp)}</td>` +
        `<td>${escapeHtml(h.note ?? '')}</td></tr>`,
    )
    .join('\n');
  const commitUrl = run.commit.url
    ? `<a href="${escapeHtml(run.commit.url)}"><code>${escapeHtml(run.commit.hash)}</code></a>`
    : `<code>${escapeHtml(run.commit.hash)}</code>`;
  return page(
    `Run ${run.id}`,
    [
      `<p><a href="${escapeHtml(stackPath(stack.id))}">← stack ${escapeHtml(stack.name)}</a></p>`,
      `<h1>Run <code>${escapeHtml(run.id)}</code></h1>`,
      '<table>',
      `<tr><th>state</th><td>${escapeHtml(run.state)}${isTerminalRunState(run.state) ? ' (ended)' : ''}</td></tr>`,
      `<tr><th>type</th><td>${escapeHtml(run.type)}${run.driftDetection ? ' (drift detection)' : ''}</td></tr>`,
      `<tr><th>triggered by</th><td>${escapeHtml(triggeredBy(run))}</td></tr>`,
      `<tr><th>commit</th><td>${commitUrl} ${escapeHtml(run.commit.message)}</td></tr>`,
      `<tr><th>branch</th><td>${escapeHtml(run.branch)}</td></tr>`,
      `<tr><th>created</th><td>${time(run.createdAt)}</td></tr>`,
      '</table>',
      '<h2>State history</h2>',
      `<table><tr><th>version</th><th>state</th><th>at</th><th>note</th></tr>\n${history}</table>`,
    ].join('\n'),
  );
}

/** The page for a GET path, or `null` when the path is not a page (or names nothing). */
export function renderPage(store: SpaceliftStore, pathname: string): string | null {
  const match = /^\/stack\/([^/]+)(?:\/run\/([^/]+))?\/?$/.exec(pathname);
  if (!match) return null;
  let stackId: string;
  let runId: string | undefined;
  try {
    stackId = decodeURIComponent(match[1]!);
    runId = match[2] === undefined ? undefined : decodeURIComponent(match[2]);
  } catch {
    return null;
  }
  const stack = store.stacks.get(stackId);
  if (!stack) return null;
  if (runId === undefined) return stackPage(store, stack);
  const run = store.runs.get(stackId, runId);
  return run ? runPage(stack, run) : null;
}
