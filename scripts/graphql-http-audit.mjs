// Runs the graphql-http package's server audits (GraphQL-over-HTTP spec
// conformance) against a running endpoint and prints one line per audit.
//
//   node scripts/graphql-http-audit.mjs [URL]     (default: $GRAPHQL_URL)
//
// Exits 1 if any audit is an error or a warning: our bar is the whole spec,
// SHOULDs included. "notice" results (failed MAYs) are printed but pass.
// graphql-http is resolved from scripts/audit/node_modules, where
// scripts/graphql-http-audit.sh installs the pinned version.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
// Resolve from scripts/audit rather than from this file, so the package
// need not be installed next to the script or globally.
const require = createRequire(path.join(here, 'audit', 'package.json'));

const url = process.argv[2] || process.env.GRAPHQL_URL;
if (!url) {
  console.error('usage: node scripts/graphql-http-audit.mjs URL (or set GRAPHQL_URL)');
  process.exit(2);
}

let serverAudits;
try {
  ({ serverAudits } = require('graphql-http'));
} catch (err) {
  console.error(`graphql-http is not installed in ${path.join(here, 'audit')}: run scripts/graphql-http-audit.sh (${err.message})`);
  process.exit(2);
}

const label = { ok: 'ok   ', warn: 'WARN ', error: 'ERROR', notice: 'note ' };
const counts = { ok: 0, warn: 0, error: 0, notice: 0 };

for (const audit of serverAudits({ url, fetchFn: fetch })) {
  let result;
  try {
    result = await audit.fn();
  } catch (err) {
    // The package throws (rather than reporting) on fatal problems such as
    // a refused connection; count those as errors too.
    result = { status: 'error', reason: `audit crashed: ${err?.message ?? err}` };
  }
  counts[result.status] = (counts[result.status] ?? 0) + 1;
  let line = `${label[result.status] ?? result.status} ${audit.id} ${audit.name}`;
  if (result.status !== 'ok') {
    line += ` -- ${result.reason}`;
    const res = result.response;
    if (res && typeof res.status === 'number') {
      line += ` (got ${res.status} ${res.headers?.get?.('content-type') ?? ''})`;
    }
  }
  console.log(line);
  // Free the response body so the connection can be reused.
  if (result.response?.body && !result.response.bodyUsed) {
    await result.response.body.cancel().catch(() => {});
  }
}

console.log(`\ngraphql-http audit of ${url}: ${counts.ok} ok, ${counts.warn} warn, ${counts.error} error, ${counts.notice} notice`);
process.exit(counts.error > 0 || counts.warn > 0 ? 1 : 0);
