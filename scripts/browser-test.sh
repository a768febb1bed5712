#!/usr/bin/env bash
#
# The browser and subscription tests (make test runs them):
#   - headless Chromium (apt packages chromium and chromium-driver, installed
#     when missing and we are root) opens GraphiQL and the dashboard with
#     every other origin blocked, runs a query, compares the dashboard with
#     the API, and times a live update after a publish;
#   - a graphql-ws client (npm) subscribes on one server process while a
#     return is published through another, on one database; also SSE,
#     tokens in the init payload, the per-caller cap and shutdown;
#   - the returns page: a region's editor uploads, explains and submits,
#     its approver approves, and the dashboard's tracker follows;
#   - browser sign-in through the demo OpenID provider (devtools/hinidp,
#     as `make run` starts it): an editor sees their region's drafts on the
#     dashboard, an analyst every region's, a person with no role is refused.
# Screenshots go to test-output/ (git-ignored).
#
#   scripts/with-postgres.sh scripts/browser-test.sh
#
# Needs DATABASE_URL of a role that may create databases: the tests get a
# database of their own, with demo data, dropped afterwards.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
GO=${GO:-go}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

log() { printf 'browser-test: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

[[ -n ${DATABASE_URL:-} ]] || die "DATABASE_URL is not set; run scripts/with-postgres.sh scripts/browser-test.sh (or make test)"

if [[ ! -x $CHROMIUM ]]; then
	((EUID == 0)) || die "Chromium is needed at $CHROMIUM; install the packages chromium and chromium-driver (as root: apt-get install chromium chromium-driver)"
	command -v apt-get >/dev/null || die "Chromium is missing and there is no apt-get to install it"
	log "installing the packages chromium and chromium-driver"
	DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver >/dev/null ||
		die "installing chromium failed"
fi
[[ -f $REPO/web/dist/BUILT ]] || "$SCRIPT_DIR/web.sh"
command -v psql >/dev/null || die "psql is needed to create the test database"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hingraph-browser.XXXXXX")
pids=()
db=hingraph_browser_$$
cleanup() {
	local rc=$?
	for pid in "${pids[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	if ((rc != 0)); then
		for f in "$tmp"/server-*.log; do
			[[ -f $f ]] && { log "end of $f:"; tail -n 20 "$f" >&2; }
		done
	fi
	psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
	rm -rf -- "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "building the server and the demo identity provider"
(cd "$REPO" && "$GO" build -o "$tmp/hingraph" ./cmd/hingraph && "$GO" build -o "$tmp/hinidp" ./devtools/hinidp)

psql "$DATABASE_URL" -qc "CREATE DATABASE $db" >/dev/null
url=$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$DATABASE_URL" "$db")
log "loading demo data into $db"
DATABASE_URL=$url "$tmp/hingraph" migrate >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log" >&2; exit 1; }
DATABASE_URL=$url "$tmp/hingraph" seed --demo --scale 1 >"$tmp/seed.log" 2>&1 || { cat "$tmp/seed.log" >&2; exit 1; }

secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'; }

# Two processes on one database: subscribers on one, writers on the other.
# The tests send hundreds of anonymous requests from one address; the rate
# limits are tested elsewhere, so they are off here.
# Started here, not in a $(...) subshell, so that cleanup knows their pids.
start_server() { # name port
	DATABASE_URL=$url HINGRAPH_JWT_SECRET=$secret "$tmp/hingraph" serve --addr "127.0.0.1:$2" --metrics-addr "" --anonymous-rate 0 \
		>"$tmp/server-$1.log" 2>&1 &
	pids+=($!)
}
wait_ready() { # name base
	for ((i = 0; i < 120; i++)); do
		if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));' "$2/readyz"; then
			return
		fi
		sleep 0.25
	done
	die "server $1 did not come up"
}
port_a=$(free_port)
port_b=$(free_port)
start_server a "$port_a"
start_server b "$port_b"
a=http://127.0.0.1:$port_a
b=http://127.0.0.1:$port_b
wait_ready a "$a"
wait_ready b "$b"
log "servers at $a and $b"

# A third server signs people in through the demo provider, mapping its
# Keycloak-shaped claims as make run does (scripts/run-dev.sh).
port_idp=$(free_port)
port_c=$(free_port)
idp=http://127.0.0.1:$port_idp
c=http://127.0.0.1:$port_c
"$tmp/hinidp" --addr "127.0.0.1:$port_idp" --client-secret browser-test-secret --redirect "$c/auth/callback" >"$tmp/server-idp.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 40; i++)); do
	node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));' "$idp/.well-known/openid-configuration" && break
	sleep 0.25
done
DATABASE_URL=$url HINGRAPH_JWT_SECRET=$secret HINGRAPH_OIDC_ISSUER=$idp HINGRAPH_JWT_AUDIENCE=hin-graph \
	HINGRAPH_OIDC_CLIENT_ID=hin-graph HINGRAPH_OIDC_CLIENT_SECRET=browser-test-secret HINGRAPH_PUBLIC_URL=$c \
	HINGRAPH_CLAIM_MAPPING=$REPO/deploy/claim-mappings/keycloak.yaml \
	"$tmp/hingraph" serve --addr "127.0.0.1:$port_c" --metrics-addr "" --anonymous-rate 0 >"$tmp/server-c.log" 2>&1 &
pids+=($!)
wait_ready c "$c"
log "sign-in server at $c, demo identity provider at $idp"

mkdir -p "$REPO/test-output"
token() { "$tmp/hingraph" token --secret "$secret" "$@"; }
HINGRAPH_A=$a HINGRAPH_B=$b HINGRAPH_SIGNIN=$c HINGRAPH_BIN=$tmp/hingraph HINGRAPH_DB=$url HINGRAPH_JWT_SECRET=$secret \
	HINGRAPH_EDITOR_TOKEN=$(token --role REGION_EDITOR --region UCLP --subject browser-test-editor) \
	HINGRAPH_ANALYST_TOKEN=$(token --role ANALYST --subject browser-test-analyst) \
	HINGRAPH_NENC_EDITOR_TOKEN=$(token --role REGION_EDITOR --region HI-NENC --subject browser-test-nenc-editor) \
	HINGRAPH_NENC_APPROVER_TOKEN=$(token --role REGION_APPROVER --region HI-NENC --subject browser-test-nenc-approver) \
	HINGRAPH_EM_EDITOR_TOKEN=$(token --role REGION_EDITOR --region HI-EM --subject browser-test-em-editor) \
	HINGRAPH_ADMIN_TOKEN=$(token --role NATIONAL_ADMIN --subject browser-test-admin) \
	CHROMIUM=$CHROMIUM TEST_OUTPUT=$REPO/test-output \
	node --experimental-websocket --no-warnings --test --test-concurrency=1 \
	"$REPO/web/test/subscriptions.test.mjs" "$REPO/web/test/browser.test.mjs" "$REPO/web/test/returns.test.mjs" \
	"$REPO/web/test/signin.test.mjs"
log "screenshots in test-output/"
