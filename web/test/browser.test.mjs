// Headless Chromium against GraphiQL and the dashboard, with every origin
// but the server's blocked (as on a locked-down NHS network): the pages
// must render from the binary alone, under their CSP, with no errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { A, B, FIGURE, gql, output, publish } from './harness.mjs';

let context;
let profile;
const problems = [];
before(async () => {
  // a fresh profile each run (playwright passes it as --user-data-dir)
  profile = mkdtempSync(join(tmpdir(), 'hingraph-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const origin = new URL(A).origin;
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin === origin) return route.continue();
    problems.push(`request outside the server: ${url}`);
    return route.abort('internetdisconnected');
  });
});
after(async () => {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
});

// page opens a tab that may reach the server under test only, and records
// console errors, page errors and any request that tried to leave.
async function page() {
  problems.length = 0;
  const p = await context.newPage();
  p.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return { p, problems, close: () => p.close() };
}

test('GraphiQL renders from the binary and runs a query', async () => {
  const { p, problems, close } = await page();
  try {
    const res = await p.goto(`${A}/`);
    assert.match(res.headers()['content-security-policy'], /default-src 'self'/);
    await p.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror', { timeout: 15000 });
    assert.equal(await p.locator('.graphiql-tab').count(), 5, 'the five example tabs');
    await p.click('.graphiql-execute-button');
    await p.waitForFunction(() => document.querySelector('.result-window')?.textContent.includes('HI-EM'), null, { timeout: 10000 });
    const result = await p.locator('.result-window').textContent();
    assert.match(result, /"regions"/);
    // a dialog adds an inline style, allowed by the page's nonce alone
    await p.click('[aria-label="Open settings dialog"]');
    await p.waitForSelector('[role="dialog"]', { timeout: 5000 });
    await p.keyboard.press('Escape');
    await p.screenshot({ path: `${output}/graphiql.png` });
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

const metric = 'lipid_treated_to_target';
const fy = 'FY2024-25';

// a programme whose innovations were adopted somewhere, for the spread panel
async function adoptedProgramme() {
  const { programmes } = await gql(A, 'query { programmes(first: 100, filter: { topLevelOnly: true }) { nodes { id } } }');
  for (const { id } of programmes.nodes) {
    const { adoptionSpread } = await gql(A, 'query S($id: ID) { adoptionSpread(programmeId: $id) { adopters } }', { id });
    if (adoptionSpread.adopters > 0) return { id, adopters: adoptionSpread.adopters };
  }
  throw new Error('no programme has adopters in the demo data');
}

test('the dashboard shows the API\'s numbers, with no errors, and updates within 2 s of a publish', async () => {
  const { p, problems, close } = await page();
  try {
    const programme = await adoptedProgramme();
    const res = await p.goto(`${A}/dashboard?metric=${metric}&fy=${fy}&programme=${encodeURIComponent(programme.id)}`);
    assert.match(res.headers()['content-security-policy'], /script-src 'self'/);
    await p.waitForSelector('body[data-loaded="true"]', { timeout: 15000 });
    await p.waitForSelector('#live-status[data-state="live"]', { timeout: 5000 });
    const variables = { metrics: [metric], window: { financialYear: fy } };
    const api = (await gql(A, FIGURE, variables)).figure;
    const shown = async (id) => p.locator(`#${id}`).getAttribute('data-value');
    assert.equal(Number(await shown('national-value')), api.value);
    assert.equal(Number(await shown('national-numerator')), api.numerator);
    assert.equal(Number(await shown('national-denominator')), api.denominator);
    assert.equal(Number(await shown('reporting-count')), api.coverage.reportingCount);
    assert.equal(Number(await shown('expected-count')), api.coverage.expectedCount);
    const missing = await p.locator('#missing-regions li[data-code]').evaluateAll((els) => els.map((e) => e.dataset.code));
    assert.deepEqual(missing, api.coverage.missingRegions.map((r) => r.code));
    assert.ok(await p.locator('#pipeline tr').count() > 0, 'the pipeline has rows');
    assert.equal(Number(await shown('adopters')), programme.adopters);
    assert.ok(await p.locator('#spread tr').count() > 0, 'the adoption spread has rows');
    // scale what works: the same conversion as the API gives for the year
    const { pilotConversion: conv, pilotDuplication: dup, spreadTargets: spread } = await gql(A, `query Scale($window: WindowInput!) {
      pilotConversion(window: $window) { total { sameRegion { numerator denominator } anywhere { numerator denominator } } }
      pilotDuplication(window: $window) { byInnovation { innovation { id } } }
      spreadTargets(evidence: { positivePilot: true }, first: 5) { totalCount targets { rank } }
    }`, { window: { financialYear: fy } });
    assert.ok(conv.total.anywhere.denominator > 0, 'the demo data has pilots completed in the year');
    assert.equal(Number(await shown('conversion-same-numerator')), conv.total.sameRegion.numerator);
    assert.equal(Number(await shown('conversion-same-denominator')), conv.total.sameRegion.denominator);
    assert.equal(Number(await shown('conversion-any-numerator')), conv.total.anywhere.numerator);
    assert.equal(Number(await shown('conversion-any-denominator')), conv.total.anywhere.denominator);
    assert.equal(Number(await shown('duplicated-count')), dup.byInnovation.length);
    assert.equal(Number(await shown('spread-target-count')), spread.totalCount);
    if (spread.targets.length) assert.equal(await p.locator('#spread-targets tr').count(), spread.targets.length);
    await p.screenshot({ path: `${output}/dashboard.png`, fullPage: true });

    // live: a return published through the other process
    const t0 = Date.now();
    await publish(B, metric, { num: 45, den: 50 });
    const want = (await gql(B, FIGURE, variables)).figure;
    assert.notEqual(want.value, api.value);
    await p.waitForFunction((v) => Number(document.getElementById('national-value').dataset.value) === v, want.value, { timeout: 2000 });
    const ms = Date.now() - t0;
    assert.equal(Number(await shown('national-numerator')), want.numerator);
    console.log(`dashboard updated ${ms} ms after the publish was sent`);
    await p.screenshot({ path: `${output}/dashboard-updated.png`, fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await close();
  }
});

test('the pages ask for nothing outside the server (CSP of self only)', async () => {
  for (const path of ['/', '/graphiql', '/dashboard', '/assets/dashboard.js']) {
    const res = await fetch(`${A}${path}`);
    assert.equal(res.status, 200, path);
    const csp = res.headers.get('content-security-policy');
    assert.ok(csp && !/https?:|\*|unsafe-|data:/.test(csp), `${path}: ${csp}`);
  }
  const html = await (await fetch(`${A}/`)).text();
  assert.ok(!/https?:\/\//.test(html.replace(/http:\/\/127\.0\.0\.1:\d+/g, '')), 'GraphiQL names no other origin');
});
