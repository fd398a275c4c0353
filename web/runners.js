// Runners: GET /api/v1/runners, as `vend runners` shows them; an admin
// cordons or uncordons one here as with `vend runners cordon NAME`.

import { api } from './api.js';
import { h, replace, badge, table, errorBox, fmtTime } from './dom.js';

export async function runnersView(root, _args, ctx) {
  const body = h('div', { 'aria-live': 'polite' });
  const status = h('div', { 'aria-live': 'polite' });
  root.append(h('h1', {}, 'Runners'),
    h('p', { class: 'muted' }, 'Runners heard from in the last day. A step waits for a connected runner that has all of its labels; a cordoned runner takes no new job.'),
    status, body);
  const admin = ctx.can('admin');
  const load = async () => {
    const d = await api('/api/v1/runners');
    if (!ctx.live) return;
    const rs = d.runners || [];
    const head = ['Name', 'Status', 'Busy jobs', 'Last seen', 'Labels'];
    replace(body, rs.length
      ? table(null, admin ? [...head, 'Cordon'] : head, rs.map((r) => {
        const row = [r.name, statusCell(r), jobsCell(r), fmtTime(r.last_seen),
          (r.labels || []).length ? r.labels.join(', ') : '–'];
        return admin ? [...row, cordonCell(r, status, load)] : row;
      }))
      : h('p', { class: 'empty' }, 'No runner has been heard from. Start one with vend runner --server URL --token-file FILE.'));
  };
  await load();
}

// How many jobs it holds, each a link to its run: "1: #41 build".
function jobsCell(r) {
  const jobs = r.jobs || [];
  if (!jobs.length) return String(r.busy_jobs);
  const links = jobs.flatMap((j, i) => [i ? ', ' : '', h('a', { href: `#/runs/${j.run_id}` }, `#${j.run_id} ${j.step || j.phase}`)]);
  return h('span', {}, `${r.busy_jobs}: `, ...links);
}

function statusCell(r) {
  if (!r.cordon) return badge(r.status);
  return h('span', {}, badge(r.status), ' ', h('span', {
    class: 'badge st-offline',
    title: `cordoned by ${r.cordon.by}${r.cordon.reason ? ': ' + r.cordon.reason : ''}; it takes no new job`,
  }, 'cordoned'));
}

// Uncordon, or a reason and Cordon: PUT or DELETE /api/v1/cordons/{name}.
function cordonCell(r, status, reload) {
  const send = (method, payload) => async (ev) => {
    ev.target.disabled = true;
    try {
      await api(`/api/v1/cordons/${encodeURIComponent(r.name)}`, { method, body: payload ? payload() : undefined });
      replace(status);
      await reload();
    } catch (e) {
      replace(status, errorBox(e));
      ev.target.disabled = false;
    }
  };
  if (r.cordon) {
    return h('button', { type: 'button', 'aria-label': `Uncordon ${r.name}`, onclick: send('DELETE') }, 'Uncordon');
  }
  const id = `cordon-${r.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const reason = h('input', { id, type: 'text', autocomplete: 'off', maxlength: '500', placeholder: 'why (optional)' });
  return h('div', { class: 'buttons' },
    h('label', { for: id, class: 'sr' }, `Why cordon ${r.name}`), reason,
    h('button', { type: 'button', 'aria-label': `Cordon ${r.name}`, onclick: send('PUT', () => (reason.value ? { reason: reason.value } : {})) }, 'Cordon'));
}
