// @ts-check
/**
 * The dependency graph: laid out in layers by dagre (upstream above downstream), drawn as one
 * SVG, coloured by state. Re-laid out only when the drawing's nodes or edges change; states
 * and highlights change attributes in place.
 */
import dagre from './vendor/dagre.js';
import { danglingWords, escapeHtml as escape } from './estate-view.js';

/** @typedef {import('./estate-view.js').Drawing} Drawing */

const NODE_HEIGHT = 28;
/** Below this scale node names cannot be read. */
const MIN_SCALE = 0.45;

/**
 * Ranks in waves, top-down: a stack sits one rank below its deepest upstream (the order a
 * cascade runs in). Linear time, and edges span few ranks, so dagre adds few dummy nodes.
 * Called by dagre on its internal graph, after it has broken cycles.
 * @param {any} g dagre's internal graph
 */
function waveRanker(g) {
  /** @type {Map<string, number>} */ const waiting = new Map();
  /** @type {Map<string, number>} */ const rank = new Map();
  /** @type {string[]} */ const queue = [];
  for (const v of g.nodes()) {
    const count = g.inEdges(v).length;
    waiting.set(v, count);
    if (count === 0) {
      queue.push(v);
      rank.set(v, 0);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i];
    const r = rank.get(v) ?? 0;
    for (const e of g.outEdges(v)) {
      const next = r + (g.edge(e).minlen ?? 1);
      if (next > (rank.get(e.w) ?? -1)) rank.set(e.w, next);
      const left = (waiting.get(e.w) ?? 1) - 1;
      waiting.set(e.w, left);
      if (left === 0) queue.push(e.w);
    }
  }
  for (const v of g.nodes()) g.node(v).rank = rank.get(v) ?? 0;
}

/**
 * Lays a drawing out. Small graphs get dagre's best ranking (network simplex) and crossing
 * reduction; large ones the wave ranking above and dagre's initial order without the
 * crossing-reduction sweeps, which grow fastest with size (1,000 stacks: about 2.5 s with
 * them and dagre's own rankers, well under 1 s without, on an idle machine).
 * @param {Drawing} drawing
 */
export function layout(drawing) {
  const n = drawing.nodes.length;
  const g = new dagre.graphlib.Graph();
  g.setGraph({
    rankdir: 'TB',
    nodesep: n > 400 ? 10 : 18,
    ranksep: n > 400 ? 36 : 48,
    marginx: 16,
    marginy: 16,
    ranker: n > 300 ? waveRanker : 'network-simplex',
  });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of drawing.nodes) {
    const chars = Math.min(node.label.length, 24);
    g.setNode(node.id, { width: Math.max(60, chars * 7 + 22), height: NODE_HEIGHT });
  }
  for (const [from, to] of drawing.edges) g.setEdge(from, to);
  dagre.layout(g, { disableOptimalOrderHeuristic: n > 500 });
  /** @type {Map<string, { x: number, y: number, width: number, height: number }>} */
  const positions = new Map();
  for (const node of drawing.nodes) {
    const p = g.node(node.id);
    positions.set(node.id, { x: p.x, y: p.y, width: p.width, height: p.height });
  }
  const edges = drawing.edges.map(([from, to]) => ({
    from,
    to,
    points: /** @type {Array<{x: number, y: number}>} */ (g.edge(from, to)?.points ?? []),
  }));
  const size = g.graph();
  return { positions, edges, width: size.width ?? 0, height: size.height ?? 0 };
}

/**
 * A node's tooltip: its name and state, and what is wrong with its labels.
 * @param {import('./estate-view.js').DrawNode} node
 */
function nodeTitle(node) {
  return `${node.label} (${node.state})${node.missing?.length ? `: ${danglingWords(node.missing)}` : ''}`;
}

export class GraphView {
  /**
   * @param {SVGSVGElement} svg
   * @param {{ onSelect: (id: string) => void }} handlers
   */
  constructor(svg, handlers) {
    this.svg = svg;
    this.handlers = handlers;
    /** @type {Map<string, SVGGElement>} */ this.nodes = new Map();
    /** @type {SVGPathElement[]} */ this.edgeEls = [];
    /** @type {ReturnType<typeof layout> | null} */ this.laid = null;
    this.view = { x: 0, y: 0, w: 100, h: 100 };
    this.key = '';
    this.installPanZoom();
    svg.addEventListener('click', (event) => {
      const target = /** @type {Element} */ (event.target).closest('[data-id]');
      if (target && !this.dragged) this.handlers.onSelect(target.getAttribute('data-id') ?? '');
    });
  }

  /**
   * Draws `drawing` (laying it out again only when its nodes or edges changed).
   * @param {Drawing} drawing
   * @returns {{ layoutMs: number, drawMs: number, relaid: boolean }}
   */
  render(drawing) {
    const key = `${drawing.nodes.map((n) => `${n.id}\u0001${n.label}\u0001${n.kind}\u0001${n.missing ?? ''}`).join('\u0000')}|${drawing.edges.join(';')}`;
    if (key === this.key) {
      this.updateStates(drawing);
      return { layoutMs: 0, drawMs: 0, relaid: false };
    }
    this.key = key;
    const t0 = performance.now();
    const laid = layout(drawing);
    const t1 = performance.now();
    this.laid = laid;
    const edges = laid.edges
      .map(
        (e) =>
          `<path class="edge" data-from="${escape(e.from)}" data-to="${escape(e.to)}" d="${e.points
            .map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`)
            .join('')}"/>`,
      )
      .join('');
    const nodes = drawing.nodes
      .map((node) => {
        const p = laid.positions.get(node.id);
        if (!p) return '';
        const label = node.label.length > 24 ? `${node.label.slice(0, 23)}…` : node.label;
        const dangling = node.missing?.length ? ' dangling' : '';
        // A dangling dependsOn label: a dashed outline and a "?" badge on the node's corner.
        const badge = dangling
          ? `<g class="badge" transform="translate(${p.width},0)"><circle r="8"/><text y="4">?</text></g>`
          : '';
        return (
          `<g class="node ${node.kind}${dangling}" data-id="${escape(node.id)}" data-state="${node.state}" ` +
          `${dangling ? `data-missing="${escape(node.missing?.join(' ') ?? '')}" ` : ''}` +
          `transform="translate(${(p.x - p.width / 2).toFixed(1)},${(p.y - p.height / 2).toFixed(1)})">` +
          `<rect width="${p.width}" height="${p.height}" rx="5"/>` +
          `<text x="${p.width / 2}" y="${p.height / 2 + 4}">${escape(label)}</text>${badge}` +
          `<title>${escape(nodeTitle(node))}</title></g>`
        );
      })
      .join('');
    this.svg.innerHTML =
      `<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">` +
      `<path d="M0,0L8,4L0,8z"/></marker></defs>` +
      `<g class="edges">${edges}</g><g class="nodes">${nodes}</g>`;
    this.nodes = new Map();
    for (const el of this.svg.querySelectorAll('g.node')) {
      this.nodes.set(el.getAttribute('data-id') ?? '', /** @type {SVGGElement} */ (el));
    }
    this.edgeEls = /** @type {SVGPathElement[]} */ ([...this.svg.querySelectorAll('path.edge')]);
    this.fit();
    const t2 = performance.now();
    return { layoutMs: t1 - t0, drawMs: t2 - t1, relaid: true };
  }

  /** @param {Drawing} drawing */
  updateStates(drawing) {
    for (const node of drawing.nodes) {
      const el = this.nodes.get(node.id);
      if (el && el.getAttribute('data-state') !== node.state) {
        el.setAttribute('data-state', node.state);
        const title = el.querySelector(':scope > title');
        if (title) title.textContent = nodeTitle(node);
      }
    }
  }

  /**
   * Lights up some stacks (and the edges between them); the rest fade. Empty: nothing fades.
   * @param {{ selected?: string | null, lit?: Set<string> | null }} focus
   */
  highlight({ selected = null, lit = null }) {
    this.svg.classList.toggle('focused', Boolean(lit && lit.size));
    for (const [id, el] of this.nodes) {
      el.classList.toggle('lit', Boolean(lit?.has(id)));
      el.classList.toggle('selected', id === selected);
    }
    for (const el of this.edgeEls) {
      const on = Boolean(
        lit?.has(el.getAttribute('data-from') ?? '') && lit?.has(el.getAttribute('data-to') ?? ''),
      );
      el.classList.toggle('lit', on);
    }
  }

  /** Brings a node into view (keeping the zoom) when it is outside. @param {string} id */
  reveal(id) {
    const p = this.laid?.positions.get(id);
    if (!p) return;
    const v = this.view;
    if (p.x > v.x && p.x < v.x + v.w && p.y > v.y && p.y < v.y + v.h) return;
    this.setView({ x: p.x - v.w / 2, y: p.y - v.h / 2, w: v.w, h: v.h });
  }

  /**
   * Shows the whole graph when it fits at a readable size (never blown up past 1.25x); a
   * graph too wide or tall for that is shown from its top, centred, at the smallest readable
   * scale: pan (drag) and zoom (wheel, + and -) from there.
   */
  fit() {
    if (!this.laid) return;
    const box = this.svg.getBoundingClientRect();
    const width = box.width > 0 ? box.width : 1000;
    const height = box.height > 0 ? box.height : 600;
    const fitScale = Math.min(width / Math.max(this.laid.width, 1), height / Math.max(this.laid.height, 1));
    const scale = Math.max(MIN_SCALE, Math.min(1.25, fitScale));
    const w = width / scale;
    const h = height / scale;
    const y = fitScale < MIN_SCALE && this.laid.height * scale > height ? 0 : (this.laid.height - h) / 2;
    this.setView({ x: (this.laid.width - w) / 2, y, w, h });
  }

  /** @param {{ x: number, y: number, w: number, h: number }} view */
  setView(view) {
    this.view = view;
    this.svg.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);
  }

  /** Wheel zooms at the pointer, dragging pans; + / - / 0 keys zoom and fit when the graph has focus. */
  installPanZoom() {
    const svg = this.svg;
    /** @param {number} factor @param {number} [cx] @param {number} [cy] */
    const zoom = (factor, cx = 0.5, cy = 0.5) => {
      const v = this.view;
      const w = v.w * factor;
      const h = v.h * factor;
      this.setView({ x: v.x + (v.w - w) * cx, y: v.y + (v.h - h) * cy, w, h });
    };
    svg.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        const box = svg.getBoundingClientRect();
        zoom(
          event.deltaY > 0 ? 1.15 : 1 / 1.15,
          (event.clientX - box.left) / box.width,
          (event.clientY - box.top) / box.height,
        );
      },
      { passive: false },
    );
    /** @type {{ x: number, y: number, view: {x: number, y: number, w: number, h: number} } | null} */
    let drag = null;
    this.dragged = false;
    svg.addEventListener('pointerdown', (event) => {
      drag = { x: event.clientX, y: event.clientY, view: { ...this.view } };
      this.dragged = false;
    });
    svg.addEventListener('pointermove', (event) => {
      if (!drag) return;
      const box = svg.getBoundingClientRect();
      const dx = ((event.clientX - drag.x) / box.width) * drag.view.w;
      const dy = ((event.clientY - drag.y) / box.height) * drag.view.h;
      if (Math.abs(event.clientX - drag.x) + Math.abs(event.clientY - drag.y) > 4) this.dragged = true;
      if (this.dragged) this.setView({ ...drag.view, x: drag.view.x - dx, y: drag.view.y - dy });
    });
    const end = () => {
      drag = null;
    };
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointerleave', end);
    svg.addEventListener('keydown', (event) => {
      if (event.key === '+' || event.key === '=') zoom(1 / 1.25);
      else if (event.key === '-') zoom(1.25);
      else if (event.key === '0') this.fit();
    });
  }
}
