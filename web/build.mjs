// Bundles the browser assets into dist/, which the Go package web embeds
// (go:embed). Everything comes from the pinned npm packages: nothing is
// fetched from a CDN at run time. Run through `make web`.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

// WEB_OUT: `scripts/web.sh --check` builds into a directory of its own and
// compares it with the committed dist/.
const out = process.env.WEB_OUT || 'dist';
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) {
  if (f !== 'README.txt') rmSync(`${out}/${f}`, { recursive: true, force: true });
}

await esbuild.build({
  entryPoints: { graphiql: 'src/graphiql.jsx', dashboard: 'src/dashboard.js', returns: 'src/returns.js' },
  bundle: true,
  minify: true,
  sourcemap: false,
  format: 'iife',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: out,
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.svg': 'file', '.png': 'file' },
  legalComments: 'linked',
  logLevel: 'warning',
});
// GraphiQL's stylesheet carries fonts and images inline as data: URLs;
// written out as files they load from the server's own origin, so the CSP
// needs no data: sources.
const extensions = { 'font/woff2': 'woff2', 'font/woff': 'woff', 'font/ttf': 'ttf', 'image/png': 'png', 'image/svg+xml': 'svg' };
mkdirSync(`${out}/inline`, { recursive: true });
const css = readFileSync(`${out}/graphiql.css`, 'utf8').replace(
  /url\(\s*["']?data:([a-z0-9+/-]+);base64,([A-Za-z0-9+/=]+)["']?\s*\)/g,
  (whole, type, b64) => {
    if (!extensions[type]) throw new Error(`graphiql.css: an inline ${type} has no file extension here`);
    const bytes = Buffer.from(b64, 'base64');
    const name = `${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.${extensions[type]}`;
    writeFileSync(`${out}/inline/${name}`, bytes);
    return `url(/assets/inline/${name})`;
  },
);
writeFileSync(`${out}/graphiql.css`, css);
cpSync('src/dashboard.html', `${out}/dashboard.html`);
cpSync('src/dashboard.css', `${out}/dashboard.css`);
cpSync('src/returns.html', `${out}/returns.html`);
cpSync('src/returns.css', `${out}/returns.css`);
// The Go side serves pages only when this marker exists. It holds no date:
// dist/ is committed, and a rebuild of the same sources must match it byte
// for byte.
writeFileSync(`${out}/BUILT`, 'bundled by web/build.mjs from web/src and web/package-lock.json\n');
