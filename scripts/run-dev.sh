#!/usr/bin/env bash
#
# What `make run` starts, under scripts/with-postgres.sh: the demo OpenID
# provider (bin/hinidp, printing its people's logins) and `hingraph dev`
# signing people in through it, mapping their Keycloak-shaped roles and
# groups with deploy/claim-mappings/keycloak.yaml. `hingraph token` keeps
# working beside it (the development HS256 secret). Ctrl-C stops both.
#
#   HINGRAPH_ADDR         the API and pages (default localhost:8080)
#   HINGRAPH_DEMO_IDP     the provider (default localhost:8090)
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
addr=${HINGRAPH_ADDR:-localhost:8080}
idp=${HINGRAPH_DEMO_IDP:-localhost:8090}
public=${HINGRAPH_PUBLIC_URL:-http://$addr}
client=hin-graph
secret=hin-graph-demo-secret # the demo provider's only client, on this machine only

"$REPO/bin/hinidp" --addr "$idp" --client-id "$client" --client-secret "$secret" --redirect "$public/auth/callback" &
idp_pid=$!
app_pid=
# Stopped by a signal to this script alone (not Ctrl-C, which the whole
# process group gets), both children are stopped too.
stop() {
	kill -TERM $app_pid "$idp_pid" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
for ((i = 0; i < 40; i++)); do
	if (exec 3<>"/dev/tcp/${idp%:*}/${idp##*:}") 2>/dev/null; then
		break
	fi
	kill -0 "$idp_pid" 2>/dev/null || { echo "run-dev: the demo identity provider did not start" >&2; exit 1; }
	sleep 0.25
done
echo "sign in on the pages: $public/dashboard (Sign in, top right); tokens for scripts: bin/hingraph token --role ANALYST"

HINGRAPH_ADDR=$addr \
	HINGRAPH_OIDC_ISSUER=http://$idp \
	HINGRAPH_JWT_AUDIENCE=$client \
	HINGRAPH_OIDC_CLIENT_ID=$client \
	HINGRAPH_OIDC_CLIENT_SECRET=$secret \
	HINGRAPH_PUBLIC_URL=$public \
	HINGRAPH_CLAIM_MAPPING=$REPO/deploy/claim-mappings/keycloak.yaml \
	"$REPO/bin/hingraph" dev "$@" &
app_pid=$!
wait "$app_pid"
