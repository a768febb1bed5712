// A real graphql-ws client (and a plain SSE stream) against two server
// processes on one database: what is written through one reaches
// subscribers on the other, by PostgreSQL LISTEN/NOTIFY.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from 'graphql-ws';
import { A, B, FIGURE, analystToken, gql, publish, subscribe, wsClient, wsUrl } from './harness.mjs';

const variables = { metrics: ['patients_benefiting'], window: { financialYear: 'FY2024-25' } };
const LIVE = `subscription Live($metrics: [String!]!, $window: WindowInput!) {
  figureUpdated(metrics: $metrics, window: $window) { value outcomeCount coverage { reportingCount } }
}`;

test('figureUpdated on one process gets the figure published through another', async () => {
  const client = wsClient(A);
  try {
    const sub = subscribe(client, LIVE, variables);
    await new Promise((r) => setTimeout(r, 300)); // subscribed before the write
    const before = (await gql(B, FIGURE, variables)).figure;
    await publish(B, 'patients_benefiting', 1234);
    const got = await sub.next(5000);
    assert.ok(got.value, `no update: ${JSON.stringify(got)}`);
    const after = (await gql(B, FIGURE, variables)).figure;
    assert.equal(got.value.data.figureUpdated.value, after.value);
    // the return adds the month's figure, or restates the demo data's (one
    // current figure per key): either way the figure moved to 1234 for it
    assert.notEqual(after.value, before.value);
    assert.ok([before.outcomeCount, before.outcomeCount + 1].includes(got.value.data.figureUpdated.outcomeCount));
    sub.dispose();
  } finally {
    await client.dispose();
  }
});

test('a return of 5,000 rows gives one update; after returns at once the last update is the final figure', async () => {
  const client = wsClient(A);
  try {
    const sub = subscribe(client, LIVE, variables);
    await new Promise((r) => setTimeout(r, 300));
    await publish(B, 'patients_benefiting', Array.from({ length: 5000 }, (_, i) => i % 7));
    let got = await sub.next(5000);
    assert.ok(got.value, `no update: ${JSON.stringify(got)}`);
    let after = (await gql(B, FIGURE, variables)).figure;
    assert.equal(got.value.data.figureUpdated.value, after.value);
    assert.ok((await sub.next(1000)).timeout, 'a second update for one return');

    // Five returns at once commit one after another, each a change of its
    // own; however they fall into updates, the last carries the final figure.
    await Promise.all([1, 2, 3, 4, 5].map((v) => publish(B, 'patients_benefiting', v)));
    after = (await gql(B, FIGURE, variables)).figure;
    const updates = [];
    for (let u = await sub.next(5000); u.value; u = await sub.next(1000)) updates.push(u.value);
    assert.ok(updates.length >= 1 && updates.length <= 5, `${updates.length} updates for five returns`);
    assert.equal(updates.at(-1).data.figureUpdated.value, after.value);
    sub.dispose();
  } finally {
    await client.dispose();
  }
});

test('GraphQL over SSE delivers the same updates', async () => {
  const ac = new AbortController();
  const res = await fetch(`${A}/graphql`, {
    method: 'POST', signal: ac.signal,
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify({ query: LIVE, variables }),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /text\/event-stream/);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  await new Promise((r) => setTimeout(r, 300));
  await publish(B, 'patients_benefiting', 7);
  const after = (await gql(B, FIGURE, variables)).figure;
  let text = '';
  const deadline = Date.now() + 5000;
  while (!/event: next\ndata: .*\n\n/.test(text) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  ac.abort();
  const data = JSON.parse(/event: next\ndata: (.*)\n/.exec(text)[1]);
  assert.equal(data.data.figureUpdated.value, after.value);
});

test('the token goes in the init payload; drafts need one', async () => {
  const anonymous = wsClient(A);
  const analyst = wsClient(A, { Authorization: `Bearer ${analystToken}` });
  try {
    const drafts = { ...variables, includeDrafts: true };
    const q = `subscription D($metrics: [String!]!, $window: WindowInput!, $includeDrafts: Boolean) {
      figureUpdated(metrics: $metrics, window: $window, includeDrafts: $includeDrafts) { includesDrafts value } }`;
    const refused = await subscribe(anonymous, q, drafts).next(3000);
    const errors = refused.value?.errors ?? refused.error;
    assert.equal(errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(refused));
    const sub = subscribe(analyst, q, drafts);
    await new Promise((r) => setTimeout(r, 300));
    await publish(B, 'patients_benefiting', 11);
    const got = await sub.next(5000);
    assert.equal(got.value?.data?.figureUpdated?.includesDrafts, true, JSON.stringify(got));
    sub.dispose();
  } finally {
    await anonymous.dispose();
    await analyst.dispose();
  }
});

test('a bad token in the init payload ends the connection with 4403', async () => {
  let closed;
  const client = createClient({ url: wsUrl(A), connectionParams: { Authorization: 'Bearer not-a-token' }, retryAttempts: 0, lazy: false,
    on: { closed: (ev) => { closed ??= ev; } } });
  const got = await subscribe(client, LIVE, variables).next(3000);
  assert.ok(got.error, JSON.stringify(got));
  assert.equal(closed?.code, 4403);
  await client.dispose();
});

test('each caller may hold only so many subscriptions', async () => {
  const client = wsClient(A, { Authorization: `Bearer ${analystToken}` });
  try {
    const subs = [];
    for (let i = 0; i < 21; i++) subs.push(subscribe(client, LIVE, variables));
    await new Promise((r) => setTimeout(r, 1000));
    const first = await Promise.all(subs.map((s) => s.next(10)));
    const refused = first.filter((m) => (m.value?.errors ?? m.error)?.[0]?.extensions?.code === 'SUBSCRIPTION_LIMIT_EXCEEDED');
    assert.equal(refused.length, 1, `of 21 subscriptions with a cap of 20: ${JSON.stringify(first)}`);
    for (const s of subs) s.dispose();
  } finally {
    await client.dispose();
  }
});

test('shutdown completes open subscriptions and closes the socket cleanly', async () => {
  const port = await new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => resolve(port)); });
  });
  const server = spawn(process.env.HINGRAPH_BIN, ['serve', '--addr', `127.0.0.1:${port}`, '--metrics-addr', '', '--anonymous-rate', '0'], {
    env: { ...process.env, DATABASE_URL: process.env.HINGRAPH_DB }, stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; i < 80; i++) {
      try { if ((await fetch(`${base}/readyz`)).ok) break; } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 250));
    }
    let closedWith;
    const closed = new Promise((resolve) => { closedWith = resolve; });
    const client = createClient({ url: wsUrl(base), retryAttempts: 0, lazy: false, on: { closed: (ev) => closedWith(ev?.code) } });
    const sub = subscribe(client, LIVE, variables);
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise((r) => server.once('exit', r));
    const t0 = Date.now();
    server.kill('SIGTERM');
    const got = await sub.next(3000);
    assert.ok(got.complete, `subscription not completed on shutdown: ${JSON.stringify(got)}`);
    await exited;
    assert.ok(Date.now() - t0 < 3000, `shutdown took ${Date.now() - t0} ms`);
    const code = await Promise.race([closed, new Promise((r) => setTimeout(() => r('not closed within 2 s'), 2000))]);
    assert.equal(code, 1000);
    await client.dispose();
  } finally {
    server.kill('SIGKILL');
  }
});
