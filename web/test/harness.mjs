// Shared by the browser and subscription tests: the two server processes
// scripts/browser-test.sh started, tokens, and GraphQL over fetch.
import { createClient } from 'graphql-ws';

export const A = process.env.HINGRAPH_A; // subscribers connect here
export const B = process.env.HINGRAPH_B; // writes go through here
export const editorToken = process.env.HINGRAPH_EDITOR_TOKEN; // REGION_EDITOR of UCLP
export const analystToken = process.env.HINGRAPH_ANALYST_TOKEN;
export const output = process.env.TEST_OUTPUT;

export async function gql(base, query, variables, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  if (body.errors?.length) throw new Error(`${query.slice(0, 60)}…: ${JSON.stringify(body.errors)}`);
  return body.data;
}

export const wsUrl = (base) => `${base.replace(/^http/, 'ws')}/graphql`;

export function wsClient(base, connectionParams) {
  return createClient({ url: wsUrl(base), connectionParams, retryAttempts: 0, lazy: false });
}

// subscribe returns an async queue of the subscription's results.
export function subscribe(client, query, variables) {
  const queue = [];
  const waiters = [];
  let done = false;
  const push = (item) => {
    const w = waiters.shift();
    if (w) w(item);
    else queue.push(item);
  };
  const dispose = client.subscribe({ query, variables }, {
    next: (v) => push({ value: v }),
    error: (e) => push({ error: e }),
    complete: () => { done = true; push({ complete: true }); },
  });
  return {
    dispose,
    get done() { return done; },
    next(ms = 5000) {
      if (queue.length) return Promise.resolve(queue.shift());
      return new Promise((resolve) => {
        const t = setTimeout(() => { waiters.splice(waiters.indexOf(resolve), 1); resolve({ timeout: true }); }, ms);
        waiters.push((v) => { clearTimeout(t); resolve(v); });
      });
    },
  };
}

let day = 0;
// publish sends a published return for UCLP through base and returns when
// the server acknowledged it: one row, or one per value when given an
// array. Each call uses the next month of the year.
export async function publish(base, metric, value, fy = 2024) {
  const month = 4 + (day++ % 9);
  const start = `${fy}-${String(month).padStart(2, '0')}-01`;
  const end = new Date(Date.UTC(fy, month, 0)).toISOString().slice(0, 10);
  const row = (v) => (v.den ? { metricCode: metric, numerator: v.num, denominator: v.den } : { metricCode: metric, value: v });
  // Each figure has one current value per key, so the rows of a large
  // return after the first are figures of their own: a day each, long
  // before the demo data, outside the figure the tests watch.
  const dayOf = (i) => new Date(Date.UTC(2000, 0, i)).toISOString().slice(0, 10);
  const rows = Array.isArray(value)
    ? value.map((v, i) => (i === 0 ? row(v) : { ...row(v), periodStart: dayOf(i), periodEnd: dayOf(i) }))
    : [row(value)];
  return gql(base, `mutation Publish($input: ReturnInput!) { submitReturn(input: $input) { id } }`,
    { input: { regionCode: 'UCLP', periodStart: start, periodEnd: end, status: 'PUBLISHED', source: 'browser test', reason: 'browser test restates its figure', rows } },
    editorToken);
}

export const FIGURE = `query Figure($metrics: [String!]!, $window: WindowInput!) {
  figure(metrics: $metrics, window: $window) {
    value numerator denominator outcomeCount
    coverage { reportingCount expectedCount reportingRegions { code } missingRegions { code } }
  }
}`;
