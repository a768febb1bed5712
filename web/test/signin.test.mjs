// Headless Chromium signs in through the demo OpenID provider (zitadel's
// example OP, devtools/hinidp) as `make run` starts it, on a server whose
// mapping is deploy/claim-mappings/keycloak.yaml: the dashboard then shows
// the drafts the person may see. HINGRAPH_SIGNIN is that server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.HINGRAPH_SIGNIN;
const password = 'demo-password';
const output = process.env.TEST_OUTPUT;

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

// signIn opens the dashboard in a fresh browser profile, follows "Sign in"
// to the provider and logs in there.
async function signIn(username, pass = password) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/dashboard`);
  await page.click('#session-signin', { timeout: 10000 });
  await page.waitForSelector('input[name="username"]', { timeout: 10000 });
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', pass);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type="submit"]')]);
  return { context, page, errors };
}

async function draftsShown(page) {
  await page.waitForSelector('[data-panel="drafts"]:not([hidden])[data-total]', { timeout: 15000 });
  return page.evaluate(() => {
    const panel = document.querySelector('[data-panel="drafts"]');
    return { total: Number(panel.dataset.total), regions: panel.dataset.regions.split(' ').filter(Boolean) };
  });
}

test('a region editor signs in and sees their region\'s drafts', async () => {
  const { context, page, errors } = await signIn('em-editor');
  try {
    assert.equal(new URL(page.url()).pathname, '/dashboard', 'back on the dashboard');
    await page.waitForSelector('#session-name', { timeout: 10000 });
    assert.equal(await page.textContent('#session-name'), 'Emma Editor');
    assert.equal(await page.textContent('#session-role'), 'REGION_EDITOR');
    assert.equal(await page.textContent('#session-region'), 'HI-EM');
    const drafts = await draftsShown(page);
    assert.ok(drafts.total > 0, 'the editor sees drafts');
    assert.deepEqual(drafts.regions, ['HI-EM'], 'and only their region\'s');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === '__Host-hin_session');
    assert.ok(session?.httpOnly && session.secure && session.sameSite === 'Lax', `session cookie flags: ${JSON.stringify(session)}`);
    assert.equal(await page.evaluate(() => document.cookie.includes('hin_session')), false, 'script cannot read the session cookie');
    if (output) await page.screenshot({ path: join(output, 'signin-editor-dashboard.png'), fullPage: true });
    // GraphiQL itself runs a region-scoped query with the session (cookie
    // and CSRF header), no token pasted: a mutation-free draft count.
    await page.goto(`${base}/graphiql`);
    await page.waitForSelector('#session-name', { timeout: 10000 });
    const query = '{ outcomes(first: 3, filter: {statuses: [DRAFT]}) { totalCount nodes { region { code } } } }';
    // GraphiQL fills its first tab once it has loaded; replace it after that.
    await page.waitForFunction(() => document.querySelector('.graphiql-query-editor .CodeMirror')?.CodeMirror.getValue().length > 0, null, { timeout: 15000 });
    await page.evaluate((q) => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q), query);
    await page.waitForFunction((q) => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue() === q, query);
    // GraphiQL takes an edit into its tab state after a short debounce, so
    // an early run may still send the example query: run until ours answers.
    let answered = false;
    for (let i = 0; i < 5 && !answered; i++) {
      await page.waitForTimeout(300);
      await page.click('.graphiql-execute-button');
      answered = await page.waitForFunction(() => document.querySelector('.result-window')?.textContent.includes('totalCount'), null, { timeout: 3000 })
        .then(() => true, () => false);
    }
    assert.ok(answered, 'GraphiQL ran the drafts query');
    const result = JSON.parse(await page.evaluate(() => document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()));
    assert.ok(result.data.outcomes.totalCount > 0, JSON.stringify(result));
    assert.ok(result.data.outcomes.nodes.every((n) => n.region.code === 'HI-EM'), JSON.stringify(result));
    // Signing out ends it.
    await Promise.all([page.waitForLoadState('load'), page.click('#session-signout button')]);
    await page.goto(`${base}/dashboard`);
    await page.waitForSelector('#session-signin', { timeout: 10000 });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('an analyst signs in and sees every region\'s drafts', async () => {
  const { context, page } = await signIn('analyst');
  try {
    await page.waitForSelector('#session-role', { timeout: 10000 });
    assert.equal(await page.textContent('#session-role'), 'ANALYST');
    const drafts = await draftsShown(page);
    assert.ok(drafts.regions.length > 1, `drafts of ${drafts.regions}`);
  } finally {
    await context.close();
  }
});

test('a person with no role is refused, and a wrong password goes nowhere', async () => {
  const refused = await signIn('visitor');
  try {
    const body = await refused.page.textContent('body');
    assert.match(body, /FORBIDDEN/);
    assert.equal((await refused.context.cookies()).some((c) => c.name === '__Host-hin_session'), false);
  } finally {
    await refused.context.close();
  }
  const wrong = await signIn('admin', 'not-the-password');
  try {
    assert.ok(await wrong.page.isVisible('input[name="password"]'), 'still on the provider\'s login');
    assert.notEqual(new URL(wrong.page.url()).origin, new URL(base).origin);
  } finally {
    await wrong.context.close();
  }
});
