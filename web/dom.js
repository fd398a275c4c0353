// Building DOM without HTML strings: every piece of data becomes a text
// node or an attribute value, never markup (no HTML is parsed from strings).

const SVG_NS = 'http://www.w3.org/2000/svg';

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) {
      if (typeof v !== 'function') throw new Error(`${k} must be a function`);
      el.addEventListener(k.slice(2), v);
    } else if (k === 'style') {
      throw new Error('no style attributes: the Content-Security-Policy forbids them');
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

function addKids(el, kids) {
  for (const k of kids.flat(Infinity)) {
    if (k === null || k === undefined || k === false) continue;
    el.append(k instanceof Node ? k : document.createTextNode(String(k)));
  }
}

// h('a', {href: '#/runs'}, 'Runs'): an HTML element.
export function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  addKids(el, kids);
  return el;
}

// s('rect', {x: 0}): an SVG element.
export function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  addKids(el, kids);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replace(el, ...kids) {
  clear(el);
  addKids(el, kids);
  return el;
}

// ANSI escape sequences (colours, cursor moves) out of a log line.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
export function stripAnsi(text) {
  return String(text).replace(ANSI, '');
}

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '–';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function duration(from, to) {
  if (!from) return null;
  const a = Date.parse(from), b = to ? Date.parse(to) : Date.now();
  return (b - a) / 1000;
}

export function pct(x) {
  return x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)}%`;
}

export function badge(state) {
  return h('span', { class: `badge st-${String(state).replace(/[^a-z_]/g, '')}` }, String(state).replace(/_/g, ' '));
}

// A table from rows of cells; a cell is text or a node.
export function table(caption, head, rows, cls) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: cls || null },
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c)))))));
}

// A definition list from [term, value] pairs, leaving out empty values.
export function facts(pairs) {
  return h('dl', { class: 'facts' },
    pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
      .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function errorBox(err) {
  const p = err && err.problem ? err.problem : {};
  return h('div', { class: 'error', role: 'alert' },
    h('strong', {}, p.title ? `${p.title}: ` : 'Error: '),
    err && err.message ? err.message : String(err),
    (p.errors || []).length ? h('ul', {}, p.errors.map((e) => h('li', {}, `${e.field}: ${e.message}`))) : null);
}
