// Runners: GET /api/v1/runners, as `vend runners` shows them.

import { api } from './api.js';
import { h, replace, badge, table, fmtTime } from './dom.js';

export async function runnersView(root, _args, ctx) {
  const body = h('div', { 'aria-live': 'polite' });
  root.append(h('h1', {}, 'Runners'),
    h('p', { class: 'muted' }, 'Runners heard from in the last day. A step waits for a connected runner that has all of its labels.'),
    body);
  const d = await api('/api/v1/runners');
  if (!ctx.live) return;
  const rs = d.runners || [];
  replace(body, rs.length
    ? table(null, ['Name', 'Status', 'Busy jobs', 'Last seen', 'Labels'], rs.map((r) => [
      r.name,
      r.cordon
        ? h('span', {}, badge(r.status), ' ', h('span', {
          class: 'badge st-offline',
          title: `cordoned by ${r.cordon.by}${r.cordon.reason ? ': ' + r.cordon.reason : ''}; it takes no new job`,
        }, 'cordoned'))
        : badge(r.status),
      String(r.busy_jobs), fmtTime(r.last_seen),
      (r.labels || []).length ? r.labels.join(', ') : '–']))
    : h('p', { class: 'empty' }, 'No runner has been heard from. Start one with vend runner --server URL --token-file FILE.'));
}
