// The portal's shell: sign in, the navigation, and a router over
// location.hash (#/catalog, #/runs/12, ...). Each view gets a fresh
// container and a context whose `live` flag turns false (and whose
// streams stop) when the user navigates away.

import { api, token, onUnauthorized } from './api.js';
import { h, replace, errorBox } from './dom.js';
import { catalogView, templateView } from './catalog.js';
import { runsView, runView } from './runs.js';
import { approvalsView } from './approvals.js';
import { auditView } from './audit.js';
import { insightsView } from './insights.js';
import { runnersView } from './runners.js';

const routes = [
  [/^#\/catalog$/, catalogView, 'Catalog'],
  [/^#\/catalog\/([a-z0-9-]{1,63})$/, templateView, 'Catalog'],
  [/^#\/runs$/, runsView, 'Runs'],
  [/^#\/runs\/([0-9]{1,19})$/, runView, 'Runs'],
  [/^#\/approvals$/, approvalsView, 'Approvals'],
  [/^#\/audit$/, auditView, 'Audit'],
  [/^#\/insights$/, insightsView, 'Insights'],
  [/^#\/runners$/, runnersView, 'Runners'],
];
const NAV = [['Catalog', '#/catalog'], ['Runs', '#/runs'], ['Approvals', '#/approvals'],
  ['Audit', '#/audit'], ['Insights', '#/insights'], ['Runners', '#/runners']];

let me = null;
let current = null; // the context of the view on screen

function signOut() {
  token.clear();
  me = null;
  location.hash = '#/catalog';
  render();
}

function nav(active) {
  const el = document.getElementById('nav');
  if (!me) { replace(el); return; }
  replace(el,
    h('ul', {}, NAV.map(([name, href]) => h('li', {},
      h('a', { href, 'aria-current': name === active ? 'page' : null }, name)))),
    h('span', { class: 'who' }, h('span', { class: 'sr' }, 'Signed in as '), me.name),
    h('button', { type: 'button', class: 'quiet', onclick: signOut }, 'Sign out'));
}

function signInView(main, message) {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off',
    required: true, spellcheck: 'false', 'aria-describedby': 'token-help' });
  const status = h('div', { 'aria-live': 'polite' }, message ? h('p', { class: 'error', role: 'alert' }, message) : null);
  const form = h('form', { class: 'card signin', novalidate: true },
    h('h1', {}, 'Sign in to vend'),
    h('label', { for: 'token' }, 'Token'),
    input,
    h('p', { id: 'token-help', class: 'help' },
      'A vend token (vend_...). ', h('code', {}, 'vend up'), ' prints the admin token and keeps it in ',
      h('code', {}, '.vend/admin.token'), '; an admin creates others with ', h('code', {}, 'vend token create'),
      '. It is kept in this tab only (sessionStorage).'),
    status,
    h('button', { type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const t = input.value.trim();
    if (!t) { replace(status, h('p', { class: 'error', role: 'alert' }, 'Paste a token first.')); input.focus(); return; }
    token.set(t);
    try {
      me = await api('/api/v1/whoami');
    } catch (e) {
      token.clear();
      replace(status, e.status === 401
        ? h('p', { class: 'error', role: 'alert' }, 'That token is unknown, revoked or expired. Check it, or ask an admin for a new one.')
        : errorBox(e));
      input.focus();
      return;
    }
    if (!location.hash || location.hash === '#/' || location.hash === '#') location.hash = '#/catalog';
    render();
  });
  replace(main, form);
  input.focus();
}

async function render(message) {
  if (current) { current.live = false; current.stops.forEach((f) => f()); }
  const ctx = { live: true, stops: [], me: null };
  current = ctx;
  ctx.onStop = (f) => ctx.stops.push(f);
  const main = document.getElementById('main');
  if (!token.get()) { nav(); signInView(main, message); return; }
  if (!me) {
    try {
      me = await api('/api/v1/whoami');
    } catch (e) {
      if (e.status === 401) { nav(); signInView(main, 'Your token is no longer accepted; sign in again.'); return; }
      replace(main, errorBox(e));
      return;
    }
  }
  ctx.me = me;
  ctx.can = (...roles) => me.roles.some((r) => r === 'admin' || roles.includes(r));
  const hash = location.hash || '#/catalog';
  for (const [re, view, section] of routes) {
    const m = hash.match(re);
    if (!m) continue;
    nav(section);
    const root = h('div', { class: 'view' });
    replace(main, root);
    try {
      await view(root, m.slice(1).map(decodeURIComponent), ctx);
    } catch (e) {
      if (ctx.live) root.append(errorBox(e));
    }
    return;
  }
  nav();
  replace(main, h('p', {}, 'There is no such page. ', h('a', { href: '#/catalog' }, 'Go to the catalog.')));
}

onUnauthorized(() => {
  if (!me) return; // signing in says so itself
  token.clear();
  me = null;
  render('Your token is no longer accepted (revoked or expired); sign in again.');
});

window.addEventListener('hashchange', () => {
  render();
  const main = document.getElementById('main');
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
});
render();
