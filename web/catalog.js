// The catalog: templates with search, and a template's run form built from
// its typed parameters, with the server's checks mirrored in the browser,
// the server's per-field errors beside the fields, and a dry-run preview.

import { api, ApiError } from './api.js';
import { h, replace, table, facts } from './dom.js';

export async function catalogView(root, _args, ctx) {
  const search = h('input', { id: 'search', type: 'search', autocomplete: 'off',
    placeholder: 'name, title, tag, owner' });
  const list = h('ul', { class: 'cards', 'aria-live': 'polite' });
  root.append(h('h1', {}, 'Catalog'),
    h('div', { class: 'filters' }, h('label', { for: 'search' }, 'Search'), search), list);
  const { templates } = await api('/api/v1/templates');
  if (!ctx.live) return;
  const show = () => {
    const q = search.value.trim().toLowerCase();
    const hits = templates.filter((t) => !q || [t.name, t.title, t.description, t.owner, ...(t.tags || [])]
      .some((x) => x && String(x).toLowerCase().includes(q)));
    replace(list, hits.length ? hits.map(card)
      : h('li', { class: 'empty' }, templates.length ? 'No template matches.' : 'The catalog is empty: an admin loads one with vend catalog sync DIR.'));
  };
  search.addEventListener('input', show);
  show();
}

function card(t) {
  return h('li', { class: 'card' },
    h('h2', {}, h('a', { href: `#/catalog/${encodeURIComponent(t.name)}` }, t.title || t.name)),
    h('p', { class: 'muted' }, h('code', {}, t.name), t.owner ? ` · owner ${t.owner}` : ''),
    t.description ? h('p', {}, t.description) : null,
    (t.tags || []).length ? h('ul', { class: 'tags', 'aria-label': 'tags' }, t.tags.map((x) => h('li', {}, x))) : null);
}

// ---- client-side checks: the same rules and words as src/template/params.c

function describe(v) { return typeof v === 'string' ? JSON.stringify(v) : String(v); }

// Returns [value to send or undefined, error message or null].
export function checkParam(p, raw) {
  if (p.type === 'boolean') return [raw, null];
  if (raw === '') return p.required && p.default === undefined ? [undefined, 'is required'] : [undefined, null];
  if (raw.length > 65536) return [undefined, 'is too long'];
  let v = raw;
  if (p.type === 'integer') {
    if (!/^[+-]?[0-9]+$/.test(raw)) return [undefined, `must be an integer (got ${describe(raw)})`];
    v = Number(raw);
  } else if (p.type === 'number') {
    if (!/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(raw)) return [undefined, `must be a number (got ${describe(raw)})`];
    v = Number(raw);
  }
  if (p.enum && !p.enum.some((e) => String(e) === raw)) return [undefined, `must be one of: ${p.enum.join(', ')}`];
  if (typeof v === 'number') {
    if (p.minimum !== undefined && v < p.minimum) return [undefined, `must be at least ${p.minimum} (got ${raw})`];
    if (p.maximum !== undefined && v > p.maximum) return [undefined, `must be at most ${p.maximum} (got ${raw})`];
    // Integers travel as text so that no digit is lost; the server reads them.
    return [p.type === 'integer' && !Number.isSafeInteger(v) ? raw : v, null];
  }
  const n = [...v].length;
  if (p.minLength !== undefined && n < p.minLength) return [undefined, `must be at least ${p.minLength} character${p.minLength === 1 ? '' : 's'} long (got ${n})`];
  if (p.maxLength !== undefined && n > p.maxLength) return [undefined, `must be at most ${p.maxLength} character${p.maxLength === 1 ? '' : 's'} long (got ${n})`];
  if (p.pattern) {
    let re = null;
    try { re = new RegExp(p.pattern, 'u'); } catch { re = null; } // PCRE only: the server checks
    if (re && !re.test(v)) return [undefined, `must match ${p.pattern}`];
  }
  return [v, null];
}

function field(p) {
  const id = `p-${p.name}`;
  const help = p.description ? h('p', { id: `${id}-help`, class: 'help' }, p.description) : null;
  const err = h('p', { id: `${id}-err`, class: 'field-error', 'aria-live': 'polite' });
  const described = [help ? `${id}-help` : null, `${id}-err`].filter(Boolean).join(' ');
  let input;
  if (p.type === 'boolean') {
    input = h('input', { id, name: p.name, type: 'checkbox', checked: p.default === true, 'aria-describedby': described });
    return { p, input, err, el: h('div', { class: 'field check' }, input, h('label', { for: id }, p.name), help, err) };
  }
  if (p.enum) {
    input = h('select', { id, name: p.name, 'aria-describedby': described, required: !!p.required },
      p.required && p.default !== undefined ? null : h('option', { value: '' }, p.default === undefined ? '(choose)' : ''),
      p.enum.map((e) => h('option', { value: String(e), selected: e === p.default }, String(e))));
  } else {
    input = h('input', {
      id, name: p.name, 'aria-describedby': described, required: !!p.required, autocomplete: 'off',
      type: p.type === 'secret' ? 'password' : 'text',
      inputmode: p.type === 'integer' ? 'numeric' : p.type === 'number' ? 'decimal' : null,
      value: p.default !== undefined && p.default !== null ? String(p.default) : null,
    });
  }
  const label = h('label', { for: id }, p.name, p.required ? h('span', { class: 'req' }, ' (required)') : null,
    h('span', { class: 'muted' }, ` ${p.type}`));
  return { p, input, err, el: h('div', { class: 'field' }, label, input, help, err) };
}

function setError(f, msg) {
  f.err.textContent = msg || '';
  if (msg) f.input.setAttribute('aria-invalid', 'true');
  else f.input.removeAttribute('aria-invalid');
}

export async function templateView(root, [name], ctx) {
  const t = await api(`/api/v1/templates/${encodeURIComponent(name)}`);
  if (!ctx.live) return;
  const fields = (t.parameters || []).map(field);
  const summary = h('div', { 'aria-live': 'assertive' });
  const preview = h('section', { class: 'preview', 'aria-live': 'polite', 'aria-label': 'Preview' });
  const runBtn = h('button', { type: 'submit' }, 'Run');
  const previewBtn = h('button', { type: 'button', class: 'secondary' }, 'Preview');
  const form = h('form', { class: 'card runform', novalidate: true },
    h('h2', {}, 'Run it'),
    fields.length ? fields.map((f) => f.el) : h('p', { class: 'muted' }, 'This template takes no parameters.'),
    summary,
    h('div', { class: 'buttons' }, previewBtn, runBtn),
    preview);
  if (!ctx.can('operator')) {
    runBtn.disabled = true;
    previewBtn.disabled = true;
    summary.append(h('p', { class: 'muted' }, `Requesting runs needs the operator or admin role; you have: ${ctx.me.roles.join(', ')}.`));
  }
  root.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/catalog' }, 'Catalog'), ' / ', t.name),
    h('h1', {}, t.title || t.name),
    t.description ? h('p', {}, t.description) : null,
    facts([['Name', h('code', {}, t.name)], ['Owner', t.owner], ['Tags', (t.tags || []).join(', ')],
      ['Version', h('code', { title: t.version }, (t.version || '').slice(0, 12))],
      ['Environment', t.environment], ['Lock', t.lock],
      ['Steps', (t.steps || []).map((x) => x.name).join(' → ')],
      ['Rollback', (t.rollback || []).map((x) => x.name).join(' → ')]]),
    form);

  // Collects the values; shows the client-side errors; null when any.
  const collect = () => {
    const params = {};
    let bad = null;
    for (const f of fields) {
      const raw = f.p.type === 'boolean' ? f.input.checked : f.input.value;
      const [v, msg] = checkParam(f.p, raw);
      setError(f, msg);
      if (msg && !bad) bad = f;
      if (v !== undefined) params[f.p.name] = v;
    }
    replace(summary);
    if (bad) {
      summary.append(h('p', { class: 'error', role: 'alert' }, 'Some values need fixing: see the messages beside the fields.'));
      bad.input.focus();
      return null;
    }
    return params;
  };
  // The server's problem: each "params.NAME" error beside its field.
  const showProblem = (e) => {
    const others = [];
    for (const fe of (e.problem && e.problem.errors) || []) {
      const m = /^params\.(.+)$/.exec(fe.field || '');
      const f = m && fields.find((x) => x.p.name === m[1]);
      if (f) setError(f, fe.message); else others.push(fe);
    }
    const first = fields.find((f) => f.err.textContent);
    replace(summary, h('div', { class: 'error', role: 'alert' },
      h('strong', {}, e.status === 400 ? 'The server refused these values. ' : ''),
      e.message,
      others.length ? h('ul', {}, others.map((x) => h('li', {}, `${x.field}: ${x.message}`))) : null));
    if (first) first.input.focus();
  };
  const submit = async (dry) => {
    const params = collect();
    if (!params) return;
    runBtn.disabled = previewBtn.disabled = true;
    try {
      const r = await api('/api/v1/runs', { method: 'POST', body: { template: t.name, params, dry_run: dry || undefined } });
      if (!ctx.live) return;
      if (dry) replace(preview, renderPreview(r));
      else location.hash = `#/runs/${r.id}`;
    } catch (e) {
      if (e instanceof ApiError) showProblem(e); else throw e;
    } finally {
      runBtn.disabled = previewBtn.disabled = false;
    }
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); submit(false); });
  // A preview belongs to the values it was made for.
  form.addEventListener('input', () => replace(preview));
  form.addEventListener('change', () => replace(preview));
  previewBtn.addEventListener('click', () => submit(true));
}

const OUTCOME = {
  queued: 'would be queued and run', awaiting_approval: 'would wait for approval',
  rejected: 'would be refused by policy', pending: 'would be accepted',
};

export function decisionRows(decisions) {
  return (decisions || []).filter((d) => d.fired || d.error || d.match_error).map((d) => [
    h('span', { class: `effect ef-${String(d.effect).replace(/[^a-z_]/g, '')}` }, d.effect),
    `${d.policy}${d.rule !== undefined ? ` #${d.rule}` : ''}`,
    d.message || '', d.error || d.match_error || d.message_error || '']);
}

function renderPreview(r) {
  const fired = decisionRows(r.decisions);
  const cost = r.cost && r.cost.monthly_usd !== undefined ? r.cost.monthly_usd : null;
  return h('div', {},
    h('h3', {}, 'Preview (dry run, nothing was started)'),
    h('p', { class: `outcome oc-${String(r.outcome).replace(/[^a-z_]/g, '')}` }, `This run ${OUTCOME[r.outcome] || r.outcome}.`),
    facts([['Environment', r.environment], ['Lock', r.lock],
      ['Lock status', r.lock && r.lock_status ? (r.lock_status.held_by ? `held by run ${r.lock_status.held_by}, ${r.lock_status.waiting} waiting` : `free, ${r.lock_status.waiting} waiting`) : null],
      ['Monthly cost', cost !== null ? `$${Number(cost).toFixed(2)}` : null],
      ['Artifact', r.artifact ? `${r.artifact.name || ''} ${r.artifact.version || ''} ${r.artifact.signed ? 'signed' : 'not signed'}` : null],
      ['Steps', [...(r.preflight || []), ...(r.steps || [])].map((x) => x.name).join(' → ')]]),
    h('h4', {}, 'Policy decisions'),
    fired.length ? table(null, ['Effect', 'Policy', 'Message', 'Error'], fired)
      : h('p', { class: 'muted' }, `No rule fired (${(r.decisions || []).length} checked).`),
    h('h4', {}, 'Approvals needed'),
    (r.approvals || []).length
      ? h('ul', {}, r.approvals.map((a) => h('li', {}, `${a.count} of ${a.approvers.join(', ')}: ${a.message || a.source}`)))
      : h('p', { class: 'muted' }, 'None.'));
}
