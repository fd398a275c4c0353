// Small charts as inline SVG (no library): horizontal grouped bars, which
// stay readable on a 360 px phone. Colours come from CSS classes, so
// light and dark themes both work; every chart has a text alternative.

import { h, s } from './dom.js';

const W = 600, LABEL_H = 18, BAR_H = 16, GAP = 10, LEFT = 0, RIGHT = 170;

function nice(max) {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

// groups: [{label, bars: [{name, value, cls}]}]; fmt(value) -> text.
export function barChart({ title, groups, fmt = String, legend = [] }) {
  const values = groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => typeof v === 'number' && Number.isFinite(v));
  const max = nice(Math.max(0, ...values));
  const rows = [];
  let y = 0;
  for (const g of groups) {
    rows.push(s('text', { x: LEFT, y: y + 13, class: 'ch-label' }, g.label));
    y += LABEL_H;
    for (const b of g.bars) {
      const ok = typeof b.value === 'number' && Number.isFinite(b.value);
      const w = ok ? Math.max(1, ((W - LEFT - RIGHT) * b.value) / max) : 0;
      rows.push(s('rect', { x: LEFT, y, width: w, height: BAR_H, rx: 2, class: `ch-bar ${b.cls || ''}` },
        s('title', {}, `${g.label} ${b.name}: ${ok ? fmt(b.value) : 'no data'}`)));
      rows.push(s('text', { x: LEFT + w + 6, y: y + 12, class: 'ch-value' }, `${b.name} ${ok ? fmt(b.value) : '–'}`));
      y += BAR_H + 3;
    }
    y += GAP;
  }
  const height = Math.max(y, 20);
  return h('figure', { class: 'chart' },
    h('figcaption', {}, title),
    legend.length ? h('ul', { class: 'legend' }, legend.map(([name, cls]) => h('li', {},
      s('svg', { width: 12, height: 12, 'aria-hidden': 'true' }, s('rect', { width: 12, height: 12, class: `ch-bar ${cls}` })), ` ${name}`))) : null,
    s('svg', { viewBox: `0 0 ${W} ${height}`, role: 'img', 'aria-label': title, preserveAspectRatio: 'xMinYMin meet' },
      s('title', {}, title), rows));
}
