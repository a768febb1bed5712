#!/usr/bin/env bash
#
# Build the browser assets (GraphiQL, the dashboard) into web/dist, which
# the binary embeds: `make web` runs this, and make build, run and test
# depend on it. Node.js and npm are installed with apt when missing and we
# are root; the packages come from web/package-lock.json through npm ci,
# which runs again only when the lock file changes.
#
# web/dist is committed, so `go install .../cmd/hingraph@version` serves the
# pages too. `scripts/web.sh --check` (make web-check, part of make test)
# rebuilds into a temporary directory and fails unless the result matches
# web/dist byte for byte and web/dist matches the last commit.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
WEB=$(cd -- "$SCRIPT_DIR/../web" && pwd -P)
MIN_NODE=18

log() { printf 'web: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	((EUID == 0)) || die "node and npm (Node.js $MIN_NODE or newer) are needed to build the browser assets; install them (e.g. apt-get install nodejs npm) and retry"
	command -v apt-get >/dev/null || die "node and npm are missing and there is no apt-get to install them"
	log "node or npm not found; installing packages 'nodejs' and 'npm'"
	DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm >/dev/null ||
		die "installing nodejs and npm failed"
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= MIN_NODE)) || die "Node.js $(node --version) is too old; $MIN_NODE or newer is needed"

stamp=$WEB/node_modules/.hingraph-installed-lock.json
if ! cmp -s "$WEB/package-lock.json" "$stamp" 2>/dev/null; then
	log "installing the pinned npm packages into web/node_modules"
	(cd "$WEB" && npm ci --no-audit --no-fund --silent) || die "npm ci in $WEB failed"
	cp -- "$WEB/package-lock.json" "$stamp"
fi
if [[ ${1:-} != --check ]]; then
	log "bundling into web/dist"
	(cd "$WEB" && node build.mjs)
	exit 0
fi

regen="scripts/web.sh && git add web/dist && git commit"
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
log "rebuilding into a temporary directory to compare with web/dist"
(cd "$WEB" && WEB_OUT="$tmp/dist" node build.mjs)
if ! diff -r -q -x README.txt "$tmp/dist" "$WEB/dist" >"$tmp/diff"; then
	cat "$tmp/diff" >&2
	die "web/dist does not match a rebuild of web/src with the pinned packages; regenerate it: $regen"
fi
if git -C "$WEB" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	changed=$(git -C "$WEB" status --porcelain --untracked-files=all -- dist)
	if [[ -n $changed ]]; then
		printf '%s\n' "$changed" >&2
		die "web/dist differs from the committed bundle, which is what go install serves; commit it: $regen"
	fi
else
	log "not a git checkout: compared with the files here only"
fi
log "web/dist matches its sources"
