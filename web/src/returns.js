// The returns page: a region's editor and approver work on the region's
// submission for a collection period. Pick the period, see its state and
// figures, upload a CSV or the Excel proforma and see every problem by row,
// explain warnings or mark figures not available, then submit, approve,
// return or reopen. Plain GraphQL over fetch, plus the two collection
// routes for the proforma. A person signed in (session.js) works through
// their session; a pasted bearer token (kept for this tab only) still wins.
import { csrfHeaders, showSession } from './session.js';

const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem('hin-token') || '', claims: {}, session: {}, csrf: {}, submission: null, collections: [] };

function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4)));
  } catch {
    return {};
  }
}

function headers(extra) {
  const h = { ...extra };
  if (state.token) h.Authorization = `Bearer ${state.token}`;
  else Object.assign(h, state.csrf);
  return h;
}

// GraphQLError carries the error's code and problems for the page to show.
class GraphQLError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join('; '));
    this.code = errors[0]?.extensions?.code;
    this.problems = errors[0]?.extensions?.submissionProblems || errors[0]?.extensions?.problems || [];
  }
}

async function graphql(query, variables) {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: headers({ 'Content-Type': 'application/json', Accept: 'application/graphql-response+json' }),
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) throw new GraphQLError(body.errors);
  return body.data;
}

const SUBMISSION = `
query Submission($period: ID!, $region: String!) {
  collectionSubmission(periodId: $period, regionCode: $region) {
    id state version late received restatement restatementReason exemptReason
    submittedBy submittedAt approvedBy approvedAt returnedBy returnedAt returnComment reopenedBy reopenedAt
    allowedActions
    period { id label deadline closeDate pastDeadline closed collection { metrics { metric { code name unit kind } } } }
    figures { id metric { code } periodStart periodEnd value numerator denominator status innovation { name } pilot { id } }
    problems { severity rule key metricCode message value reference factor history explanation outcome { id } }
    notes { kind subject text writtenBy }
  }
}`;

function say(text) {
  $('message').textContent = text;
  $('error').hidden = true;
}

function fail(err) {
  const el = $('error');
  el.hidden = false;
  el.textContent = err.code ? `${err.code}: ${err.message}` : String(err.message || err);
}

function rows(tbody, cells, attrs = []) {
  $(tbody).replaceChildren(...cells.map((row, i) => {
    const tr = document.createElement('tr');
    for (const [k, v] of Object.entries(attrs[i] || {})) tr.dataset[k] = v;
    for (const c of row) {
      const td = document.createElement('td');
      if (c instanceof Node) td.appendChild(c);
      else td.textContent = c === null || c === undefined ? '' : String(c);
      tr.appendChild(td);
    }
    return tr;
  }));
}

const fmt = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 4 });
const num = (v) => (v === null || v === undefined ? '' : fmt.format(v));
const when = (t) => (t ? new Date(t).toLocaleString('en-GB') : '');

function who() {
  const c = state.claims;
  const s = state.session;
  if (state.token) $('who').textContent = `${c.sub || '?'} · ${c.role || 'no role'}${c.region ? ` · ${c.region}` : ''}`;
  else if (s.signedIn) $('who').textContent = `${s.name || s.subject} · ${s.role}${s.region ? ` · ${s.region}` : ''}`;
  else $('who').textContent = 'not signed in';
}

async function loadChoices() {
  const d = await graphql(`query Choices { regions { code name } collections { id code name periods(first: 24) { id label } } }`);
  state.collections = d.collections;
  $('collection').replaceChildren(...d.collections.map((c) => new Option(`${c.name} (${c.code})`, c.code)));
  $('region').replaceChildren(...d.regions.map((r) => new Option(`${r.name} (${r.code})`, r.code)));
  const params = new URL(window.location.href).searchParams;
  if (params.get('collection')) $('collection').value = params.get('collection');
  fillPeriods();
  if (params.get('period')) $('period').value = params.get('period');
  $('region').value = params.get('region') || state.claims.region || state.session.region || d.regions[0].code;
}

function fillPeriods() {
  const c = state.collections.find((x) => x.code === $('collection').value);
  $('period').replaceChildren(...(c ? c.periods : []).map((p) => new Option(p.label, p.id)));
}

async function load() {
  const period = $('period').value;
  const region = $('region').value;
  if (!period || !region) return;
  const url = new URL(window.location.href);
  url.searchParams.set('collection', $('collection').value);
  url.searchParams.set('period', period);
  url.searchParams.set('region', region);
  window.history.replaceState(null, '', url);
  const d = await graphql(SUBMISSION, { period, region });
  state.submission = d.collectionSubmission;
  render();
  document.body.dataset.loaded = 'true';
}

function render() {
  const s = state.submission;
  $('state').textContent = s.state.replaceAll('_', ' ').toLowerCase() + (s.restatement && s.state !== 'APPROVED' ? ' (restatement)' : '');
  $('state').dataset.state = s.state;
  $('state').dataset.version = String(s.version);
  $('summary').textContent = [s.late ? 'late' : '', s.exemptReason ? `exempt: ${s.exemptReason}` : ''].filter(Boolean).join(' · ');
  const p = s.period;
  $('dates').textContent = `${p.label}: due by ${p.deadline}${p.pastDeadline ? ' (passed)' : ''}, accepted until ${p.closeDate}${p.closed ? ' (closed)' : ''}.`;
  const people = [];
  if (s.submittedAt) people.push(`submitted ${when(s.submittedAt)}${s.submittedBy ? ` by ${s.submittedBy}` : ''}`);
  if (s.approvedAt) people.push(`approved ${when(s.approvedAt)}${s.approvedBy ? ` by ${s.approvedBy}` : ''}`);
  if (s.returnedAt) people.push(`returned ${when(s.returnedAt)}${s.returnedBy ? ` by ${s.returnedBy}` : ''}`);
  if (s.reopenedAt) people.push(`reopened ${when(s.reopenedAt)} to restate: ${s.restatementReason}`);
  $('people').textContent = people.join('; ');
  $('return-comment').hidden = !(s.state === 'RETURNED' && s.returnComment);
  $('return-comment').textContent = s.returnComment ? `Returned: ${s.returnComment}` : '';
  rows('figures', s.figures.length ? s.figures.map((f) => [
    f.metric.code + (f.innovation ? ` (${f.innovation.name})` : ''), `${f.periodStart} to ${f.periodEnd}`,
    num(f.value), num(f.numerator), num(f.denominator), f.status.toLowerCase(),
  ]) : [['no figure yet', '', '', '', '', '']]);
  renderProblems(s.problems, {});
  for (const b of document.querySelectorAll('#actions button[data-action]')) {
    b.disabled = !s.allowedActions.includes(b.dataset.action);
  }
}

// renderProblems lists every problem with an input for its explanation (a
// warning) or a not-available reason (a missing figure); lines maps an
// outcome to the row of the upload it came from.
function renderProblems(problems, lines) {
  const notes = Object.fromEntries((state.submission?.notes || []).map((n) => [`${n.kind}:${n.subject}`, n.text]));
  $('problem-count').textContent = problems.length ? `(${problems.length})` : '(none)';
  rows('problems', problems.length ? problems.map((p) => {
    let input = '';
    if (p.severity === 'WARNING') {
      input = Object.assign(document.createElement('input'), { value: p.explanation || '', placeholder: 'explain this warning' });
      input.dataset.explains = p.key;
    } else if (p.rule === 'MISSING_FIGURE') {
      input = Object.assign(document.createElement('input'), { value: notes[`NOT_AVAILABLE:${p.metricCode}`] || '', placeholder: 'not available: why' });
      input.dataset.notAvailable = p.metricCode;
    }
    const line = p.line ?? lines[p.outcome?.id ?? p.outcomeId] ?? '';
    const numbers = [p.value !== null && p.value !== undefined ? `value ${num(p.value)}` : '',
      p.reference !== null && p.reference !== undefined ? `compared with ${num(p.reference)}` : '',
      p.factor ? `factor ${num(p.factor)}` : ''].filter(Boolean).join(', ');
    return [p.severity.toLowerCase(), p.rule, p.metricCode, line, numbers ? `${p.message} (${numbers})` : p.message, input];
  }) : [['none', '', '', '', 'every check passes', '']], problems.map((p) => ({ severity: p.severity, rule: p.rule })));
}

function notesFromPage() {
  const explanations = [];
  const notAvailable = [];
  for (const el of document.querySelectorAll('#problems input[data-explains]')) {
    if (el.value.trim()) explanations.push({ key: el.dataset.explains, explanation: el.value.trim() });
  }
  for (const el of document.querySelectorAll('#problems input[data-not-available]')) {
    if (el.value.trim()) notAvailable.push({ metricCode: el.dataset.notAvailable, reason: el.value.trim() });
  }
  return { explanations, notAvailable };
}

async function act(action) {
  const s = state.submission;
  const vars = { id: s.id, v: s.version };
  try {
    if (action === 'SUBMIT') {
      const { explanations, notAvailable } = notesFromPage();
      await graphql(`mutation Submit($id: ID!, $na: [NotAvailableInput!], $ex: [ExplanationInput!]) {
        submitForApproval(id: $id, notAvailable: $na, explanations: $ex) { state } }`,
      { id: s.id, na: notAvailable.length ? notAvailable : null, ex: explanations });
      say('Submitted for approval.');
    } else if (action === 'APPROVE') {
      await graphql('mutation Approve($id: ID!, $v: Int!) { approveSubmission(id: $id, version: $v) { state } }', vars);
      say('Approved: the figures are published.');
    } else if (action === 'RETURN') {
      await graphql('mutation Return($id: ID!, $v: Int!, $c: String!) { returnSubmission(id: $id, version: $v, comment: $c) { state } }', { ...vars, c: $('comment').value });
      say('Returned to the region.');
    } else if (action === 'REOPEN') {
      await graphql('mutation Reopen($id: ID!, $v: Int!, $r: String!) { reopenSubmission(id: $id, version: $v, reason: $r) { state } }', { ...vars, r: $('reason').value });
      say('Reopened: enter the corrected figures, then submit again.');
    }
    await load();
  } catch (err) {
    fail(err);
    if (err.problems?.length && err.problems[0].severity) renderProblems(err.problems, {});
  }
}

async function upload() {
  const file = $('file').files[0];
  if (!file) return fail(new Error('choose a CSV file or the filled-in proforma first'));
  const url = `/collections/submission?period=${encodeURIComponent($('period').value)}&region=${encodeURIComponent($('region').value)}`;
  const res = await fetch(url, { method: 'POST', headers: headers({ 'Content-Type': file.type || 'application/octet-stream' }), body: file });
  const body = await res.json();
  if (!res.ok) {
    const e = body.errors?.[0] || {};
    // every problem of the file, by line or row
    const problems = (e.extensions?.problems || []).map((p) => ({ severity: 'ERROR', rule: p.code || 'INVALID', key: '', metricCode: p.field,
      line: p.line ?? (p.row !== undefined ? `row ${p.row + 1}` : ''), message: p.message }));
    $('upload-result').textContent = `Not recorded: ${e.message}`;
    renderProblems(problems, {});
    fail(Object.assign(new Error(e.message), { code: e.extensions?.code }));
    return;
  }
  $('upload-result').textContent = `Recorded ${body.rows} figure(s): ${body.created} new, ${body.restated} changed, ${body.unchanged} unchanged`
    + `${body.notAvailable ? `; ${body.notAvailable} marked not available` : ''}. ${body.problems.length} problem(s).`;
  await load();
  renderProblems(body.problems.map((p) => ({ ...p, outcome: p.outcomeId ? { id: p.outcomeId } : null })), {});
  say('Uploaded.');
}

async function downloadProforma() {
  const url = `/collections/proforma.xlsx?period=${encodeURIComponent($('period').value)}&region=${encodeURIComponent($('region').value)}`;
  const res = await fetch(url, { headers: headers() });
  if (!res.ok) return fail(new Error((await res.json()).errors?.[0]?.message || res.statusText));
  const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '')?.[1] || 'proforma.xlsx';
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(await res.blob()), download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

function guard(f) {
  return async (...args) => {
    try {
      $('error').hidden = true;
      await f(...args);
    } catch (err) {
      fail(err);
    }
  };
}

async function start() {
  state.session = await showSession();
  state.csrf = await csrfHeaders();
  $('token').value = state.token;
  state.claims = claimsOf(state.token);
  who();
  $('signin').addEventListener('submit', guard(async (e) => {
    e.preventDefault();
    state.token = $('token').value.trim();
    state.claims = claimsOf(state.token);
    sessionStorage.setItem('hin-token', state.token);
    who();
    if (state.claims.region) $('region').value = state.claims.region;
    await load();
  }));
  $('collection').addEventListener('change', guard(async () => { fillPeriods(); await load(); }));
  $('period').addEventListener('change', guard(load));
  $('region').addEventListener('change', guard(load));
  $('upload').addEventListener('click', guard(upload));
  $('proforma').addEventListener('click', guard(downloadProforma));
  for (const b of document.querySelectorAll('#actions button[data-action]')) {
    b.addEventListener('click', guard(() => act(b.dataset.action)));
  }
  await loadChoices();
  await load();
}

guard(start)();
