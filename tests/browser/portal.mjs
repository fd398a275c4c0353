// The portal in a real browser (headless Debian chromium, driven by
// playwright-core): one phase per call, as tests/e2e/t10001-portal.sh runs
// them. Environment: VEND_URL, TOKEN (the user of the phase), OUT (where
// screenshots go), CHROMIUM (the browser binary); RUN_ID for "approve".
// Exits non-zero with the reason when what a user would see is wrong.
import { chromium } from 'playwright-core';

const { VEND_URL, TOKEN, OUT, CHROMIUM } = process.env;
const phase = process.argv[2];
const T = 60000; // generous: the machine may be slow and shared

function check(cond, what) {
  if (!cond) throw new Error(`expected: ${what}`);
  console.log(`# ok: ${what}`);
}

async function signIn(page) {
  await page.goto(`${VEND_URL}/`);
  await page.getByLabel('Token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: T });
}

// Dialogs (alert) and <img> elements must never come from user data.
function guard(page) {
  const seen = { dialogs: 0, errors: [] };
  page.on('dialog', (d) => { seen.dialogs++; d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  // A 4xx the page asked for (the form's 400) is logged by the browser;
  // script errors and CSP refusals ("Refused to ...") are what count.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4/.test(m.text())) seen.errors.push(m.text());
  });
  return seen;
}

const XSS = '<img src=x onerror=alert(1)>';

const phases = {
  // Sign in; a form with a client-side error, then a server-side one,
  // then a valid run followed to succeeded with its log.
  async run(page, seen) {
    await signIn(page);
    await page.locator('#nav').getByRole('link', { name: 'Catalog' }).click();
    await page.getByLabel('Search').fill('greet');
    await page.getByRole('link', { name: 'Greet someone' }).click();
    await page.getByRole('button', { name: 'Run' }).waitFor({ timeout: T });
    // The form is built from the typed parameters.
    check(await page.locator('#p-message').getAttribute('type') === 'text', 'a string parameter is a text field');
    check(await page.locator('#p-color').evaluate((e) => e.tagName) === 'SELECT', 'an enum parameter is a select');
    check(await page.locator('#p-loud').getAttribute('type') === 'checkbox', 'a boolean parameter is a checkbox');
    check(await page.locator('#p-api_key').getAttribute('type') === 'password', 'a secret parameter is a password field');
    check(await page.locator('#p-count').inputValue() === '2', 'defaults are filled in');
    check((await page.locator('#p-message-help').textContent()).includes('What to say'), 'descriptions are shown as help');
    await page.screenshot({ path: `${OUT}/portal-form.png`, fullPage: true });

    // 1. A client-side check: nothing is sent.
    await page.getByLabel('message').fill(XSS);
    await page.getByLabel('count').fill('9');
    await page.getByLabel('team').fill('abc');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.locator('#p-count-err').filter({ hasText: 'must be at most 5' }).waitFor({ timeout: T });
    check(true, 'a value over the maximum is refused beside its field before anything is sent');
    // 2. A check only the server makes (a PCRE pattern): its 400 is shown beside the field.
    await page.getByLabel('count').fill('3');
    await page.getByLabel('team').fill('abc1');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.locator('#p-team-err').filter({ hasText: 'must match' }).waitFor({ timeout: T });
    check(await page.locator('#p-count-err').textContent() === '', 'the fixed field has no error left');
    check(await page.locator('#p-team').getAttribute('aria-invalid') === 'true', 'the field the server refused is marked invalid');
    await page.screenshot({ path: `${OUT}/portal-form-errors.png`, fullPage: true });
    // 3. Preview, then a valid run.
    await page.getByLabel('team').fill('abc');
    await page.getByLabel('api_key').fill('hunter2-not-for-eyes');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByText('Preview (dry run').waitFor({ timeout: T });
    check(await page.getByText('This run would be queued and run.').count() === 1, 'the preview tells what would happen');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.waitForURL(/#\/runs\/[0-9]+$/, { timeout: T });
    await page.locator('h1 .badge', { hasText: 'succeeded' }).waitFor({ timeout: 120000 });
    check(true, 'the run page follows the run to succeeded');
    await page.locator('.log .ln-text', { hasText: 'shout done' }).waitFor({ timeout: T });
    const log = await page.locator('.log').innerText();
    check(log.includes(XSS), 'the log shows the parameter as text');
    check(log.includes('red alert') && !log.includes('\u001b') && !log.includes('[31m'), 'ANSI colours are stripped from the log');
    check((await page.locator('td', { hasText: XSS }).count()) >= 1, 'the parameter is shown as text');
    check(!(await page.content()).includes('hunter2-not-for-eyes'), 'the secret parameter is nowhere on the page (masked in params and log)');
    check(await page.locator('img').count() === 0, 'no <img> element came from user data');
    await page.getByLabel('Search the log').fill('red alert');
    check(await page.locator('.log .ln:not([hidden])').count() === 1, 'searching the log shows the matching line only');
    await page.getByLabel('Search the log').fill('');
    await page.screenshot({ path: `${OUT}/portal-run.png`, fullPage: true });
    // The runs list, live: a run started elsewhere appears without a reload.
    await page.locator('#nav').getByRole('link', { name: 'Runs' }).click();
    await page.getByText(/^live/).waitFor({ timeout: T });
    const before = await page.locator('table.runs tbody tr').count();
    const r = await fetch(`${VEND_URL}/api/v1/runs`, {
      method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ template: 'greet', params: { message: 'from elsewhere', team: 'xyz' } }) });
    check(r.status === 201, 'a run requested through the API');
    await page.waitForFunction((n) => document.querySelectorAll('table.runs tbody tr').length > n, before, { timeout: T });
    check(true, 'the runs list shows it live (server-sent events)');
    await page.getByLabel('State').selectOption('succeeded');
    await page.waitForFunction(() => [...document.querySelectorAll('table.runs tbody .badge')].every((b) => b.textContent === 'succeeded'), null, { timeout: T });
    check(true, 'the state filter applies');
    await page.screenshot({ path: `${OUT}/portal-runs.png`, fullPage: true });
  },

  // A second user approves a pending run from the inbox.
  async approve(page) {
    const id = process.env.RUN_ID;
    await signIn(page);
    // The run's page offers the vote too, to one of its approvers.
    await page.goto(`${VEND_URL}/#/runs/${id}`);
    await page.getByRole('button', { name: 'Approve' }).waitFor({ timeout: T });
    await page.getByRole('button', { name: 'Reject' }).waitFor({ timeout: T });
    check(true, 'the run page offers Approve and Reject to an approver');
    await page.locator('#nav').getByRole('link', { name: 'Approvals' }).click();
    await page.getByRole('link', { name: `Run #${id}` }).waitFor({ timeout: T });
    await page.screenshot({ path: `${OUT}/portal-approvals.png`, fullPage: true });
    const card = page.locator('article.approval', { has: page.getByRole('link', { name: `Run #${id}` }) });
    await card.getByLabel('Comment').fill('ship it');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('link', { name: `Run #${id}` }).waitFor({ state: 'detached', timeout: T });
    check(true, 'the approved run leaves the inbox');
  },

  // A queued step whose labels no connected runner has: the run's page
  // says what it waits for, as vend show does.
  async waiting(page) {
    await signIn(page);
    await page.goto(`${VEND_URL}/#/runs/${process.env.RUN_ID}`);
    await page.getByText('Waiting for').waitFor({ timeout: T });
    check(await page.getByText('step train: a runner with labels gpu (none of 1 connected has them all)').count() === 1,
      'the run page names the labels no connected runner has');
  },

  // Runners, as vend runners lists them: vend up's own, idle, no labels.
  async runners(page) {
    await signIn(page);
    await page.locator('#nav').getByRole('link', { name: 'Runners' }).click();
    const row = page.locator('tr', { hasText: /^embedded-/ });
    await row.waitFor({ timeout: T });
    check(await row.locator('td').nth(1).textContent() === 'idle', 'the embedded runner is idle');
    check(await row.locator('td').nth(4).textContent() === '–', 'it has no labels');
    await page.screenshot({ path: `${OUT}/portal-runners.png`, fullPage: true });
  },

  // An admin cordons it with a reason, sees it said beside its status,
  // and uncordons it (vend runners cordon / uncordon).
  async runners_cordon(page) {
    await signIn(page);
    await page.locator('#nav').getByRole('link', { name: 'Runners' }).click();
    const row = page.locator('tr', { hasText: /^embedded-/ });
    await row.waitFor({ timeout: T });
    await row.getByLabel(/^Why cordon embedded-/).fill('patching');
    await row.getByRole('button', { name: /^Cordon embedded-/ }).click();
    await row.getByRole('button', { name: /^Uncordon embedded-/ }).waitFor({ timeout: T });
    check(await row.locator('td').nth(1).textContent() === 'idle cordoned', 'it shows as idle and cordoned');
    const title = await row.locator('td').nth(1).locator('span[title]').getAttribute('title');
    check(/^cordoned by admin: patching;/.test(title || ''), 'who cordoned it, and why');
    await page.screenshot({ path: `${OUT}/portal-runners-cordoned.png`, fullPage: true });
    await row.getByRole('button', { name: /^Uncordon embedded-/ }).click();
    await row.getByRole('button', { name: /^Cordon embedded-/ }).waitFor({ timeout: T });
    check(await row.locator('td').nth(1).textContent() === 'idle', 'uncordoned, it is idle again');
    // What it runs: a link to each job's run.
    const r = await fetch(`${VEND_URL}/api/v1/runs`, {
      method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ template: 'nap', params: {} }) });
    const { id, detail } = await r.json();
    check(r.status === 201, `a long run requested (${r.status} ${detail || ''})`);
    const link = row.getByRole('link', { name: `#${id} sleep` });
    for (let i = 0; i < 50 && !(await link.count()); i++) {
      await page.waitForTimeout(200);
      await page.locator('#nav').getByRole('link', { name: 'Runs' }).click();
      await page.locator('#nav').getByRole('link', { name: 'Runners' }).click();
      await row.waitFor({ timeout: T });
    }
    check(await row.locator('td').nth(1).textContent() === 'active', 'the runner shows as active');
    await link.click();
    await page.waitForURL(new RegExp(`#/runs/${id}$`), { timeout: T });
    check(true, 'the runner\'s job links to its run');
    await fetch(`${VEND_URL}/api/v1/runs/${id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` } });
  },

  // The audit log: the tree head, and one entry's proof checked in the browser.
  async audit(page) {
    await signIn(page);
    await page.locator('#nav').getByRole('link', { name: 'Audit' }).click();
    await page.getByText('Signed tree head').waitFor({ timeout: T });
    await page.getByLabel('Action').waitFor({ timeout: T });
    // The newest entry and the oldest: both edges of the tree.
    await page.getByRole('button', { name: /^Verify entry/ }).first().click();
    await page.getByRole('button', { name: /^Verify entry/ }).last().click();
    await page.waitForFunction(() => document.querySelectorAll('.good').length === 2, null, { timeout: T });
    check(true, 'entries\' inclusion proofs check out in the browser');
    // The same check catches a changed entry: one byte flipped.
    const caught = await page.evaluate(async (token) => {
      const { rootFromProof } = await import('/ui/audit.js');
      const get = (p) => fetch(p, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.json());
      const head = await get('/api/v1/audit/tree-head');
      const [e] = await get('/api/v1/audit/entries?start=1&end=2');
      const proof = await get(`/api/v1/audit/proof/inclusion?index=1&size=${head.size}`);
      const b = (x) => Uint8Array.from(atob(x), (c) => c.charCodeAt(0));
      const leafOf = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', Uint8Array.from([0, ...bytes])));
      const data = b(e.data);
      const root = async (d) => btoa(String.fromCharCode(...(await rootFromProof(1, head.size, await leafOf(d), proof.hashes.map(b))) || []));
      const good = await root(data);
      data[0] ^= 1;
      const bad = await root(data);
      return good === head.root_hash && bad !== head.root_hash;
    }, TOKEN);
    check(caught, 'the browser\'s proof check accepts the entry and refuses it with one byte changed');
    await page.screenshot({ path: `${OUT}/portal-audit-verified.png`, fullPage: true });
    await page.getByLabel('Action').selectOption('run.request');
    check(await page.locator('tbody tr').count() >= 1, 'the action filter finds the run requests');
    await page.screenshot({ path: `${OUT}/portal-audit.png`, fullPage: true });
  },

  async insights(page) {
    await signIn(page);
    await page.locator('#nav').getByRole('link', { name: 'Insights' }).click();
    await page.locator('figure.chart svg rect').first().waitFor({ timeout: T });
    check(await page.getByText('deployment success rate', { exact: true }).count() === 1, 'the success rate is shown');
    check(await page.locator('figure.chart').count() >= 2, 'charts are drawn as inline SVG');
    await page.screenshot({ path: `${OUT}/portal-insights.png`, fullPage: true });
  },

  // A phone, in the dark: nothing wider than the screen.
  async mobile(page) {
    await signIn(page);
    for (const [name, hash] of [['catalog', '#/catalog'], ['template', '#/catalog/greet'], ['runs', '#/runs'], ['run', `#/runs/${process.env.RUN_ID}`], ['runners', '#/runners']]) {
      await page.goto(`${VEND_URL}/${hash}`);
      await page.locator('main h1').first().waitFor({ timeout: T });
      await page.waitForTimeout(500);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      check(wide <= 362, `the ${name} page fits 360 px (${wide})`);
      await page.screenshot({ path: `${OUT}/portal-360-dark-${name}.png`, fullPage: true });
    }
    // Keyboard: Tab from the skip link reaches the navigation.
    await page.goto(`${VEND_URL}/#/catalog`);
    await page.reload();
    await page.locator('main h1').waitFor({ timeout: T });
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement.textContent) === 'Skip to content', 'the first Tab lands on the skip link');
  },
};

// One phase in a fresh browser. A browser that dies under it (a crashed
// renderer on a loaded machine) gets one more try; a wrong page never does.
async function attempt() {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'], timeout: T });
  try {
    const mobile = phase === 'mobile';
    const context = await browser.newContext(mobile
      ? { viewport: { width: 360, height: 740 }, colorScheme: 'dark', isMobile: true, hasTouch: true }
      : { viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    const page = await context.newPage();
    page.setDefaultTimeout(T);
    const seen = guard(page);
    try {
      await phases[phase](page, seen);
    } catch (e) {
      await page.screenshot({ path: `${OUT}/portal-failed-${phase}.png`, fullPage: true }).catch(() => {});
      throw e;
    }
    check(seen.dialogs === 0, 'no dialog fired');
    check(seen.errors.length === 0, `no script error or CSP violation (${seen.errors.join(' | ')})`);
  } finally {
    await browser.close().catch(() => {});
  }
}

let failed = false;
for (let i = 1; i <= 2; i++) {
  try {
    await attempt();
    failed = false;
    break;
  } catch (e) {
    failed = true;
    const died = /has been closed|crashed|Browser closed/.test(e.message);
    console.log(`# FAILED in phase ${phase}: ${died ? e.message.split('\n')[0] : e.message}`);
    if (!died || i === 2) break;
    console.log('# the browser died under the test; trying once more');
  }
}
process.exit(failed ? 1 : 0);
