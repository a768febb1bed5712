#!/usr/bin/env bash
#
# Run a command with DATABASE_URL pointing at a reachable PostgreSQL.
#
#   scripts/with-postgres.sh CMD [ARGS...]   run CMD with DATABASE_URL exported
#   scripts/with-postgres.sh --status        describe the local throwaway cluster
#   scripts/with-postgres.sh --stop          stop the local throwaway cluster
#
# If DATABASE_URL is already set, CMD runs against it and nothing else happens.
# Otherwise a private, disposable cluster is started from the system's PostgreSQL
# binaries, with its data under .data/ in the repo, on its own port and socket.
# A system cluster (e.g. the distribution's on 5432) is never used or touched.
# The cluster is stopped again when the last invocation that uses it exits,
# unless it was already running without us or HINGRAPH_KEEP_PG=1 is set.
#
# The work is done in Go, in internal/pgcluster (tested there) through the
# small command devtools/hinpg, which this script builds into bin/ when its sources
# change. Run `go doc ./internal/pgcluster` for the details.
#
# Environment:
#   DATABASE_URL       use this database instead of a local cluster
#   PG_BINDIR          directory with initdb, pg_ctl, postgres (default: newest
#                      /usr/lib/postgresql/*/bin)
#   HINGRAPH_PG_PORT   preferred port (default 54329; the next free one is taken
#                      when something else listens there)
#   HINGRAPH_KEEP_PG   1 = leave a cluster started by this invocation running
#   HINGRAPH_PG_DIR    directory of the cluster (default: .data in the repo)
set -euo pipefail

REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)

case ${1:-} in
"" | -h | --help)
	sed -n '3,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	[[ -n ${1:-} ]] && exit 0
	exit 2
	;;
--) shift ;;
--status | --stop) ;;
-*)
	echo "with-postgres: unknown option: $1" >&2
	exit 2
	;;
esac

if [[ -n ${DATABASE_URL:-} && ${1:-} != --status && ${1:-} != --stop ]]; then
	echo "with-postgres: using DATABASE_URL from the environment" >&2
	exec "$@"
fi

# Rebuild hinpg only when its sources are newer; build beside it and rename,
# so that a concurrent invocation never runs a half-written binary.
bin=$REPO/bin/hinpg
if [[ ! -x $bin || -n $(cd "$REPO" && find devtools/hinpg internal/pgcluster go.mod go.sum -newer "$bin" -print -quit) ]]; then
	mkdir -p "$REPO/bin"
	tmp=$(mktemp "$REPO/bin/.hinpg.XXXXXX")
	(cd "$REPO" && go build -o "$tmp" ./devtools/hinpg) || {
		rm -f "$tmp"
		exit 1
	}
	mv -f "$tmp" "$bin"
fi

# As root the cluster runs as postgres, which cannot enter a checkout under
# /root or a mktemp directory; hinpg then keeps it in /var/tmp, in a
# directory named for the one asked for (pgcluster.FallbackFor), so that two
# clusters (the checkout's and the resilience check's, say) never share one.
dir=${HINGRAPH_PG_DIR:-$REPO/.data}
args=(-dir "$dir")
case $1 in
--status | --stop) exec "$bin" "${args[@]}" "$1" ;;
*) exec "$bin" "${args[@]}" -- "$@" ;;
esac
