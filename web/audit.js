// The audit log: the signed tree head, the latest entries with filters,
// and "Verify" for an entry: its inclusion proof is checked here in the
// browser (WebCrypto SHA-256, RFC 9162 hashing), against the root hash of
// the tree head, without trusting the page's own arithmetic to the server.

import { api } from './api.js';
import { h, replace, table, facts, errorBox, fmtTime } from './dom.js';

const PAGE = 200;

function b64bytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function bytesB64(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

async function sha256(...parts) {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const buf = new Uint8Array(len);
  let o = 0;
  for (const p of parts) { buf.set(p, o); o += p.length; }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}

const LEAF = Uint8Array.of(0), NODE = Uint8Array.of(1);

// RFC 9162 2.1.3.2: the root an inclusion proof leads to, or null.
export async function rootFromProof(index, size, leafHash, proof) {
  if (index >= size) return null;
  let fn = index, sn = size - 1, r = leafHash;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(NODE, p, r);
      while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    } else {
      r = await sha256(NODE, r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

export async function auditView(root, _args, ctx) {
  const headBox = h('section', { 'aria-labelledby': 'th-h' });
  const body = h('div', { 'aria-live': 'polite' });
  root.append(h('h1', {}, 'Audit'), headBox, body);
  const head = await api('/api/v1/audit/tree-head');
  if (!ctx.live) return;
  replace(headBox, h('h2', { id: 'th-h' }, 'Signed tree head'),
    facts([['Entries', String(head.size)], ['Root hash (SHA-256)', h('code', { class: 'hash' }, head.root_hash)]]),
    h('details', {}, h('summary', {}, 'Checkpoint (signed note)'), h('pre', { class: 'checkpoint' }, head.checkpoint)),
    h('p', { class: 'help' }, 'vend audit verify checks the whole log and the checkpoint signatures; Verify below checks one entry here.'));

  let entries;
  const start = Math.max(0, head.size - PAGE);
  try {
    entries = head.size ? await api(`/api/v1/audit/entries?start=${start}&end=${head.size}`) : [];
  } catch (e) {
    if (e.status === 403) {
      body.append(h('p', { class: 'muted' }, 'Reading the entries needs the viewer or admin role (auditors): they name every actor. The tree head above is open to every user.'));
      return;
    }
    throw e;
  }
  if (!ctx.live) return;
  entries.reverse();
  const actions = [...new Set(entries.map((e) => e.entry && e.entry.action).filter(Boolean))].sort();
  const fAction = h('select', { id: 'a-action' }, h('option', { value: '' }, 'any'), actions.map((a) => h('option', { value: a }, a)));
  const fActor = h('input', { id: 'a-actor', type: 'search', autocomplete: 'off' });
  const fRun = h('input', { id: 'a-run', type: 'search', inputmode: 'numeric', autocomplete: 'off' });
  const fText = h('input', { id: 'a-text', type: 'search', autocomplete: 'off' });
  const list = h('div');
  replace(body,
    h('h2', {}, `Entries ${start} to ${head.size - 1}, newest first`),
    h('form', { class: 'filters', role: 'search' },
      h('label', { for: 'a-action' }, 'Action'), fAction,
      h('label', { for: 'a-actor' }, 'Actor'), fActor,
      h('label', { for: 'a-run' }, 'Run'), fRun,
      h('label', { for: 'a-text' }, 'Text'), fText),
    list);
  const show = () => {
    const want = (e) => {
      const x = e.entry || {};
      if (fAction.value && x.action !== fAction.value) return false;
      if (fActor.value.trim() && !String(x.actor || '').includes(fActor.value.trim())) return false;
      if (fRun.value.trim() && String(x.run_id) !== fRun.value.trim()) return false;
      if (fText.value.trim() && !JSON.stringify(x).toLowerCase().includes(fText.value.trim().toLowerCase())) return false;
      return true;
    };
    const rows = entries.filter(want);
    replace(list, rows.length ? table(null, ['#', 'Time', 'Actor', 'Action', 'Target', 'Result', 'Run', 'Details', 'Proof'],
      rows.map((e) => row(e, head))) : h('p', { class: 'empty' }, 'No entry matches.'));
  };
  for (const el of [fAction, fActor, fRun, fText]) el.addEventListener('input', show);
  fAction.addEventListener('change', show);
  show();
}

function row(e, head) {
  const x = e.entry || {};
  const out = h('span', { 'aria-live': 'polite' });
  const btn = h('button', { type: 'button', class: 'secondary small', 'aria-label': `Verify entry ${e.index}` }, 'Verify');
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      replace(out, await verify(e, head));
    } catch (err) {
      replace(out, errorBox(err));
    } finally {
      btn.disabled = false;
    }
  });
  return [String(e.index), fmtTime(x.time), x.actor || '', x.action || '', x.target || '', x.result || '',
    x.run_id ? h('a', { href: `#/runs/${x.run_id}` }, `#${x.run_id}`) : '', details(x.details),
    h('span', {}, btn, ' ', out)];
}

// An entry's details as short text; the whole of it on hover.
function details(d) {
  if (!d || typeof d !== 'object' || !Object.keys(d).length) return '';
  const text = Object.entries(d).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
  return h('span', { class: 'details', title: text.slice(0, 2000) }, text.length > 120 ? `${text.slice(0, 119)}…` : text);
}

async function verify(e, head) {
  const leaf = await sha256(LEAF, b64bytes(e.data));
  if (e.leaf_hash && bytesB64(leaf) !== e.leaf_hash)
    return h('span', { class: 'bad', role: 'status' }, '✗ the entry\'s bytes do not hash to its leaf hash');
  const p = await api(`/api/v1/audit/proof/inclusion?index=${e.index}&size=${head.size}`);
  const r = await rootFromProof(e.index, head.size, leaf, (p.hashes || []).map(b64bytes));
  if (r && bytesB64(r) === head.root_hash)
    return h('span', { class: 'good', role: 'status' }, `✓ included in the signed tree of ${head.size} (${p.hashes.length} hashes checked)`);
  return h('span', { class: 'bad', role: 'status' }, '✗ the proof does not lead to the signed root: the log was changed');
}
