// Insights: GET /api/v1/insights as figures and inline-SVG charts.

import { api } from './api.js';
import { h, replace, fmtDuration, pct } from './dom.js';
import { barChart } from './chart.js';

export async function insightsView(root, _args, ctx) {
  const win = h('select', { id: 'i-window' }, ['7d', '30d', '90d', '365d'].map((w) => h('option', { value: w, selected: w === '30d' }, w)));
  const body = h('div', { 'aria-live': 'polite' });
  root.append(h('h1', {}, 'Insights'),
    h('div', { class: 'filters' }, h('label', { for: 'i-window' }, 'Window'), win), body);
  const load = async () => {
    const d = await api(`/api/v1/insights?window=${encodeURIComponent(win.value)}`);
    if (ctx.live) replace(body, render(d));
  };
  win.addEventListener('change', () => load().catch(() => {}));
  await load();
}

function tile(label, value) {
  return h('div', { class: 'tile' }, h('div', { class: 'tile-v' }, value), h('div', { class: 'tile-l' }, label));
}

function render(d) {
  const o = d.overall || {};
  const ts = d.templates || [];
  const ttd = o.time_to_deploy_seconds || {};
  return h('div', {},
    h('p', { class: 'muted' }, `From ${new Date(d.since).toLocaleString()} to ${new Date(d.until).toLocaleString()}.`),
    h('div', { class: 'tiles' },
      tile('runs', String(o.runs ?? 0)),
      tile('deployment success rate', pct(o.success_rate)),
      tile('change failure rate', pct(o.change_failure_rate)),
      tile('deployments per day', o.deployment_frequency_per_day != null ? o.deployment_frequency_per_day.toFixed(2) : '–'),
      tile('median time to deploy', fmtDuration(ttd.median)),
      tile('mean time to roll back', fmtDuration((o.time_to_rollback_seconds || {}).mean)),
      tile('median approval wait', fmtDuration((o.approval_wait_seconds || {}).median)),
      tile('preflight pass rate', pct((o.preflight || {}).pass_rate))),
    ts.length ? [
      barChart({
        title: 'Runs per template by outcome', fmt: (v) => String(v),
        legend: [['succeeded', 'c-ok'], ['failed', 'c-bad'], ['rejected, expired or canceled', 'c-other']],
        groups: ts.map((t) => ({ label: t.template, bars: [
          { name: 'succeeded', value: t.succeeded, cls: 'c-ok' }, { name: 'failed', value: t.failed, cls: 'c-bad' },
          { name: 'other', value: (t.rejected || 0) + (t.expired || 0) + (t.canceled || 0), cls: 'c-other' }] })),
      }),
      barChart({
        title: 'Deployment success rate per template', fmt: pct,
        groups: ts.map((t) => ({ label: t.template, bars: [{ name: 'success', value: t.success_rate, cls: 'c-ok' }] })),
      }),
      barChart({
        title: 'Time to deploy per template (seconds)', fmt: (v) => fmtDuration(v),
        legend: [['median', 'c-base'], ['p90', 'c-canary']],
        groups: ts.map((t) => ({ label: t.template, bars: [
          { name: 'median', value: (t.time_to_deploy_seconds || {}).median, cls: 'c-base' },
          { name: 'p90', value: (t.time_to_deploy_seconds || {}).p90, cls: 'c-canary' }] })),
      })]
      : h('p', { class: 'empty' }, 'No runs in this window yet.'));
}
