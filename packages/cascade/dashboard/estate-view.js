// @ts-check
/**
 * Pure helpers of the dashboard (no DOM): state names and colours, closures, and which part
 * of the estate to draw (all of it, grouped by space, one space, or a stack's neighbourhood).
 */

/** @typedef {{ state: string, [key: string]: unknown }} StackView */
/**
 * @typedef {{ id: string, name: string, space: string | null, labels: string[], upstreams: string[],
 *   nativeUpstreams: string[], view: StackView }} EstateStack
 */
/**
 * @typedef {{ id: string, label: string, state: string, kind: 'stack' | 'space' | 'ghost', count?: number,
 *   missing?: string[] }} DrawNode `missing`: the unknown ids its `dependsOn:` labels name.
 */
/** @typedef {{ nodes: DrawNode[], edges: Array<[string, string]>, note: string | null }} Drawing */

/** Every state of the cascade model, in legend order, with how the page names it. */
export const STATES = [
  { state: 'idle', label: 'idle' },
  { state: 'waiting', label: 'waiting' },
  { state: 'triggering', label: 'triggering' },
  { state: 'queued', label: 'queued' },
  { state: 'running', label: 'running' },
  { state: 'awaiting-confirmation', label: 'awaiting confirmation' },
  { state: 'held', label: 'held (freeze, approval, window, pause)' },
  { state: 'deciding', label: 'deciding (reading outputs)' },
  { state: 'finished', label: 'finished' },
  { state: 'up-to-date', label: 'up to date (a run changed nothing)' },
  { state: 'failed', label: 'failed' },
  { state: 'blocked', label: 'blocked' },
  { state: 'cyclic', label: 'on a cycle' },
  { state: 'canceled', label: 'canceled' },
];

/**
 * Text safe inside HTML or SVG markup and its attribute values.
 * @param {string} text
 */
export const escapeHtml = (text) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** Above this many stacks the whole estate is not drawn at once (grouped by space instead). */
export const MAX_DRAWN = 1500;

/** Which state wins when a space groups stacks: what most needs a look. */
const URGENCY = [
  'failed',
  'blocked',
  'cyclic',
  'awaiting-confirmation',
  'held',
  'running',
  'queued',
  'triggering',
  'waiting',
  'deciding',
  'canceled',
  'finished',
  'up-to-date',
  'idle',
];

/**
 * A sentence saying what a stack is doing.
 * @param {StackView} view
 * @param {string} stackId
 * @returns {string}
 */
export function describeView(view, stackId) {
  switch (view.state) {
    case 'waiting': {
      const waitingFor = /** @type {string[]} */ (view.waitingFor ?? []);
      return waitingFor.length ? `waiting for ${waitingFor.join(', ')}` : 'waiting';
    }
    case 'blocked':
      // As the CLI says it: the reason says what to do; a stack blocked by itself reads as its state.
      return view.blockedBy === stackId ? String(view.reason) : `blocked: ${String(view.reason)}`;
    case 'cyclic':
      return `on a cycle: ${String(view.cycle)}`;
    case 'queued':
    case 'running':
    case 'awaiting-confirmation':
      return `${view.state === 'awaiting-confirmation' ? 'awaiting confirmation' : view.state} (run ${String(view.runId)}, ${String(view.runState)})`;
    case 'finished':
      return `finished (run ${String(view.runId)})`;
    case 'deciding':
      return `finished (run ${String(view.runId)}), reading its outputs: did it change anything?`;
    case 'up-to-date': {
      const spared = /** @type {string[]} */ (view.spared ?? []);
      return `up to date: ${String(view.reason)}${spared.length ? `; spared ${spared.join(', ')}` : ''}`;
    }
    case 'failed':
      return `failed (run ${String(view.runId)} ended ${String(view.runState)})`;
    case 'canceled':
      return `canceled: ${String(view.reason)}`;
    case 'held':
      return `held: ${String(view.reason)}`;
    default:
      return view.state;
  }
}

/**
 * Downstream (or upstream) ids reachable from `start`, breadth-first, `start` first, at most `cap`.
 * @param {Map<string, string[]>} next
 * @param {string} start
 * @param {number} [cap]
 */
export function closure(next, start, cap = Infinity) {
  const seen = new Set([start]);
  const order = [start];
  for (let i = 0; i < order.length && order.length < cap; i++) {
    for (const id of next.get(order[i]) ?? []) {
      if (seen.has(id)) continue;
      seen.add(id);
      order.push(id);
      if (order.length >= cap) break;
    }
  }
  return order;
}

/**
 * Adjacency of the estate: upstreams and downstreams by id (known stacks only).
 * @param {EstateStack[]} stacks
 */
export function adjacency(stacks) {
  /** @type {Map<string, string[]>} */ const ups = new Map();
  /** @type {Map<string, string[]>} */ const downs = new Map();
  const known = new Set(stacks.map((s) => s.id));
  for (const s of stacks) {
    ups.set(
      s.id,
      s.upstreams.filter((u) => known.has(u)),
    );
    if (!downs.has(s.id)) downs.set(s.id, []);
    for (const u of s.upstreams) {
      if (!known.has(u)) continue;
      const list = downs.get(u);
      if (list) list.push(s.id);
      else downs.set(u, [s.id]);
    }
  }
  return { ups, downs };
}

/**
 * @param {EstateStack[]} stacks
 * @param {Set<string>} ids
 * @param {(s: EstateStack) => 'stack' | 'ghost'} kind
 * @returns {Drawing}
 */
function subgraph(stacks, ids, kind, note = /** @type {string | null} */ (null)) {
  /** @type {DrawNode[]} */ const nodes = [];
  /** @type {Array<[string, string]>} */ const edges = [];
  const known = new Set(stacks.map((s) => s.id));
  for (const s of stacks) {
    if (!ids.has(s.id)) continue;
    /** @type {DrawNode} */ const node = { id: s.id, label: s.name, state: s.view.state, kind: kind(s) };
    const missing = unknownUpstreams(s, known);
    if (missing.length) node.missing = missing;
    nodes.push(node);
    for (const u of s.upstreams) if (ids.has(u)) edges.push([u, s.id]);
  }
  return { nodes, edges, note };
}

/**
 * The ids a stack's `dependsOn:` labels name that are no stack of the estate (a dangling label).
 * @param {EstateStack} stack
 * @param {Set<string>} known every stack id
 */
export function unknownUpstreams(stack, known) {
  return stack.upstreams.filter((u) => !known.has(u));
}

/**
 * What a dangling label means, in words (the graph's tooltip, the stack list's accessible name).
 * @param {string[]} missing
 */
export function danglingWords(missing) {
  return `depends on unknown stack${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (no such stack, or the API key cannot see it)`;
}

/**
 * What to draw for a view mode.
 * - `all`: every stack (refused above {@link MAX_DRAWN}: grouped by space instead);
 * - `spaces`: one node per space, an edge where a stack depends on a stack of another space;
 * - `space:<name>`: that space's stacks and, faded, their direct neighbours elsewhere;
 * - `neighbourhood:<id>`: the stack, everything upstream and downstream of it.
 * @param {EstateStack[]} stacks
 * @param {string} mode
 * @returns {Drawing}
 */
export function drawingFor(stacks, mode) {
  if (mode === 'all' && stacks.length > MAX_DRAWN) mode = 'spaces';
  if (mode === 'all') return subgraph(stacks, new Set(stacks.map((s) => s.id)), () => 'stack');
  const byId = new Map(stacks.map((s) => [s.id, s]));
  if (mode.startsWith('neighbourhood:')) {
    const root = mode.slice('neighbourhood:'.length);
    if (!byId.has(root)) return { nodes: [], edges: [], note: `No stack ${root}` };
    const { ups, downs } = adjacency(stacks);
    const half = Math.floor(MAX_DRAWN / 2);
    const ids = new Set([...closure(ups, root, half), ...closure(downs, root, half)]);
    const capped = ids.size >= MAX_DRAWN - 1;
    return subgraph(
      stacks,
      ids,
      () => 'stack',
      `Neighbourhood of ${root}: ${ids.size} stacks${capped ? ' (cut at the nearest ' + MAX_DRAWN + ')' : ''}`,
    );
  }
  if (mode.startsWith('space:')) {
    const space = mode.slice('space:'.length);
    const inside = new Set(stacks.filter((s) => (s.space ?? '(none)') === space).map((s) => s.id));
    const ids = new Set(inside);
    for (const id of inside) {
      for (const u of byId.get(id)?.upstreams ?? []) if (byId.has(u)) ids.add(u);
    }
    for (const s of stacks) if (s.upstreams.some((u) => inside.has(u))) ids.add(s.id);
    const list = [...ids].slice(0, MAX_DRAWN);
    return subgraph(
      stacks,
      new Set(list),
      (s) => (inside.has(s.id) ? 'stack' : 'ghost'),
      `Space ${space}: ${inside.size} stacks${ids.size > MAX_DRAWN ? ` (first ${MAX_DRAWN} drawn)` : ''}, faded: their neighbours in other spaces`,
    );
  }
  // Grouped by space.
  /** @type {Map<string, { count: number, state: string, rank: number }>} */
  const spaces = new Map();
  for (const s of stacks) {
    const key = s.space ?? '(none)';
    const rank = URGENCY.indexOf(s.view.state);
    const entry = spaces.get(key);
    if (!entry) spaces.set(key, { count: 1, state: s.view.state, rank });
    else {
      entry.count++;
      if (rank < entry.rank) {
        entry.rank = rank;
        entry.state = s.view.state;
      }
    }
  }
  /** @type {Map<string, number>} */
  const weights = new Map();
  for (const s of stacks) {
    const to = `space:${s.space ?? '(none)'}`;
    for (const u of s.upstreams) {
      const up = byId.get(u);
      if (!up) continue;
      const from = `space:${up.space ?? '(none)'}`;
      if (from === to) continue;
      const key = `${from}\u0000${to}`;
      weights.set(key, (weights.get(key) ?? 0) + 1);
    }
  }
  // The strongest links only: a dense space graph is unreadable and slow to lay out.
  const limit = Math.max(60, spaces.size * 2);
  const strongest = [...weights].sort((a, b) => b[1] - a[1]).slice(0, limit);
  /** @type {Array<[string, string]>} */
  const edges = strongest.map(([key]) => /** @type {[string, string]} */ (key.split('\u0000')));
  const cut =
    weights.size > limit ? ` Showing the ${limit} strongest of ${weights.size} links between spaces.` : '';
  return {
    nodes: [...spaces].map(([space, e]) => ({
      id: `space:${space}`,
      label: `${space} (${e.count})`,
      state: e.state,
      kind: 'space',
      count: e.count,
    })),
    edges,
    note: `${stacks.length} stacks grouped in ${spaces.size} spaces; a space takes the colour of its most urgent stack. Select a space, or a stack for its neighbourhood.${cut}`,
  };
}

/**
 * Stacks to light up for a plan (what a change of `root` would trigger).
 * @param {{ root: string, waves: string[][], cycles: string[][] }} plan
 */
export function planStacks(plan) {
  return new Set([plan.root, ...plan.waves.flat(), ...plan.cycles.flat()]);
}

/**
 * Local clock time of a Unix ms instant.
 * @param {number | null | undefined} ms
 */
export function clock(ms) {
  if (ms === null || ms === undefined) return '';
  return new Date(ms).toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
}

/**
 * "3.2 s", "4 min 10 s".
 * @param {number} ms
 */
export function duration(ms) {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}
