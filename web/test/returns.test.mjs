// The returns page in headless Chromium, and the tracker over graphql-ws:
// HI-NENC's editor uploads its March figures (a bad file first, whose
// problem is shown by line), explains any warning and submits; an approver
// of HI-NENC (another person) approves, the national figure moves, and the
// dashboard's tracker panel follows without a reload.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { A, B, gql, output, subscribe, wsClient } from './harness.mjs';

const nencEditor = process.env.HINGRAPH_NENC_EDITOR_TOKEN;
const nencApprover = process.env.HINGRAPH_NENC_APPROVER_TOKEN;
const emEditor = process.env.HINGRAPH_EM_EDITOR_TOKEN;
const analyst = process.env.HINGRAPH_ANALYST_TOKEN;
const admin = process.env.HINGRAPH_ADMIN_TOKEN;

let context;
let profile;
before(async () => {
  profile = mkdtempSync(join(tmpdir(), 'hingraph-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1400, height: 1100 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const origin = new URL(A).origin;
  await context.route('**/*', (route) => (new URL(route.request().url()).origin === origin ? route.continue() : route.abort('internetdisconnected')));
});
after(async () => {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
});

const day = (d) => d.toISOString().slice(0, 10);

// openNextPeriod opens, as a national admin, the month after the demo's
// latest period, due in ten days: the demo's own periods are long closed
// to the regions.
async function openNextPeriod() {
  const { collection } = await gql(A, 'query { collection(code: "PSC-MONTHLY") { id periods(first: 1) { periodStart } } }');
  const start = new Date(collection.periods[0].periodStart);
  start.setUTCMonth(start.getUTCMonth() + 1);
  const now = Date.now();
  const { openCollectionPeriod: p } = await gql(A, `mutation($c: ID!, $s: Date!, $d: Date!, $x: Date!) {
    openCollectionPeriod(collectionId: $c, periodStart: $s, deadline: $d, closeDate: $x) { id label periodStart periodEnd } }`,
  { c: collection.id, s: day(start), d: day(new Date(now + 10 * 864e5)), x: day(new Date(now + 40 * 864e5)) }, admin);
  return p;
}

async function signIn(p, token) {
  await p.fill('#token', token);
  await p.click('#signin button[type="submit"]');
}

const figure = `query($w: WindowInput!) { figure(metrics: ["staff_trained"], window: $w, filter: {regionCodes: ["HI-NENC"]}) { value } }`;

test('the returns page: upload, problems by line, submit, approve by another person; the dashboard tracker follows', async () => {
  const problems = [];
  const p = await context.newPage();
  const dash = await context.newPage();
  for (const page of [p, dash]) {
    // the bad upload's 400 is expected; Chromium logs every failed fetch
    page.on('console', (m) => { if (m.type() === 'error' && !/status of 400/.test(m.text())) problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  }
  try {
    const period = await openNextPeriod();
    const window = { from: period.periodStart, to: period.periodEnd };
    const before = (await gql(A, figure, { w: window }, analyst)).figure.value;

    // the dashboard, open on the tracker of the same period
    await dash.goto(`${A}/dashboard`);
    await dash.waitForSelector('body[data-loaded="true"]', { timeout: 15000 });
    const shownOn = async (id) => Number(await dash.locator(`#${id}`).getAttribute('data-value'));
    const api = (await gql(A, `query { collections { periods(first: 1) { tracker { receivedCount approvedCount expectedCount lateCount } } } }`)).collections[0].periods[0].tracker;
    assert.equal(await shownOn('tracker-received'), api.receivedCount);
    assert.equal(await shownOn('tracker-expected'), api.expectedCount);
    assert.equal(await shownOn('tracker-approved'), api.approvedCount);
    assert.equal(await shownOn('tracker-late'), api.lateCount);

    const res = await p.goto(`${A}/returns?collection=PSC-MONTHLY&period=${encodeURIComponent(period.id)}&region=HI-NENC`);
    assert.match(res.headers()['content-security-policy'], /script-src 'self'/);
    await p.waitForSelector('body[data-loaded="true"]', { timeout: 15000 });
    await signIn(p, nencEditor);
    await p.waitForFunction(() => document.getElementById('who').textContent.includes('browser-test-nenc-editor'));
    await p.waitForSelector('#state[data-state="NOT_STARTED"]', { timeout: 5000 });

    // the proforma downloads as a workbook
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('#proforma')]);
    assert.match(download.suggestedFilename(), /^PSC-MONTHLY-HI-NENC-.*\.xlsx$/);

    // a file with a metric the collection does not ask for: refused, the line named
    const bad = 'metric_code,value,numerator,denominator\nstaff_trained,40,,\nmgso4_uptake,,45,50\ncare_homes_using_restore2,,30,40\npatients_benefiting,3,,\n';
    await p.setInputFiles('#file', { name: 'march.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    await p.click('#upload');
    await p.waitForFunction(() => document.getElementById('upload-result').textContent.startsWith('Not recorded'));
    const row = await p.locator('#problems tr').first().textContent();
    assert.match(row, /5/, `the problem names line 5: ${row}`);
    assert.match(row, /not a metric of this collection/);

    const good = bad.split('\n').slice(0, 4).join('\n') + '\n';
    await p.setInputFiles('#file', { name: 'march.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    await p.click('#upload');
    await p.waitForFunction(() => document.getElementById('upload-result').textContent.startsWith('Recorded 3'));
    // explain whatever the rules warn about (the demo's history is random)
    for (const input of await p.locator('#problems input[data-explains]').all()) {
      await input.fill('browser test: a campaign month');
    }
    assert.equal(await p.locator('#approve').isDisabled(), true, 'an editor cannot approve');
    await p.click('#submit');
    await p.waitForFunction(() => document.getElementById('state').dataset.state === 'SUBMITTED' || !document.getElementById('error').hidden, null, { timeout: 15000 });
    assert.equal(await p.locator('#state').getAttribute('data-state'), 'SUBMITTED', await p.locator('#error').textContent());
    assert.equal((await gql(A, figure, { w: window }, analyst)).figure.value, before, 'a submitted figure does not count yet');
    assert.equal(await p.locator('#approve').isDisabled(), true, 'the submitter cannot approve');
    await p.screenshot({ path: `${output}/returns-submitted.png`, fullPage: true });

    // a second person: the region's approver
    await signIn(p, nencApprover);
    await p.waitForFunction(() => document.getElementById('who').textContent.includes('browser-test-nenc-approver'));
    await p.waitForFunction(() => !document.getElementById('approve').disabled, null, { timeout: 15000 });
    const approvedBefore = await shownOn('tracker-approved');
    await p.click('#approve');
    await p.waitForSelector('#state[data-state="APPROVED"]', { timeout: 15000 });
    assert.match(await p.locator('#people').textContent(), /approved .* by browser-test-nenc-approver/);
    await p.screenshot({ path: `${output}/returns-approved.png`, fullPage: true });
    assert.equal((await gql(A, figure, { w: window }, analyst)).figure.value, 40, 'the approved figure counts');

    // the dashboard's tracker, live
    await dash.waitForFunction((n) => Number(document.getElementById('tracker-approved').dataset.value) === n, approvedBefore + 1, { timeout: 5000 });
    assert.equal(await dash.locator('#tracker tr[data-code="HI-NENC"]').getAttribute('data-state'), 'APPROVED');
    await dash.screenshot({ path: `${output}/dashboard-tracker.png`, fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await p.close();
    await dash.close();
  }
});

test('trackerUpdated on one process hears a submission changed through another', async () => {
  // a period whose HI-EM submission the demo approved
  const { collection } = await gql(A, `query { collection(code: "PSC-MONTHLY") { periods(first: 12) { id
    tracker { submissions { id region { code } state version } } } } }`);
  const period = collection.periods.find((x) => x.tracker.submissions.some((s) => s.region.code === 'HI-EM' && s.state === 'APPROVED'));
  const s = period.tracker.submissions.find((x) => x.region.code === 'HI-EM');
  const client = wsClient(A);
  try {
    const sub = subscribe(client, `subscription($p: ID!) { trackerUpdated(periodId: $p) { approvedCount submissions { region { code } state } } }`, { p: period.id });
    await new Promise((r) => setTimeout(r, 300));
    await gql(B, `mutation($id: ID!, $v: Int!) { reopenSubmission(id: $id, version: $v, reason: "browser test restates its figures") { state } }`,
      { id: s.id, v: s.version }, emEditor);
    const got = await sub.next(5000);
    assert.ok(got.value, `no update: ${JSON.stringify(got)}`);
    const em = got.value.data.trackerUpdated.submissions.find((x) => x.region.code === 'HI-EM');
    assert.equal(em.state, 'DRAFT');
    sub.dispose();
  } finally {
    await client.dispose();
  }
});
