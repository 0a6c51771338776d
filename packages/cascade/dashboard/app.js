// @ts-check
/**
 * The dashboard page: reads the JSON API, polls each stack's state every second (the graph is
 * laid out again only when a stack, label or edge changes), and shows a stack, the cascades
 * and the problems. Plain ES module, no build step.
 */
import { GraphView } from './graph-view.js';
import {
  MAX_DRAWN,
  escapeHtml,
  STATES,
  clock,
  danglingWords,
  describeView,
  drawingFor,
  duration,
  planStacks,
  unknownUpstreams,
} from './estate-view.js';

/** @typedef {import('./estate-view.js').EstateStack} EstateStack */
/** @typedef {import('./estate-view.js').StackView} StackView */

const POLL_MS = 1000;
const CASCADES_EVERY = 2;
/** The service's own problems (GET /api/status) are read every this many polls, and on any failure. */
const STATUS_EVERY = 5;
const TOKEN_KEY = 'spacelift-cascade-admin-token';
/** The name an operator types once: it labels their actions (the token authorizes them). */
const NAME_KEY = 'spacelift-cascade-operator-name';
/** Cascades that may still change: under way, or blocked (a later cascade may take their stacks over). */
const OPEN_PHASES = new Set(['running', 'held', 'blocked']);
/** @type {Record<string, string>} */
const PART_NAMES = {
  spacelift: 'Spacelift',
  temporal: 'Temporal',
  worker: 'Worker',
  account: 'Account',
  webhooks: 'Webhooks',
  config: 'Configuration',
};

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {Array<Node | string | null | undefined | false>} [children]
 */
function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c) el.append(c);
  return el;
}

/**
 * Fetches JSON with the tab's admin token, if it has one; throws with the API's message on an
 * error answer. @param {string} url @param {RequestInit} [init]
 */
async function getJson(url, init = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = token ? { authorization: `Bearer ${token}`, ...init.headers } : init.headers;
  const res = await fetch(url, { ...init, headers });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const error = new Error(body?.message ?? `${res.status} ${res.statusText}`);
    /** @type {any} */ (error).status = res.status;
    throw error;
  }
  return body;
}

const state = {
  /** @type {any} */ estate: null,
  /** @type {Map<string, EstateStack>} */ stacks: new Map(),
  /** @type {string | null} */ selected: null,
  /** @type {any} */ detail: null,
  /** @type {string | null} */ cascadeId: null,
  /** @type {any} */ cascade: null,
  /** @type {any[]} */ cascades: [],
  /** @type {Set<string> | null} */ problemLit: null,
  /** What the graph lights up: the latest thing chosen. */
  focus: /** @type {'stack' | 'cascade' | 'problem'} */ ('stack'),
  mode: 'all',
  filter: '',
  tick: 0,
  /** The service's open problems; null until read (or when it cannot be read). */
  /** @type {Array<{ part: string, message: string }> | null} */ serviceProblems: null,
  /** The API refused the tab's token (or it has none): reads wait for one. */
  needToken: false,
  timings: /** @type {Record<string, number>} */ ({}),
};

const graph = new GraphView(/** @type {SVGSVGElement} */ (/** @type {unknown} */ ($('graph'))), {
  onSelect: (id) => {
    if (id.startsWith('space:')) setMode(id);
    else void selectStack(id, { reveal: false });
  },
});

// ---- legend ----------------------------------------------------------------------------
for (const s of STATES) {
  $('legend').append(
    h('li', {}, [h('span', { class: 'swatch', 'data-state': s.state, 'aria-hidden': 'true' }), s.label]),
  );
}

// ---- stack list (listbox, roving focus) -------------------------------------------------
/** @type {Map<string, HTMLElement>} */
const rows = new Map();

/** Stacks with dangling `dependsOn:` labels -> the unknown ids (filled by renderList). */
/** @type {Map<string, string[]>} */
const dangling = new Map();

/** @param {EstateStack} s @param {string[]} missing */
function rowLabel(s, missing) {
  const note = missing.length ? `; ${danglingWords(missing)}` : '';
  return `${s.name}${s.name !== s.id ? ` (${s.id})` : ''}: ${describeView(s.view, s.id)}${note}`;
}

function renderList() {
  const list = $('stack-list');
  rows.clear();
  // One HTML string: 10,000 rows in one parse, far faster than 40,000 createElement calls.
  const html = [];
  const known = new Set(state.stacks.keys());
  dangling.clear();
  for (const s of state.stacks.values()) {
    const missing = unknownUpstreams(s, known);
    if (missing.length) dangling.set(s.id, missing);
    html.push(
      `<li role="option" id="stack-${escapeHtml(s.id)}" data-id="${escapeHtml(s.id)}" tabindex="-1" ` +
        `aria-selected="${s.id === state.selected}" aria-label="${escapeHtml(rowLabel(s, missing))}">` +
        `<span class="swatch" data-state="${escapeHtml(s.view.state)}" aria-hidden="true"></span>` +
        `<span class="name">${escapeHtml(s.name)}</span>` +
        (missing.length
          ? `<span class="badge" title="${escapeHtml(danglingWords(missing))}" aria-hidden="true">?</span>`
          : '') +
        `<span class="state" aria-hidden="true">${escapeHtml(s.view.state)}</span></li>`,
    );
  }
  list.innerHTML = html.join('');
  for (const row of list.children)
    rows.set(row.getAttribute('data-id') ?? '', /** @type {HTMLElement} */ (row));
  applyFilter();
  const first = state.selected ? rows.get(state.selected) : visibleRows()[0];
  if (first) first.tabIndex = 0;
  $('stack-count').textContent = `(${state.stacks.size})`;
}

/** @param {EstateStack} s */
function updateRow(s) {
  const row = rows.get(s.id);
  if (!row) return;
  row.setAttribute('aria-label', rowLabel(s, dangling.get(s.id) ?? []));
  row.querySelector('.swatch')?.setAttribute('data-state', s.view.state);
  const text = row.querySelector('.state');
  if (text) text.textContent = s.view.state;
}

function visibleRows() {
  return [...rows.values()].filter((r) => !r.hidden);
}

function applyFilter() {
  const q = state.filter.trim().toLowerCase();
  for (const [id, row] of rows) {
    const s = state.stacks.get(id);
    row.hidden =
      q !== '' &&
      !(
        id.toLowerCase().includes(q) ||
        s?.name.toLowerCase().includes(q) ||
        (s?.space ?? '').toLowerCase().includes(q) ||
        s?.labels.some((l) => l.toLowerCase().includes(q))
      );
  }
}

$('stack-filter').addEventListener('input', (event) => {
  state.filter = /** @type {HTMLInputElement} */ (event.target).value;
  applyFilter();
});

$('stack-list').addEventListener('click', (event) => {
  const row = /** @type {Element} */ (event.target).closest('[role="option"]');
  if (row) void selectStack(row.getAttribute('data-id') ?? '', { focus: true });
});

$('stack-list').addEventListener('keydown', (event) => {
  const visible = visibleRows();
  if (visible.length === 0) return;
  const current = /** @type {HTMLElement | null} */ (
    document.activeElement?.closest('[role="option"]') ?? null
  );
  let index = current ? visible.indexOf(current) : -1;
  switch (event.key) {
    case 'ArrowDown':
      index = Math.min(visible.length - 1, index + 1);
      break;
    case 'ArrowUp':
      index = Math.max(0, index - 1);
      break;
    case 'Home':
      index = 0;
      break;
    case 'End':
      index = visible.length - 1;
      break;
    case 'PageDown':
      index = Math.min(visible.length - 1, index + 10);
      break;
    case 'PageUp':
      index = Math.max(0, index - 10);
      break;
    case 'Enter':
    case ' ':
      if (current) void selectStack(current.getAttribute('data-id') ?? '', { focus: true });
      event.preventDefault();
      return;
    default:
      return;
  }
  event.preventDefault();
  const target = visible[index];
  if (target) void selectStack(target.getAttribute('data-id') ?? '', { focus: true });
});

// ---- selection --------------------------------------------------------------------------
/**
 * @param {string} id
 * @param {{ focus?: boolean, reveal?: boolean }} [how]
 */
async function selectStack(id, how = {}) {
  if (!state.stacks.has(id)) return;
  const previous = state.selected ? rows.get(state.selected) : null;
  if (previous) {
    previous.setAttribute('aria-selected', 'false');
    previous.tabIndex = -1;
  }
  state.selected = id;
  state.problemLit = null;
  state.focus = 'stack';
  const row = rows.get(id);
  if (row) {
    row.setAttribute('aria-selected', 'true');
    row.tabIndex = 0;
    if (how.focus) row.focus();
    row.scrollIntoView({ block: 'nearest' });
  }
  if (!graph.nodes.has(id) || state.mode.startsWith('neighbourhood:')) {
    // Not drawn (a large estate): show its neighbourhood.
    if (state.stacks.size > MAX_DRAWN || state.mode.startsWith('neighbourhood:'))
      setMode(`neighbourhood:${id}`);
  }
  if (how.reveal !== false) graph.reveal(id);
  applyHighlight();
  await loadDetail();
}

async function loadDetail() {
  const id = state.selected;
  if (!id) return;
  try {
    const detail = await getJson(`/api/stacks/${encodeURIComponent(id)}`);
    if (state.selected !== id) return;
    state.detail = detail;
    renderDetail();
    applyHighlight();
  } catch (err) {
    if (state.selected === id)
      $('details-body').replaceChildren(
        h('p', { class: 'error' }, [String(/** @type {Error} */ (err).message)]),
      );
  }
}

/** Lights up what is selected: the stack and its plan; a cascade's stacks; a problem's stacks. */
function applyHighlight() {
  /** @type {Set<string> | null} */
  let lit = null;
  if (state.focus === 'problem' && state.problemLit) lit = state.problemLit;
  else if (state.focus === 'cascade' && state.cascade)
    lit = new Set(
      Object.keys(state.cascade.stacks).concat(
        state.cascade.changes.map((/** @type {any} */ c) => c.stackId),
      ),
    );
  else if (state.detail && state.detail.id === state.selected) {
    lit = planStacks(state.detail.plan);
    for (const u of state.detail.upstreams) lit.add(u);
  } else if (state.selected) lit = new Set([state.selected]);
  graph.highlight({ selected: state.selected, lit });
}

// ---- details ----------------------------------------------------------------------------
/** @param {string} id */
function stackButton(id) {
  const button = h('button', { type: 'button', class: 'link' }, [id]);
  button.addEventListener('click', () => void selectStack(id, { focus: false }));
  return button;
}

/** @param {string} title @param {string[]} ids @param {string[]} [unknown] ids that name no stack */
function idList(title, ids, unknown = []) {
  return h('div', { class: 'field' }, [
    h('h3', {}, [title]),
    ids.length
      ? h(
          'ul',
          { class: 'inline' },
          ids.map((id) =>
            h('li', {}, [
              unknown.includes(id)
                ? h('span', { class: 'unknown' }, [`${id} (unknown stack)`])
                : stackButton(id),
            ]),
          ),
        )
      : h('p', { class: 'muted' }, ['none']),
  ]);
}

/** @param {StackView} view @param {string} stackId */
function viewLine(view, stackId) {
  const p = h('p', { class: 'view' }, [
    h('span', { class: 'swatch', 'data-state': view.state, 'aria-hidden': 'true' }),
    describeView(view, stackId),
  ]);
  if (typeof view.runUrl === 'string')
    p.append(' ', h('a', { href: view.runUrl, target: '_blank', rel: 'noopener' }, ['open run']));
  return p;
}

/** @param {number | null} seconds */
const atSeconds = (seconds) => (seconds ? clock(seconds * 1000) : '');

function renderDetail() {
  const d = state.detail;
  const body = $('details-body');
  const plan = d.plan;
  const planBlock = h('div', { class: 'field' }, [
    h('h3', {}, ['A change of it would trigger']),
    plan.cycles.length
      ? h('p', { class: 'error' }, [
          `nothing: refused, cycle ${plan.cycles.map((/** @type {string[]} */ c) => c.join(' → ')).join('; ')}`,
        ])
      : plan.waves.length
        ? h(
            'ol',
            { class: 'waves' },
            plan.waves.map((/** @type {string[]} */ w) =>
              h('li', {}, [w.join(', '), w.length > 1 ? ' (in parallel)' : '']),
            ),
          )
        : h('p', { class: 'muted' }, ['nothing (no stack depends on it)']),
  ]);
  const runs = h('div', { class: 'field' }, [
    h('h3', {}, [d.runsSource === 'spacelift' ? 'Recent runs' : 'Run the coordinator follows']),
    d.runs.length
      ? h('table', { class: 'runs' }, [
          h('thead', {}, [
            h(
              'tr',
              {},
              ['Run', 'State', 'Created → last', 'By'].map((t) => h('th', { scope: 'col' }, [t])),
            ),
          ]),
          h(
            'tbody',
            {},
            d.runs.map((/** @type {any} */ r) =>
              h(
                'tr',
                { title: [r.type, r.title, r.commit && `commit ${r.commit}`].filter(Boolean).join(' · ') },
                [
                  h('td', { class: 'id' }, [
                    h('a', { href: r.url, target: '_blank', rel: 'noopener' }, [r.id]),
                  ]),
                  h('td', {}, [h('span', { class: `run-state run-${r.state}` }, [r.state])]),
                  h('td', {}, [
                    atSeconds(r.createdAt),
                    r.updatedAt && r.updatedAt !== r.createdAt ? ` → ${atSeconds(r.updatedAt)}` : '',
                  ]),
                  h('td', { class: 'by' }, [r.triggeredBy ?? '']),
                ],
              ),
            ),
          ),
        ])
      : h('p', { class: 'muted' }, ['no runs']),
  ]);
  const parts = [
    h('p', { class: 'stack-title' }, [
      h('strong', {}, [d.name]),
      d.name !== d.id ? ` (${d.id})` : '',
      d.space ? ` · space ${d.space}` : '',
    ]),
    viewLine(d.view, d.id),
    verdictButtons(d.id, d.view),
    h('div', { class: 'field' }, [
      h('h3', {}, ['Labels']),
      d.labels.length
        ? h(
            'ul',
            { class: 'inline labels' },
            d.labels.map((/** @type {string} */ l) => h('li', {}, [l])),
          )
        : h('p', { class: 'muted' }, ['none']),
    ]),
    idList('Upstreams (dependsOn)', d.upstreams, dangling.get(d.id)),
    idList('Downstreams', d.downstreams),
    d.nativeUpstreams.length ? idList('Native Spacelift dependencies', d.nativeUpstreams) : null,
    planBlock,
    runs,
    ...d.problems.map((/** @type {any} */ p) => h('p', { class: 'error' }, [p.message])),
  ];
  body.replaceChildren(...parts.filter((p) => p !== null));
}

// ---- cascades ---------------------------------------------------------------------------
function renderCascades() {
  const list = $('cascade-list');
  if (state.cascades.length === 0) {
    list.replaceChildren(
      h('li', { class: 'muted' }, [
        'No cascade yet: one starts when a tracked run of a stack with dependents finishes.',
      ]),
    );
    return;
  }
  list.replaceChildren(
    ...state.cascades.map((c) => {
      const done =
        c.counts.finished + c.counts.failed + c.counts.blocked + c.counts.canceled + c.counts.cyclic;
      const button = h(
        'button',
        { type: 'button', class: 'cascade', 'aria-pressed': String(c.id === state.cascadeId) },
        [
          h('span', { class: `phase phase-${c.phase}` }, [c.phase]),
          h('span', { class: 'roots' }, [c.roots.join(', ') || c.id]),
          h('progress', {
            max: String(Math.max(1, c.total)),
            value: String(done),
            'aria-label': `${done} of ${c.total} stacks done`,
          }),
          h('span', { class: 'muted' }, [`${done}/${c.total} · ${clock(c.startedAt)}`]),
        ],
      );
      button.addEventListener('click', () => void selectCascade(c.id === state.cascadeId ? null : c.id));
      return h('li', {}, [button]);
    }),
  );
}

/** @param {string | null} id */
async function selectCascade(id) {
  state.cascadeId = id;
  state.cascade = null;
  state.problemLit = null;
  state.focus = id ? 'cascade' : 'stack';
  renderCascades();
  if (id) await loadCascade();
  else $('cascade-body').replaceChildren();
  applyHighlight();
}

async function loadCascade() {
  const id = state.cascadeId;
  if (!id) return;
  try {
    const view = await getJson(`/api/cascades/${encodeURIComponent(id)}`);
    if (state.cascadeId !== id) return;
    state.cascade = view;
    renderCascade();
    applyHighlight();
  } catch (err) {
    $('cascade-body').replaceChildren(
      h('p', { class: 'error' }, [String(/** @type {Error} */ (err).message)]),
    );
  }
}

function renderCascade() {
  const c = state.cascade;
  const end = c.endedAt ?? Date.now();
  const span = Math.max(1, end - c.startedAt);
  /** @param {number} t */
  const pct = (t) =>
    `${(((Math.min(end, Math.max(c.startedAt, t)) - c.startedAt) / span) * 100).toFixed(2)}%`;
  const terminal = new Set(['finished', 'failed', 'blocked', 'canceled', 'cyclic', 'up-to-date']);
  const entries = Object.entries(c.stacks).sort(
    ([, a], [, b]) => (a.runs[0]?.at ?? a.since) - (b.runs[0]?.at ?? b.since),
  );
  /** @type {Record<string, number>} */
  const ended = c.runEndedAt ?? {};
  const rowsEls = entries.map(([stackId, s]) => {
    // Reached at `since`; waited until its first run; each run until it ended (Spacelift's
    // run history) or, for the last one still going, until now.
    const bars = h('div', { class: 'bars' });
    const firstRun = s.runs[0]?.at ?? null;
    const waitEnd = firstRun ?? (terminal.has(s.state) ? s.since : end);
    const wait = h('span', { class: 'bar wait', title: `waited ${duration(waitEnd - s.since)}` });
    wait.style.left = pct(s.since);
    wait.style.width = `calc(${pct(waitEnd)} - ${pct(s.since)})`;
    bars.append(wait);
    /** @type {string[]} */
    const times = [`reached ${clock(s.since)}`];
    s.runs.forEach((/** @type {any} */ r, /** @type {number} */ k) => {
      const runEnd = ended[r.runId] ?? s.runs[k + 1]?.at ?? (terminal.has(s.state) ? null : end);
      const bar = h('span', {
        class: 'bar run',
        'data-state': k === s.runs.length - 1 ? s.state : 'finished',
        title: `run ${r.runId} ${r.state}${runEnd ? `, ${duration(runEnd - r.at)}` : ''}`,
      });
      bar.style.left = pct(r.at);
      bar.style.width = `max(3px, calc(${pct(runEnd ?? r.at)} - ${pct(r.at)}))`;
      bars.append(bar);
      times.push(`ran ${clock(r.at)}${ended[r.runId] ? `–${clock(ended[r.runId])}` : ''}`);
    });
    // What a person must do for a stack that cannot move, in the words the CLI uses.
    if (s.state === 'blocked' || s.state === 'cyclic') times.push(describeView(s, stackId));
    return h('tr', {}, [
      h('th', { scope: 'row' }, [stackButton(stackId)]),
      h('td', {}, [
        h('span', { class: 'swatch', 'data-state': s.state, 'aria-hidden': 'true' }),
        s.state,
        verdictButtons(stackId, s),
      ]),
      h('td', { class: 'timeline' }, [bars, h('span', { class: 'times' }, [times.join(' · ')])]),
    ]);
  });
  const head = h('p', {}, [
    h('strong', {}, [c.id]),
    ` ${c.phase} · started ${clock(c.startedAt)}`,
    c.endedAt
      ? ` · ended ${clock(c.endedAt)} (${duration(c.endedAt - c.startedAt)})`
      : ` · ${duration(Date.now() - c.startedAt)} so far`,
  ]);
  const changes = h('p', { class: 'muted' }, [
    `Changes: ${c.changes.map((/** @type {any} */ ch) => `${ch.stackId} (run ${ch.runId}, ${clock(ch.at)}${ch.joined ? ', joined' : ''})`).join(', ')}`,
  ]);
  const notes = [
    ...c.heldOn.map((/** @type {string} */ on) => `Held: ${on}`),
    c.resumes.length ? `Resumes ${c.resumes.join(', ')} (took over what it left blocked)` : '',
    c.resumedBy.length ? `Resumed by ${c.resumedBy.join(', ')}` : '',
    c.merged.length ? `Merged ${c.merged.join(', ')} into it` : '',
  ]
    .filter(Boolean)
    .map((text) => h('p', { class: 'cascade-note' }, [text]));
  const actions = h('div', { class: 'actions' });
  if (c.paused && state.estate?.actions?.control) {
    const resume = h('button', { type: 'button', class: 'approve' }, [`Resume ${c.id}`]);
    resume.addEventListener('click', () => {
      void operate(`/api/cascades/${encodeURIComponent(c.id)}/resume`, {}, `Resumed ${c.id}.`).then(() =>
        loadCascade(),
      );
    });
    actions.append(resume);
  }
  if (state.estate?.actions.cancel && OPEN_PHASES.has(c.phase)) actions.append(cancelForm(c.id));
  $('cascade-body').replaceChildren(
    head,
    changes,
    ...notes,
    actions,
    h('table', { class: 'timeline-table', 'aria-label': `Timeline of ${c.id}` }, [
      h('thead', {}, [
        h(
          'tr',
          {},
          ['Stack', 'State', 'Waited (hatched), then ran'].map((t) => h('th', { scope: 'col' }, [t])),
        ),
      ]),
      h('tbody', {}, rowsEls),
    ]),
  );
}

/** Cancel needs the admin token: asked once per tab, kept in session storage, never shown. @param {string} id */
function cancelForm(id) {
  const form = h('form', { class: 'cancel' });
  const stored = sessionStorage.getItem(TOKEN_KEY);
  const input = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'password',
      autocomplete: 'off',
      placeholder: 'admin token',
      'aria-label': 'Admin token',
    })
  );
  if (!stored) form.append(input);
  form.append(h('button', { type: 'submit', class: 'danger' }, ['Cancel cascade']));
  const message = h('span', { class: 'muted', role: 'status' });
  form.append(message);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = stored ?? input.value.trim();
    if (!token) {
      message.textContent = 'Enter the admin token (CASCADE_ADMIN_TOKEN).';
      return;
    }
    void (async () => {
      try {
        await getJson(`/api/cascades/${encodeURIComponent(id)}/cancel`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        });
        sessionStorage.setItem(TOKEN_KEY, token);
        message.textContent = 'Cancel requested.';
        await loadCascade();
      } catch (err) {
        if (/** @type {any} */ (err).status === 401) sessionStorage.removeItem(TOKEN_KEY);
        message.textContent = String(/** @type {Error} */ (err).message);
      }
    })();
  });
  return form;
}

// ---- operator controls ------------------------------------------------------------------
/** e.g. "Frozen since 14:02 by alice: incident 4711; until 16:00". @param {any} freeze */
function freezeWords(freeze) {
  /** @param {number} ms */
  const hm = (ms) =>
    new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hour12: false });
  return (
    `Frozen since ${hm(freeze.since)} by ${freeze.by}${freeze.reason ? `: ${freeze.reason}` : ''}` +
    `${freeze.until ? `; until ${hm(freeze.until)}` : ''}. No stack is triggered; runs in flight go on.`
  );
}

/** e.g. "Outside the change window: no stack is triggered until Mon 09:00 (Europe/Berlin)". @param {any} window */
function windowWords(window) {
  const until = window.next ? ` until ${window.next.opens}` : ' (no opening ahead in the schedule)';
  return `Outside the change window: no stack is triggered${until}; runs in flight go on.`;
}

/** The freeze and closed-window banners (always, when they hold) and, with actions on, the controls. */
function renderOperator() {
  const freeze = state.estate?.freeze ?? null;
  const closed = state.estate?.window && !state.estate.window.open ? state.estate.window : null;
  const control = Boolean(state.estate?.actions?.control);
  $('freeze-banner').hidden = !freeze;
  if (freeze) $('freeze-banner').textContent = freezeWords(freeze);
  $('window-banner').hidden = !closed;
  if (closed) $('window-banner').textContent = windowWords(closed);
  $('operator').hidden = !freeze && !closed && !control;
  if (!control) return void $('operator-controls').replaceChildren();
  operatorForm ??= buildOperatorForm();
  if (!operatorForm.form.isConnected) $('operator-controls').replaceChildren(operatorForm.form);
  operatorForm.token.hidden = Boolean(sessionStorage.getItem(TOKEN_KEY));
  for (const el of [operatorForm.freeze, operatorForm.reason, operatorForm.until])
    el.hidden = Boolean(freeze);
  operatorForm.unfreeze.hidden = !freeze;
}

/** @type {ReturnType<typeof buildOperatorForm> | null} */
let operatorForm = null;

/** The name (typed once, kept), the token (once per tab), and the freeze controls. */
function buildOperatorForm() {
  /** @param {Record<string, string>} attrs */
  const input = (attrs) => /** @type {HTMLInputElement} */ (h('input', attrs));
  const name = input({
    autocomplete: 'name',
    placeholder: 'your name',
    'aria-label': 'Your name, shown with your actions',
  });
  name.value = window.localStorage.getItem(NAME_KEY) ?? '';
  const token = input({
    type: 'password',
    autocomplete: 'off',
    placeholder: 'admin token',
    'aria-label': 'Admin token',
  });
  const reason = input({ placeholder: 'why (shown in every view)', 'aria-label': 'Why freeze' });
  const untilInput = input({ type: 'datetime-local', 'aria-label': 'Lift the freeze by itself at' });
  const until = h('label', { class: 'until' }, ['until ', untilInput]);
  const freeze = h('button', { type: 'submit', class: 'danger' }, ['Freeze the estate']);
  const unfreeze = h('button', { type: 'button' }, ['Unfreeze']);
  const message = h('span', { role: 'status' });
  const form = h('form', { class: 'operator-form' }, [name, token, reason, until, freeze, unfreeze, message]);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const why = reason.value.trim();
    const end = untilInput.value;
    void operate(
      '/api/freeze',
      { ...(why && { reason: why }), ...(end && { until: new Date(end).toISOString() }) },
      'Frozen.',
    );
  });
  unfreeze.addEventListener('click', () => void operate('/api/unfreeze', {}, 'Unfrozen.'));
  return { form, name, token, reason, until, freeze, unfreeze, message };
}

/**
 * Approve and Reject for a stack awaiting approval (with actions on); null otherwise. The name
 * and token are the operator controls' above.
 * @param {string} stackId @param {any} view
 */
function verdictButtons(stackId, view) {
  if (!state.estate?.actions?.control || view.state !== 'held' || view.hold !== 'approval' || !view.cascadeId)
    return null;
  const base = `/api/cascades/${encodeURIComponent(view.cascadeId)}/stacks/${encodeURIComponent(stackId)}`;
  const note = /** @type {HTMLInputElement} */ (
    h('input', { placeholder: 'note', 'aria-label': `Note on ${stackId}'s approval` })
  );
  const button = (/** @type {string} */ label, /** @type {string} */ action, /** @type {string} */ done) => {
    const b = h('button', { type: 'button', class: action === 'reject' ? 'danger' : 'approve' }, [label]);
    b.addEventListener('click', () => {
      const text = note.value.trim();
      void operate(`${base}/${action}`, text ? { note: text } : {}, done).then(() => loadCascade());
    });
    return b;
  };
  return h('span', { class: 'verdict' }, [
    note,
    button(`Approve ${stackId}`, 'approve', `Approved ${stackId}.`),
    button(`Reject ${stackId}`, 'reject', `Rejected ${stackId}.`),
  ]);
}

/**
 * POSTs an operator action with the tab's admin token and the name typed once (kept for the
 * next actions); says the answer or the reason it was refused.
 * @param {string} url @param {Record<string, unknown>} body @param {string} done
 */
async function operate(url, body, done) {
  const f = operatorForm;
  if (!f) return;
  const token = sessionStorage.getItem(TOKEN_KEY) ?? f.token.value.trim();
  const by = f.name.value.trim();
  if (!by) return void (f.message.textContent = 'Type your name: it is shown with your action.');
  if (!token) return void (f.message.textContent = 'Enter the admin token (CASCADE_ADMIN_TOKEN).');
  try {
    await getJson(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ by, ...body }),
    });
    sessionStorage.setItem(TOKEN_KEY, token);
    window.localStorage.setItem(NAME_KEY, by);
    f.token.value = '';
    f.message.textContent = done;
    await loadEstate();
  } catch (err) {
    if (/** @type {any} */ (err).status === 401) sessionStorage.removeItem(TOKEN_KEY);
    f.message.textContent = String(/** @type {Error} */ (err).message);
    renderOperator();
  }
}

// ---- problems ---------------------------------------------------------------------------
function renderProblems() {
  const problems = state.estate?.problems ?? [];
  $('problem-count').textContent = problems.length ? `(${problems.length})` : '';
  $('problem-list').replaceChildren(
    ...(problems.length
      ? problems.map((/** @type {any} */ p) => {
          const button = h('button', { type: 'button', class: `problem problem-${p.kind}` }, [p.message]);
          button.addEventListener('click', () => {
            state.problemLit = new Set(p.stackIds);
            state.focus = 'problem';
            state.cascadeId = null;
            state.cascade = null;
            $('cascade-body').replaceChildren();
            applyHighlight();
          });
          return h('li', {}, [button]);
        })
      : [
          h('li', { class: 'muted' }, [
            'None: every dependsOn label names a known stack, and there is no cycle.',
          ]),
        ]),
  );
}

// ---- drawing and polling ----------------------------------------------------------------
/** @param {string} mode */
function setMode(mode) {
  state.mode = mode;
  const select = /** @type {HTMLSelectElement} */ ($('view-mode'));
  select.value = mode.startsWith('neighbourhood:')
    ? 'neighbourhood'
    : mode.startsWith('space:')
      ? 'spaces'
      : mode;
  draw();
  applyHighlight();
}

$('view-mode').addEventListener('change', (event) => {
  const value = /** @type {HTMLSelectElement} */ (event.target).value;
  if (value === 'neighbourhood') setMode(state.selected ? `neighbourhood:${state.selected}` : 'spaces');
  else setMode(value);
});

function draw() {
  const stacks = [...state.stacks.values()];
  const drawing = drawingFor(stacks, state.mode);
  const timing = graph.render(drawing);
  if (timing.relaid) {
    state.timings.layoutMs = timing.layoutMs;
    state.timings.drawMs = timing.drawMs;
    state.timings.drawnNodes = drawing.nodes.length;
  }
  const tooMany = state.mode === 'all' && stacks.length > MAX_DRAWN;
  $('graph-note').textContent = [
    tooMany ? `${stacks.length} stacks: too many to draw at once.` : null,
    drawing.note,
    state.estate?.graphSource === 'coordinator'
      ? 'No Spacelift API: stacks the coordinator knows, without edges.'
      : null,
  ]
    .filter(Boolean)
    .join(' ');
  applyHighlight();
}

async function loadEstate() {
  const started = performance.now();
  const estate = await getJson('/api/estate');
  state.timings.fetchMs = performance.now() - started;
  state.estate = estate;
  state.stacks = new Map(estate.stacks.map((/** @type {EstateStack} */ s) => [s.id, s]));
  if (state.tick === 0 && estate.stacks.length > MAX_DRAWN && state.mode === 'all') state.mode = 'spaces';
  /** @type {HTMLOptionElement} */ ($('view-mode').querySelector('option[value="all"]')).disabled =
    estate.stacks.length > MAX_DRAWN;
  setMode(state.mode);
  renderList();
  renderProblems();
  renderOperator();
  state.timings.stacks = estate.stacks.length;
  state.timings.firstDrawMs = state.timings.firstDrawMs ?? performance.now();
}

/** @param {string} text @param {boolean} [ok] @param {string} [detail] shown on hover */
function setStatus(text, ok = true, detail = '') {
  const el = $('status');
  el.textContent = text;
  el.title = detail;
  el.classList.toggle('error', !ok);
}

// ---- the admin token and the service's problems -----------------------------------------
/** Asks for the admin token once per tab (kept in session storage, never shown). @param {string} [why] */
function askForToken(why) {
  state.needToken = true;
  sessionStorage.removeItem(TOKEN_KEY);
  $('token-form').hidden = false;
  $('token-message').textContent = why ?? '';
  setStatus('Waiting for the admin token.', false);
  /** @type {HTMLInputElement} */ ($('token-input')).focus();
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($('token-input'));
  const token = input.value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  input.value = '';
  $('token-form').hidden = true;
  state.needToken = false;
  void loadEstate().catch(onReadFailure);
});

/** One line per problem: the part in words, then what is wrong and what to do. */
function renderServiceProblems() {
  const problems = state.serviceProblems ?? [];
  $('service-problems').hidden = problems.length === 0;
  $('service-problems').replaceChildren(
    ...problems.map((p) =>
      h('li', {}, [h('span', { class: 'part' }, [`${PART_NAMES[p.part] ?? p.part}: `]), p.message]),
    ),
  );
}

async function loadStatus() {
  try {
    state.serviceProblems = (await getJson('/api/status')).problems;
  } catch (err) {
    if (/** @type {any} */ (err).status === 401) throw err;
    state.serviceProblems = null;
  }
  renderServiceProblems();
}

/** What the status line says when a read failed: the service's problems in words, if it can say them. @param {unknown} err */
async function onReadFailure(err) {
  const status = /** @type {any} */ (err).status;
  if (status === 401) {
    askForToken(sessionStorage.getItem(TOKEN_KEY) ? 'The token was refused: check it and try again.' : '');
    return;
  }
  await loadStatus().catch(() => undefined);
  const problems = state.serviceProblems ?? [];
  const message = String(/** @type {Error} */ (err).message);
  setStatus(
    problems.length > 0
      ? `${problems.map((p) => `${PART_NAMES[p.part] ?? p.part}: ${p.message}`).join(' · ')}. Retrying…`
      : status === undefined
        ? `The service does not answer (${message}): is it running? Retrying…`
        : `${message}. Retrying…`,
    false,
    message,
  );
}

async function poll() {
  if (state.needToken) {
    setTimeout(() => void poll(), POLL_MS);
    return;
  }
  try {
    if (state.tick % STATUS_EVERY === 0) await loadStatus();
    const states = await getJson('/api/estate/states');
    if (!state.estate || states.graphVersion !== state.estate.graphVersion) {
      await loadEstate();
    } else {
      let selectedChanged = false;
      for (const [id, view] of Object.entries(states.states)) {
        const s = state.stacks.get(id);
        if (!s || JSON.stringify(s.view) === JSON.stringify(view)) continue;
        s.view = /** @type {StackView} */ (view);
        updateRow(s);
        if (id === state.selected) selectedChanged = true;
      }
      state.estate.activeCascades = states.activeCascades;
      state.estate.freeze = states.freeze;
      state.estate.window = states.window;
      renderOperator();
      draw();
      if (selectedChanged) await loadDetail();
    }
    if (state.tick % CASCADES_EVERY === 0 || states.activeCascades.length > 0) {
      state.cascades = (await getJson('/api/cascades?limit=20')).cascades;
      renderCascades();
      if (state.cascadeId && (state.cascade === null || OPEN_PHASES.has(state.cascade.phase)))
        await loadCascade();
    }
    const open = state.serviceProblems?.length ?? 0;
    setStatus(
      [
        open > 0 ? `Running, but ${open} problem${open > 1 ? 's' : ''} (below)` : 'Live',
        `${state.stacks.size} stacks`,
        states.coordinator === 'not-started'
          ? 'the coordinator has not started yet (no run has finished since the service started)'
          : cascadeWords(states.cascadeCounts),
        clock(Date.now()),
      ].join(' · '),
      open === 0,
    );
  } catch (err) {
    await onReadFailure(err);
  } finally {
    state.tick++;
    setTimeout(() => void poll(), POLL_MS);
  }
}

/**
 * The cascades by their real state, e.g. "1 cascade running, 1 held, 2 blocked".
 * @param {{ running: number, held: number, blocked: number }} counts
 */
function cascadeWords(counts) {
  const parts = [
    counts.running ? `${counts.running} running` : '',
    counts.held ? `${counts.held} held` : '',
    counts.blocked ? `${counts.blocked} blocked` : '',
  ].filter(Boolean);
  const total = counts.running + counts.held + counts.blocked;
  return total === 0
    ? 'no cascade under way'
    : `${total} cascade${total > 1 ? 's' : ''}: ${parts.join(', ')}`;
}

/** Read by the browser tests and the bench: timings of the first draw. */
Object.assign(window, { __dashboard: { timings: state.timings, state } });

void (async () => {
  try {
    await loadEstate();
  } catch (err) {
    await onReadFailure(err);
  }
  void poll();
})();
