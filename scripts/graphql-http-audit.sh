#!/usr/bin/env bash
#
# Check the real server against the GraphQL-over-HTTP spec with the
# graphql-http package's server audits; fails on any error or warning.
#
#   scripts/with-postgres.sh scripts/graphql-http-audit.sh   (what make test does)
#   DATABASE_URL=postgres://... scripts/graphql-http-audit.sh
#
# Needs DATABASE_URL: the server runs `serve --migrate` against it, so that
# database gets the schema's tables (an empty migrated database is enough).
# Node.js and npm are installed with apt when missing and we are root; the
# pinned graphql-http comes from scripts/audit/package-lock.json via npm ci.
#
# Environment:
#   GO                   go command to build with (default: go)
#   HINGRAPH_AUDIT_LOG   keep the server's log at this path
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
AUDIT_DIR=$SCRIPT_DIR/audit
GO=${GO:-go}
# graphql-http's audits call the global fetch, which Node has had since 18.
MIN_NODE=18

log() { printf 'graphql-http-audit: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

[[ -n ${DATABASE_URL:-} ]] ||
	die "DATABASE_URL is not set; run scripts/with-postgres.sh scripts/graphql-http-audit.sh (or make test)"

# --- Node.js and the pinned graphql-http -------------------------------------

install_node() {
	if ((EUID != 0)); then
		die "node and npm (Node.js $MIN_NODE or newer) are needed to run the audit; install them (e.g. apt-get install nodejs npm as root) and retry"
	fi
	command -v apt-get >/dev/null || die "node and npm are missing and there is no apt-get to install them; install Node.js $MIN_NODE or newer"
	local logf
	logf=$(mktemp "${TMPDIR:-/tmp}/hingraph-node-install.XXXXXX")
	log "node or npm not found; installing packages 'nodejs' and 'npm' (log: $logf)"
	if ! {
		DEBIAN_FRONTEND=noninteractive apt-get update &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm
	} >"$logf" 2>&1; then
		tail -n 30 "$logf" >&2 || true
		die "installing nodejs and npm failed; full log in $logf"
	fi
	rm -f -- "$logf"
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	install_node
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= MIN_NODE)) || die "Node.js $(node --version) is too old for graphql-http's audits; $MIN_NODE or newer is needed"

# npm ci wipes and reinstalls node_modules, so skip it when the lock file
# is the one last installed from.
stamp=$AUDIT_DIR/node_modules/.hingraph-installed-lock.json
if ! cmp -s "$AUDIT_DIR/package-lock.json" "$stamp" 2>/dev/null; then
	log "installing the pinned graphql-http into scripts/audit/node_modules"
	(cd "$AUDIT_DIR" && npm ci --no-audit --no-fund --silent) || die "npm ci in $AUDIT_DIR failed"
	cp -- "$AUDIT_DIR/package-lock.json" "$stamp"
fi

# --- the server ----------------------------------------------------------------

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hingraph-audit.XXXXXX")
server_pid=
cleanup() {
	local rc=$?
	if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if [[ -n ${HINGRAPH_AUDIT_LOG:-} && -f $tmp/server.log ]]; then
		cp -- "$tmp/server.log" "$HINGRAPH_AUDIT_LOG" || true
	fi
	rm -rf -- "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "building the server"
(cd "$REPO" && "$GO" build -o "$tmp/hingraph" ./cmd/hingraph)

# Ask the kernel for a free port; the server binds it a moment later.
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
base=http://127.0.0.1:$port

# The default configuration, as a client on the internet meets it: the
# audits run without a token, ~80 requests in a burst, and use __type.
"$tmp/hingraph" serve --migrate --addr "127.0.0.1:$port" --metrics-addr 127.0.0.1:0 >"$tmp/server.log" 2>&1 &
server_pid=$!

up=0
for ((i = 0; i < 120; i++)); do
	if ! kill -0 "$server_pid" 2>/dev/null; then
		break
	fi
	if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));' "$base/healthz"; then
		up=1
		break
	fi
	sleep 0.5
done
if ((!up)); then
	log "the server did not come up on $base; end of its log:"
	tail -n 30 "$tmp/server.log" >&2 || true
	exit 1
fi

log "auditing $base/graphql"
node "$SCRIPT_DIR/graphql-http-audit.mjs" "$base/graphql"
