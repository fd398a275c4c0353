// Runs: the list with filters, kept live by GET /api/v1/runs?watch=1
// (server-sent events); a run's page with its steps, live log, outputs,
// decisions, approvals, analysis (with a chart of baseline vs canary) and
// the buttons its state and the user's roles allow.

import { api, stream } from './api.js';
import { h, replace, clear, badge, table, facts, errorBox, fmtTime, fmtDuration, duration, stripAnsi, pct } from './dom.js';
import { decisionRows } from './catalog.js';
import { barChart } from './chart.js';

export const STATES = ['pending', 'checking', 'awaiting_approval', 'queued', 'running', 'verifying',
  'succeeded', 'failed', 'rolling_back', 'rolled_back', 'rollback_failed', 'rejected', 'expired', 'canceled'];
const TERMINAL = ['succeeded', 'failed', 'rolled_back', 'rollback_failed', 'rejected', 'expired', 'canceled'];

export async function runsView(root, _args, ctx) {
  const tpl = h('select', { id: 'f-template' }, h('option', { value: '' }, 'any'));
  const state = h('select', { id: 'f-state' }, h('option', { value: '' }, 'any'),
    STATES.map((x) => h('option', { value: x }, x.replace(/_/g, ' '))));
  const mine = h('input', { id: 'f-mine', type: 'checkbox' });
  const live = h('span', { class: 'live muted', 'aria-live': 'polite' }, 'connecting…');
  const body = h('div', { 'aria-live': 'polite' });
  root.append(h('h1', {}, 'Runs'),
    h('form', { class: 'filters', role: 'search' },
      h('label', { for: 'f-template' }, 'Template'), tpl,
      h('label', { for: 'f-state' }, 'State'), state,
      h('span', { class: 'check' }, mine, h('label', { for: 'f-mine' }, 'Mine only')),
      live),
    body);
  api('/api/v1/templates').then(({ templates }) => {
    for (const t of templates) tpl.append(h('option', { value: t.name }, t.name));
  }).catch(() => {});

  let stop = null;
  const follow = () => {
    if (stop) stop();
    const q = new URLSearchParams({ watch: '1', limit: '100' });
    if (tpl.value) q.set('template', tpl.value);
    if (state.value) q.set('state', state.value);
    if (mine.checked) q.set('mine', '1');
    live.textContent = 'connecting…';
    stop = stream(`/api/v1/runs?${q}`, (type, data) => {
      if (type !== 'runs' || !ctx.live) return;
      live.textContent = `live · updated ${new Date().toLocaleTimeString()}`;
      replace(body, runsTable(data.runs || []));
    }, {
      onError: (e) => { live.textContent = `disconnected (${e.message}); retrying…`; },
    });
  };
  ctx.onStop(() => stop && stop());
  for (const el of [tpl, state, mine]) el.addEventListener('change', follow);
  follow();
}

function runsTable(runs) {
  if (!runs.length) return h('p', { class: 'empty' }, 'No runs match. Request one from the catalog.');
  return table(null, ['Run', 'Template', 'State', 'Requester', 'Created', 'Took'], runs.map((r) => [
    h('a', { href: `#/runs/${r.id}` }, `#${r.id}`), r.template, badge(r.state), r.requester,
    fmtTime(r.created_at), r.finished_at ? fmtDuration(duration(r.created_at, r.finished_at)) : '']), 'runs');
}

// ---- one run -----------------------------------------------------------

export async function runView(root, [id], ctx) {
  const head = h('div');
  const actions = h('div', { class: 'buttons', 'aria-live': 'polite' });
  const details = h('div');
  const logBox = h('ol', { class: 'log', 'aria-label': 'Log lines' });
  const logSearch = h('input', { id: 'log-search', type: 'search', autocomplete: 'off' });
  const followBox = h('input', { id: 'log-follow', type: 'checkbox', checked: true });
  const logCount = h('span', { class: 'muted', 'aria-live': 'polite' });
  const logWrap = h('div', { class: 'log-wrap', tabindex: '0', role: 'region', 'aria-label': 'Log' }, logBox);
  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/runs' }, 'Runs'), ` / #${id}`),
    head, actions, details,
    h('section', { 'aria-labelledby': 'log-h' },
      h('h2', { id: 'log-h' }, 'Log'),
      h('div', { class: 'filters' },
        h('label', { for: 'log-search' }, 'Search the log'), logSearch,
        h('span', { class: 'check' }, followBox, h('label', { for: 'log-follow' }, 'Follow')),
        logCount),
      logWrap));

  let run = null;
  const lines = [];
  const showLine = (l) => {
    const q = logSearch.value.trim().toLowerCase();
    return !q || l.text.toLowerCase().includes(q);
  };
  const lineEl = (l) => h('li', { class: `ln s-${l.stream}`, hidden: !showLine(l) },
    h('span', { class: 'ln-step' }, l.step || 'vend'), ' ', h('span', { class: 'ln-text' }, l.text));
  const countText = () => {
    const shown = lines.filter(showLine).length;
    logCount.textContent = shown === lines.length ? `${lines.length} lines` : `${shown} of ${lines.length} lines`;
  };
  logSearch.addEventListener('input', () => {
    lines.forEach((l) => { l.el.hidden = !showLine(l); });
    countText();
  });

  const refresh = async () => {
    try {
      run = await api(`/api/v1/runs/${id}`);
    } catch (e) {
      if (ctx.live) replace(details, errorBox(e));
      return;
    }
    if (!ctx.live) return;
    renderHead(head, run);
    await renderActions(actions, run, ctx, refresh);
    renderDetails(details, run);
  };
  await refresh();
  if (!run) return;

  // The log, live: each line as text, its colour codes stripped.
  const logStop = stream(`/api/v1/runs/${id}/logs?follow=1`, (type, data) => {
    if (!ctx.live) return 'stop';
    if (type === 'end') return 'stop';
    if (type !== 'log') return undefined;
    const l = { step: data.step, stream: String(data.stream || 'out').replace(/[^a-z]/g, ''), text: stripAnsi(data.line) };
    l.el = lineEl(l);
    lines.push(l);
    logBox.append(l.el);
    countText();
    // Follow: keep the newest line in view inside the log box (not the page).
    if (followBox.checked) logWrap.scrollTop = logWrap.scrollHeight;
    return undefined;
  });
  // The run's changes: the page follows its state.
  let pending = null;
  const evStop = stream(`/api/v1/runs/${id}/events`, (type) => {
    if (!ctx.live) return 'stop';
    clearTimeout(pending);
    pending = setTimeout(refresh, 150);
    return type === 'end' ? 'stop' : undefined;
  });
  ctx.onStop(() => { logStop(); evStop(); clearTimeout(pending); });
}

// A queued step no connected runner can take, said as vend show says it.
function runnerWait(r) {
  const lines = (r.steps || []).filter((s) => s.runner_wait).map((s) => {
    const w = s.runner_wait;
    const labels = (w.labels || []).join(',');
    if (!w.connected) return `step ${s.name}: no runner is connected`;
    if (!w.fitting && w.cordoned) return `step ${s.name}: a runner that is not cordoned (the ${w.cordoned} that could take it are)`;
    if (!w.fitting) return `step ${s.name}: a runner with labels ${labels} (none of ${w.connected} connected has them all)`;
    return `step ${s.name}: a free runner (${w.fitting} of ${w.connected} connected can take it)`;
  });
  return lines.length ? lines.join('; ') : null;
}

function renderHead(el, r) {
  replace(el,
    h('h1', {}, `Run #${r.id} · ${r.template} `, badge(r.state)),
    r.reason ? h('p', { class: 'reason' }, r.reason) : null,
    r.break_glass ? h('p', { class: 'error' }, `Break-glass: ${r.break_glass.reason || ''}`) : null,
    facts([['Requester', r.requester], ['Created', fmtTime(r.created_at)], ['Finished', fmtTime(r.finished_at)],
      ['Took', r.finished_at ? fmtDuration(duration(r.created_at, r.finished_at)) : null],
      ['Environment', r.environment], ['Lock', r.lock],
      ['Monthly cost', r.cost ? `$${Number(r.cost.monthly_usd).toFixed(2)} (estimate)` : null],
      ['Place in line', r.lock_position > 0 ? String(r.lock_position) : null],
      ['Waiting for', runnerWait(r)],
      ['Version', h('code', { title: r.version }, String(r.version).slice(0, 12))], ['Trace', r.trace_id]]));
}

// The buttons the run's state and the user allow; built off-screen and
// swapped in at once, so a re-render never leaves the row empty.
async function renderActions(el, r, ctx, refresh) {
  const seq = String(Number(el.dataset.seq || 0) + 1);
  el.dataset.seq = seq;
  const status = h('div', { 'aria-live': 'polite' });
  const act = (label, path, cls, body) => h('button', {
    type: 'button', class: cls || null,
    onclick: async (ev) => {
      ev.target.disabled = true;
      try {
        await api(`/api/v1/runs/${r.id}/${path}`, { method: 'POST', body: body ? body() : undefined });
        await refresh();
      } catch (e) {
        replace(status, errorBox(e));
        ev.target.disabled = false;
      }
    },
  }, label);
  const kids = [];
  if (r.state === 'awaiting_approval' && ctx.can('approver')) {
    // Only to one of a gate's approvers (the inbox knows), else why not.
    try {
      const { approvals } = await api('/api/v1/approvals');
      const gates = approvals.filter((g) => g.run && g.run.id === r.id);
      if (gates.some((g) => g.can_vote)) {
        const comment = h('input', { id: 'vote-comment', type: 'text', autocomplete: 'off' });
        kids.push(h('label', { for: 'vote-comment' }, 'Comment'), comment,
          act('Approve', 'approve', null, () => ({ comment: comment.value })),
          act('Reject', 'reject', 'danger', () => ({ comment: comment.value })));
      } else {
        const why = gates.map((g) => g.why_not).filter(Boolean)[0];
        if (why) kids.push(h('span', { class: 'muted' }, `You cannot vote on this run: ${why}.`));
      }
    } catch (e) {
      kids.push(errorBox(e));
    }
  }
  if (!TERMINAL.includes(r.state) && ctx.can('operator')) kids.push(act('Cancel', 'cancel', 'danger'));
  if (['succeeded', 'failed'].includes(r.state) && ctx.can('operator')) kids.push(act('Roll back', 'rollback', 'secondary'));
  if (el.dataset.seq !== seq) return; // a newer render got there first
  replace(el, kids, status);
}

function renderDetails(el, r) {
  const params = Object.entries(r.params || {});
  const outputs = (r.steps || []).flatMap((st) => Object.entries(st.outputs || {}).map(([k, v]) => [st.name, k, String(v)]));
  const decisions = decisionRows(r.decisions);
  replace(el,
    h('section', { 'aria-labelledby': 'steps-h' }, h('h2', { id: 'steps-h' }, 'Steps'),
      (r.steps || []).length ? h('ol', { class: 'timeline' }, r.steps.map((st) => h('li', { class: `tl tl-${String(st.state).replace(/[^a-z_]/g, '')}` },
        h('span', { class: 'tl-name' }, st.name), ' ', badge(st.state),
        st.phase && st.phase !== 'main' ? h('span', { class: 'muted' }, ` ${st.phase}`) : null,
        h('span', { class: 'muted' },
          st.attempts > 1 ? ` · ${st.attempts} attempts` : '',
          st.exit_code !== null && st.exit_code !== undefined ? ` · exit ${st.exit_code}` : '',
          st.started_at ? ` · ${fmtDuration(duration(st.started_at, st.finished_at))}` : '',
          st.runner ? ` · on ${st.runner}` : ''),
        st.error ? h('p', { class: 'reason' }, st.error) : null)))
        : h('p', { class: 'muted' }, 'No steps yet.')),
    h('section', { 'aria-labelledby': 'params-h' }, h('h2', { id: 'params-h' }, 'Parameters'),
      params.length ? table(null, ['Name', 'Value'], params.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))
        : h('p', { class: 'muted' }, 'None.')),
    outputs.length ? h('section', { 'aria-labelledby': 'out-h' }, h('h2', { id: 'out-h' }, 'Outputs'),
      table(null, ['Step', 'Key', 'Value'], outputs)) : null,
    h('section', { 'aria-labelledby': 'dec-h' }, h('h2', { id: 'dec-h' }, 'Policy decisions'),
      decisions.length ? table(null, ['Effect', 'Policy', 'Message', 'Error'], decisions)
        : h('p', { class: 'muted' }, `No rule fired (${(r.decisions || []).length} checked).`)),
    (r.approvals || []).length ? h('section', { 'aria-labelledby': 'appr-h' }, h('h2', { id: 'appr-h' }, 'Approvals'),
      table(null, ['Gate', 'Needs', 'State', 'Votes'], r.approvals.map((a) => [
        a.message || a.source, `${a.count} of ${(a.approvers || []).join(', ')}`, badge(a.state || 'pending'),
        (a.votes || []).map((v) => `${v.by}: ${v.decision}${v.comment ? ` (${v.comment})` : ''}`).join('; ')]))) : null,
    analysisSection(r.analysis));
}

function analysisResults(a) {
  if (!a) return [];
  if (Array.isArray(a)) return a.flatMap(analysisResults);
  if (a.metrics || a.verdict) return [a];
  return Object.entries(a).filter(([, v]) => v && typeof v === 'object').map(([k, v]) => ({ step: k, ...v }));
}

function analysisSection(a) {
  const results = analysisResults(a);
  if (!results.length) return null;
  return h('section', { 'aria-labelledby': 'an-h' }, h('h2', { id: 'an-h' }, 'Analysis'),
    results.map((res) => h('div', { class: 'card' },
      h('p', {}, h('strong', {}, 'Verdict: '), badge(res.verdict || 'unknown'), ' ', res.explanation || ''),
      table(null, ['Metric', 'Verdict', 'Baseline', 'Canary', 'Why'], (res.metrics || []).map((m) => [
        m.name, badge(m.verdict), side(m, m.baseline), side(m, m.canary), m.explanation || m.reason || ''])),
      (res.metrics || []).map(metricChart))));
}

function side(m, x) {
  if (!x) return '–';
  if (m.kind === 'errors') return `${x.errors}/${x.requests} (${pct(x.rate)})`;
  if (m.kind === 'samples') return `median ${num(x.median)}${m.unit ? ` ${m.unit}` : ''}, n ${x.n}`;
  return '–';
}

function num(x) { return typeof x === 'number' ? (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3)) : '–'; }

function metricChart(m) {
  const legend = [['baseline', 'c-base'], ['canary', 'c-canary']];
  if (m.kind === 'errors' && m.baseline && m.canary) {
    return barChart({ title: `${m.name}: error rate, baseline vs canary`, legend, fmt: pct,
      groups: [{ label: 'error rate', bars: [{ name: 'baseline', value: m.baseline.rate, cls: 'c-base' }, { name: 'canary', value: m.canary.rate, cls: 'c-canary' }] }] });
  }
  if (m.kind === 'samples' && m.baseline && m.canary) {
    const unit = m.unit ? ` ${m.unit}` : '';
    return barChart({ title: `${m.name}: baseline vs canary${unit ? ` (${m.unit})` : ''}`, legend, fmt: (v) => `${num(v)}${unit}`,
      groups: ['median', 'p90', 'p99'].map((k) => ({ label: k, bars: [
        { name: 'baseline', value: m.baseline[k], cls: 'c-base' }, { name: 'canary', value: m.canary[k], cls: 'c-canary' }] })) });
  }
  return null;
}

