// The approvals inbox: the runs waiting for a vote the user may cast, with
// Approve / Reject and a comment. One vote counts for every open gate of
// the run the user may vote on.

import { api, stream } from './api.js';
import { h, replace, table, errorBox, fmtTime } from './dom.js';

export async function approvalsView(root, _args, ctx) {
  const list = h('div', { 'aria-live': 'polite' });
  root.append(h('h1', {}, 'Approvals'), list);
  const load = async () => {
    const { approvals } = await api('/api/v1/approvals');
    if (!ctx.live) return;
    const byRun = new Map();
    for (const g of approvals) {
      if (!byRun.has(g.run.id)) byRun.set(g.run.id, { run: g.run, gates: [] });
      byRun.get(g.run.id).gates.push(g);
    }
    if (!byRun.size) {
      replace(list, h('p', { class: 'empty' }, 'Nothing waits for an approval.'));
      return;
    }
    replace(list, [...byRun.values()].map(({ run, gates }) => item(run, gates, load)));
  };
  await load();
  // Live: runs entering or leaving awaiting_approval change the inbox.
  let first = true;
  ctx.onStop(stream('/api/v1/runs?watch=1&state=awaiting_approval', () => {
    if (first) { first = false; return; }
    load().catch(() => {});
  }));
}

function item(run, gates, reload) {
  const id = `c-${run.id}`;
  const canVote = gates.some((g) => g.can_vote);
  const status = h('div', { 'aria-live': 'polite' });
  const comment = h('input', { id, type: 'text', autocomplete: 'off' });
  const vote = (approve) => async (ev) => {
    ev.target.disabled = true;
    try {
      await api(`/api/v1/runs/${run.id}/${approve ? 'approve' : 'reject'}`, { method: 'POST', body: { comment: comment.value } });
      await reload();
    } catch (e) {
      replace(status, errorBox(e));
      ev.target.disabled = false;
    }
  };
  return h('article', { class: 'card approval', 'aria-labelledby': `${id}-h` },
    h('h2', { id: `${id}-h` }, h('a', { href: `#/runs/${run.id}` }, `Run #${run.id}`), ` · ${run.template}`),
    h('p', { class: 'muted' }, `requested by ${run.requester}`, run.environment ? ` for ${run.environment}` : '', ` · ${fmtTime(run.created_at)}`),
    Object.keys(run.params || {}).length
      ? table(null, ['Parameter', 'Value'], Object.entries(run.params).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))
      : null,
    table(null, ['Gate', 'Needs', 'Approved', 'Expires'], gates.map((g) => [g.message || g.source,
      `${g.count} of ${(g.approvers || []).join(', ')}`, `${g.approved} of ${g.count}`, g.expires_at ? fmtTime(g.expires_at) : 'never'])),
    canVote
      ? h('div', { class: 'buttons' },
        h('label', { for: id }, 'Comment'), comment,
        h('button', { type: 'button', onclick: vote(true) }, 'Approve'),
        h('button', { type: 'button', class: 'danger', onclick: vote(false) }, 'Reject'))
      : h('p', { class: 'muted' }, `You cannot vote on it: ${gates.map((g) => g.why_not).filter(Boolean)[0] || 'not one of its approvers'}.`),
    status);
}
