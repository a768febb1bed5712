// The national dashboard: plain GraphQL over fetch for the first look, and
// the figureUpdated subscription (graphql-ws) for live updates. It doubles
// as an example client: every number shown comes from the queries below.
import { csrfHeaders, showSession } from './session.js';
import { createClient } from 'graphql-ws';
import {
  Chart, BarController, BarElement, LineController, LineElement, PointElement,
  CategoryScale, LinearScale, Tooltip, Legend,
} from 'chart.js';

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);

const endpoint = '/graphql';
const $ = (id) => document.getElementById(id);

const FIGURE = `
fragment NationalFigure on Figure {
  kind unit value numerator denominator outcomeCount
  window { from to label }
  coverage {
    reportingCount expectedCount
    reportingRegions { code name }
    missingRegions { code name }
  }
  byRegion { region { code name } reported value numerator denominator outcomeCount }
}`;

// "Scale what works": pilots completed in the year that turned into
// adoptions, pilots run in parallel with none adopted, and where innovations
// with a positive pilot could spread next.
const SCALE = `
fragment ScaleWhatWorks on Query {
  pilotConversion(window: $window) {
    window { label }
    withinMonths
    total {
      pilots
      sameRegion { numerator denominator rate }
      anywhere { numerator denominator rate }
      medianMonthsToFirstAdoption
      medianMonthsToFirstAdoptionSameRegion
    }
  }
  pilotDuplication(window: $window) {
    byInnovation { innovation { id name } regionCount pilotCount regions { code name } }
  }
  spreadTargets(evidence: { positivePilot: true }, first: 5) {
    totalCount
    targets { rank innovation { id name } region { code name } kind notAdopted organisations }
  }
}`;

// The collection tracker: the latest period of the first collection.
const TRACKER = `
fragment Tracker on CollectionTracker {
  period { id label deadline collection { code name } }
  expectedCount receivedCount approvedCount lateCount summary
  submissions { region { code name } state late submittedAt approvedAt }
}`;

const DASHBOARD = `
query Dashboard($metrics: [String!]!, $window: WindowInput!, $programme: ID) {
  collections { periods(first: 1) { tracker { ...Tracker } } }
  figure(metrics: $metrics, window: $window) { ...NationalFigure }
  series(metrics: $metrics, window: $window, interval: QUARTER) {
    unit
    points { period { label } reported value numerator denominator reportingCount }
  }
  innovationPipeline(movedIn: $window) { stages { stage innovations movedIn } moves }
  adoptionSpread(programmeId: $programme) { adopters byRegion { region { code name } adopters } }
  ...ScaleWhatWorks
}
${FIGURE}
${SCALE}
${TRACKER}`;

const TRACKER_LIVE = `
subscription TrackerLive($period: ID!) { trackerUpdated(periodId: $period) { ...Tracker } }
${TRACKER}`;

const LIVE = `
subscription Live($metrics: [String!]!, $window: WindowInput!) {
  figureUpdated(metrics: $metrics, window: $window) { ...NationalFigure }
}
${FIGURE}`;

// The financial years offered: from FY2015-16 to the current one (NHS
// years start on 1 April); the default is the latest a region reported in.
async function financialYears(metric) {
  const now = new Date();
  const last = now.getUTCMonth() >= 3 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
  const d = await graphql(`query Years($metrics: [String!]!, $window: WindowInput!) {
    series(metrics: $metrics, window: $window, interval: FINANCIAL_YEAR) { points { period { label } reported } } }`,
  { metrics: [metric], window: { from: '2015-04-01', to: `${last + 1}-03-31` } });
  const points = d.series.points.slice().reverse();
  const latest = points.find((p) => p.reported) || points[0];
  return { years: points.map((p) => p.period.label), latest: latest.period.label };
}

async function graphql(query, variables) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json', ...(await csrfHeaders()) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data;
}

const fmt = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });
function show(v, unit) {
  if (v === null || v === undefined) return '–';
  if (unit === 'fraction') return `${fmt.format(v * 100)}%`;
  return fmt.format(v);
}

function setNumber(id, v, unit) {
  const el = $(id);
  el.textContent = show(v, unit);
  el.dataset.value = v === null || v === undefined ? '' : String(v);
}

function list(id, regions) {
  const ul = $(id);
  ul.replaceChildren(...regions.map((r) => {
    const li = document.createElement('li');
    li.textContent = r.code;
    li.title = r.name;
    li.dataset.code = r.code;
    return li;
  }));
  if (!regions.length) ul.replaceChildren(Object.assign(document.createElement('li'), { textContent: 'none' }));
}

function rows(id, cells) {
  $(id).replaceChildren(...cells.map((row) => {
    const tr = document.createElement('tr');
    for (const c of row) tr.appendChild(Object.assign(document.createElement('td'), { textContent: String(c) }));
    return tr;
  }));
}

const charts = {};
function chart(id, config) {
  if (charts[id]) charts[id].destroy();
  charts[id] = new Chart($(id), { ...config, options: { animation: false, maintainAspectRatio: false, ...config.options } });
}

// The panels, each filling its <section data-panel="...">. A new panel
// adds its fields to DASHBOARD and a function here.
const panels = {
  national(d) {
    const f = d.figure;
    setNumber('national-value', f.value, f.unit);
    $('national-unit').textContent = f.unit === 'fraction' ? '' : f.unit;
    $('national-rate').hidden = f.kind !== 'RATE';
    setNumber('national-numerator', f.numerator);
    setNumber('national-denominator', f.denominator);
    setNumber('outcome-count', f.outcomeCount);
    $('window-label').textContent = f.window.label;
    $('updated-at').textContent = new Date().toLocaleTimeString('en-GB');
  },
  coverage(d) {
    const c = d.figure.coverage;
    setNumber('reporting-count', c.reportingCount);
    setNumber('expected-count', c.expectedCount);
    list('reporting-regions', c.reportingRegions);
    list('missing-regions', c.missingRegions);
  },
  regions(d) {
    const f = d.figure;
    const scale = f.unit === 'fraction' ? 100 : 1;
    chart('region-chart', {
      type: 'bar',
      data: {
        labels: f.byRegion.map((r) => r.region.code),
        datasets: [{
          label: f.unit === 'fraction' ? 'rate (%)' : f.unit,
          data: f.byRegion.map((r) => (r.reported ? r.value * scale : null)),
          backgroundColor: '#005eb8',
        }],
      },
      options: { plugins: { legend: { display: false } } },
    });
  },
  series(d) {
    const s = d.series;
    const scale = s.unit === 'fraction' ? 100 : 1;
    chart('series-chart', {
      type: 'line',
      data: {
        labels: s.points.map((p) => p.period.label),
        datasets: [{
          label: s.unit === 'fraction' ? 'rate (%)' : s.unit,
          // an unreported quarter is null: a gap, never a zero
          data: s.points.map((p) => (p.reported ? p.value * scale : null)),
          spanGaps: false,
          borderColor: '#005eb8',
          backgroundColor: '#005eb8',
        }],
      },
      options: { plugins: { legend: { display: false } } },
    });
  },
  tracker(d) {
    const t = d.collections?.[0]?.periods?.[0]?.tracker;
    const section = document.querySelector('[data-panel="tracker"]');
    section.hidden = !t;
    if (!t) return;
    $('tracker-collection').textContent = t.period.collection.name;
    $('tracker-period').textContent = t.period.label;
    $('tracker-summary').textContent = t.summary;
    setNumber('tracker-received', t.receivedCount);
    setNumber('tracker-expected', t.expectedCount);
    setNumber('tracker-approved', t.approvedCount);
    setNumber('tracker-late', t.lateCount);
    $('tracker-deadline').textContent = t.period.deadline;
    $('tracker-csv').href = `/collections/non-submitters.csv?period=${encodeURIComponent(t.period.id)}`;
    const day = (ts) => (ts ? ts.slice(0, 10) : '');
    rows('tracker', t.submissions.map((s) => [s.region.name, s.state.replaceAll('_', ' ').toLowerCase() + (s.late ? ' (late)' : ''), day(s.submittedAt), day(s.approvedAt)]));
    for (const [i, tr] of [...$('tracker').children].entries()) {
      tr.dataset.code = t.submissions[i].region.code;
      tr.dataset.state = t.submissions[i].state;
    }
  },
  pipeline(d) {
    rows('pipeline', d.innovationPipeline.stages.map((s) => [s.stage.replaceAll('_', ' ').toLowerCase(), s.innovations, s.movedIn]));
  },
  spread(d) {
    setNumber('adopters', d.adoptionSpread.adopters);
    rows('spread', d.adoptionSpread.byRegion.map((r) => [r.region.name, r.adopters]));
  },
  scale(d) {
    const c = d.pilotConversion;
    $('conversion-window').textContent = c.window.label;
    $('conversion-months').textContent = String(c.withinMonths);
    setNumber('conversion-same-rate', c.total.sameRegion.rate, 'fraction');
    setNumber('conversion-same-numerator', c.total.sameRegion.numerator);
    setNumber('conversion-same-denominator', c.total.sameRegion.denominator);
    setNumber('conversion-any-rate', c.total.anywhere.rate, 'fraction');
    setNumber('conversion-any-numerator', c.total.anywhere.numerator);
    setNumber('conversion-any-denominator', c.total.anywhere.denominator);
    setNumber('conversion-median', c.total.medianMonthsToFirstAdoption);
    setNumber('conversion-median-same', c.total.medianMonthsToFirstAdoptionSameRegion);
    const dup = d.pilotDuplication.byInnovation;
    setNumber('duplicated-count', dup.length);
    rows('duplicated', dup.length ? dup.slice(0, 5).map((i) => [i.innovation.name, i.regions.map((r) => r.code).join(', '), i.pilotCount]) : [['none', '', '']]);
    const t = d.spreadTargets;
    setNumber('spread-target-count', t.totalCount);
    rows('spread-targets', !t.targets.length ? [['none', '', '', '']] : t.targets.map((x) => [x.innovation.name, x.region.name, x.kind.replaceAll('_', ' ').toLowerCase(), `${x.notAdopted} of ${x.organisations}`]));
  },
};

function render(d, only) {
  for (const [name, fill] of Object.entries(panels)) {
    if (!only || only.includes(name)) fill(d);
  }
}

function fail(err) {
  const el = $('error');
  el.hidden = false;
  el.textContent = String(err.message || err);
}

const state = { data: null, unsubscribe: null, generation: 0, trackerPeriod: null, unsubscribeTracker: null };
const client = createClient({
  url: new URL(endpoint, window.location.href).toString().replace(/^http/, 'ws'),
  retryAttempts: Infinity,
  on: {
    connected: () => status('live', 'live'),
    closed: () => status('offline', 'reconnecting…'),
  },
});

function status(state, text) {
  const el = $('live-status');
  el.dataset.state = state;
  el.textContent = text;
}

async function load() {
  const generation = ++state.generation;
  const variables = { metrics: [$('metric').value], window: { financialYear: $('fy').value } };
  const programme = $('programme').value;
  const url = new URL(window.location.href);
  url.searchParams.set('metric', $('metric').value);
  url.searchParams.set('fy', $('fy').value);
  url.searchParams.set('programme', $('programme').value);
  window.history.replaceState(null, '', url);
  state.unsubscribe?.();
  // Subscribe first, so nothing published during the query is missed.
  state.unsubscribe = client.subscribe({ query: LIVE, variables }, {
    next: async (msg) => {
      if (generation !== state.generation) return;
      if (msg.errors?.length) return fail(new Error(msg.errors.map((e) => e.message).join('; ')));
      state.data = { ...state.data, figure: msg.data.figureUpdated };
      render(state.data, ['national', 'coverage', 'regions']);
      document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
      // the quarters moved too: one query for the series
      try {
        const d = await graphql(`query Series($metrics: [String!]!, $window: WindowInput!) {
          series(metrics: $metrics, window: $window, interval: QUARTER) {
            unit points { period { label } reported value numerator denominator reportingCount } } }`, variables);
        if (generation === state.generation) {
          state.data = { ...state.data, series: d.series };
          render(state.data, ['series']);
        }
      } catch (err) { fail(err); }
    },
    error: fail,
    complete: () => {},
  });
  try {
    const d = await graphql(DASHBOARD, { ...variables, programme });
    if (generation !== state.generation) return;
    state.data = d;
    render(d);
    watchTracker(d);
    document.body.dataset.loaded = 'true';
  } catch (err) {
    fail(err);
  }
}

// watchTracker keeps the tracker panel live: trackerUpdated pushes the
// period's tracker each time a submission of it changes state.
function watchTracker(d) {
  const period = d.collections?.[0]?.periods?.[0]?.tracker?.period?.id;
  if (!period || period === state.trackerPeriod) return;
  state.unsubscribeTracker?.();
  state.trackerPeriod = period;
  state.unsubscribeTracker = client.subscribe({ query: TRACKER_LIVE, variables: { period } }, {
    next: (msg) => {
      if (msg.errors?.length) return fail(new Error(msg.errors.map((e) => e.message).join('; ')));
      const collections = [{ periods: [{ tracker: msg.data.trackerUpdated }] }];
      state.data = { ...state.data, collections };
      render(state.data, ['tracker']);
      document.body.dataset.trackerUpdates = String(Number(document.body.dataset.trackerUpdates || 0) + 1);
    },
    error: fail,
    complete: () => {},
  });
}

// The drafts a signed-in person may see: their region's for an editor or
// approver, every region's for an analyst or national admin (the server
// decides; the page only asks).
const DRAFTS = `query Drafts { outcomes(first: 20, filter: { statuses: [DRAFT] }, orderBy: { field: PERIOD_START, direction: DESC }) {
  totalCount nodes { region { code } metric { code } periodStart value rate } } }`;

async function showDrafts(who) {
  const panel = document.querySelector('[data-panel="drafts"]');
  if (!who.signedIn) return;
  const d = await graphql(DRAFTS);
  panel.hidden = false;
  $('drafts-scope').textContent = who.region ? `region ${who.region}` : 'every region';
  $('drafts-total').textContent = String(d.outcomes.totalCount);
  panel.dataset.total = String(d.outcomes.totalCount);
  const regions = [...new Set(d.outcomes.nodes.map((o) => o.region.code))].sort();
  panel.dataset.regions = regions.join(' ');
  $('drafts').replaceChildren(...d.outcomes.nodes.map((o) => {
    const tr = document.createElement('tr');
    for (const v of [o.region.code, o.metric.code, o.periodStart, show(o.value ?? o.rate, o.value === null ? 'fraction' : '')]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    return tr;
  }));
}

async function start() {
  try {
    const who = await showSession();
    showDrafts(who).catch(fail);
    const { metrics, programmes } = await graphql(`query Choices {
      metrics { code name unit kind }
      programmes(first: 100, filter: { topLevelOnly: true }) { nodes { id name } }
    }`);
    $('programme').replaceChildren(...programmes.nodes.map((p) => new Option(p.name, p.id)));
    const params = new URL(window.location.href).searchParams;
    $('metric').replaceChildren(...metrics.map((m) => new Option(`${m.name} (${m.unit})`, m.code)));
    if (params.get('metric')) $('metric').value = params.get('metric');
    const { years, latest } = await financialYears($('metric').value);
    $('fy').replaceChildren(...years.map((fy) => new Option(fy, fy)));
    $('fy').value = params.get('fy') && years.includes(params.get('fy')) ? params.get('fy') : latest;
    $('metric').addEventListener('change', load);
    $('fy').addEventListener('change', load);
    if (params.get('programme')) $('programme').value = params.get('programme');
    $('programme').addEventListener('change', load);
    await load();
  } catch (err) {
    fail(err);
  }
}

start();
