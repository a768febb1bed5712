#!/usr/bin/env bash
#
# Resilience check: the database restarting under load, and shutdown under load.
#
#   scripts/resilience.sh [HINCHAOS FLAGS...]
#       Starts a fresh throwaway PostgreSQL cluster, migrates it, loads the
#       reference data, and runs devtools/hinchaos: hinchaos starts `hingraph serve`,
#       puts it under a write and read load, restarts PostgreSQL a third of the
#       way in, sends hingraph SIGTERM under load at the end, and compares
#       what was acknowledged with what was stored. Everything is stopped and
#       removed afterwards (kept on failure, for the logs). Exits with
#       hinchaos's status: 0 pass, 1 resilience failure, 2 could not run.
#       Flags go to hinchaos, e.g. --duration 30s --workers 16.
#
#   scripts/resilience.sh --restart-pg [DATA_DIR]
#       Restart one local cluster: pg_ctl stop -m fast, HINCHAOS_PG_DOWN seconds
#       down, pg_ctl start; returns once it accepts connections. DATA_DIR
#       defaults to the running cluster of scripts/with-postgres.sh. This is
#       hinchaos's default --pg-restart-cmd.
#
# The cluster is never the one in .data/ that `make test` and `make run`
# share (restarting that would break whoever is using it), nor a system
# cluster such as the distribution's on 5432: the run points
# scripts/with-postgres.sh at a temporary directory (HINGRAPH_PG_DIR), so the
# same code starts a private cluster there, on its own port. As root the cluster runs as the
# postgres user, as with-postgres.sh arranges.
#
# Environment:
#   HINCHAOS_PG_DOWN       seconds PostgreSQL stays down (default 3)
#   HINCHAOS_PG_STOP_MODE  pg_ctl stop mode: fast (default), smart or immediate
#   HINCHAOS_PG_PORT       preferred port of the private cluster (default 54349)
#   PG_BINDIR              PostgreSQL binaries (default: newest /usr/lib/postgresql/*/bin)
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$SCRIPT_DIR/.." && pwd -P)
SELF=$SCRIPT_DIR/resilience.sh
MIN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf 'resilience: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 2
}

find_bindir() {
	if [[ -n ${PG_BINDIR:-} ]]; then
		printf '%s\n' "$PG_BINDIR"
		return
	fi
	local d best=
	while IFS= read -r d; do
		if [[ -x $d/pg_ctl ]]; then best=$d; fi
	done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
	[[ -n $best ]] || die "no PostgreSQL binaries found; set PG_BINDIR"
	printf '%s\n' "$best"
}

# pg_ctl as the cluster's owner (root may not run it), from / and with a
# scrubbed environment, like with-postgres.sh's as_pg.
pg_ctl_as_owner() {
	local data=$1 owner
	shift
	owner=$(stat -c %U -- "$data")
	(
		cd /
		if ((EUID == 0)); then
			exec runuser -u "$owner" -- env -i PATH="$MIN_PATH" LC_ALL=C "$BINDIR/pg_ctl" -D "$data" "$@"
		else
			exec env -i PATH="$MIN_PATH" LC_ALL=C HOME="${HOME:-/}" "$BINDIR/pg_ctl" -D "$data" "$@"
		fi
	)
}

cmd_restart_pg() {
	local data=${1:-} down=${HINCHAOS_PG_DOWN:-3} mode=${HINCHAOS_PG_STOP_MODE:-fast} logf
	[[ $down =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "HINCHAOS_PG_DOWN must be a number of seconds"
	case $mode in fast | smart | immediate) ;; *) die "HINCHAOS_PG_STOP_MODE must be fast, smart or immediate" ;; esac
	if [[ -z $data ]]; then
		# The running cluster of this checkout, as with-postgres.sh reports it.
		data=$("$SCRIPT_DIR/with-postgres.sh" --status 2>/dev/null | awk '/: running/ {r=1} r && $1 == "data:" && d == "" {d=$2} END {print d}') || true
		[[ -n $data ]] || die "no running cluster of scripts/with-postgres.sh found; pass its data directory"
	fi
	[[ -f $data/PG_VERSION && -f $data/postmaster.pid ]] || die "$data is not a running PostgreSQL data directory"
	BINDIR=$(find_bindir)
	# with-postgres.sh keeps the server log next to the data dir.
	logf=$(dirname -- "$data")/pg.log
	[[ -w $logf ]] || logf=$data/restart.log
	log "$(date +%T.%3N) stopping PostgreSQL ($mode) in $data"
	pg_ctl_as_owner "$data" stop -m "$mode" -w -t 60 -s
	log "$(date +%T.%3N) PostgreSQL down; starting again in ${down}s"
	sleep "$down"
	pg_ctl_as_owner "$data" start -l "$logf" -w -t 60 -s
	log "$(date +%T.%3N) PostgreSQL up"
}

# --- the whole run ---------------------------------------------------------------

WORK=
CLUSTER_SCRIPT=
KEEP_WORK=0

cleanup() {
	local rc=$?
	trap '' INT TERM
	if [[ -n $CLUSTER_SCRIPT && -x $CLUSTER_SCRIPT ]]; then
		"$CLUSTER_SCRIPT" --stop || log "warning: could not stop the private cluster; see $WORK"
	fi
	if [[ -n $WORK ]]; then
		if ((rc == 0 && !KEEP_WORK)); then
			rm -rf -- "$WORK"
		else
			log "logs kept in $WORK (server log: $WORK/hinchaos/hingraph.log, PostgreSQL log: $WORK/.data/pg.log)"
		fi
	fi
	exit "$rc"
}

cmd_run() {
	command -v go >/dev/null || die "go is not installed"
	# A fresh cluster, whatever the caller's shell points at.
	if [[ -n ${DATABASE_URL:-} ]]; then
		log "note: ignoring DATABASE_URL; the check runs on its own throwaway cluster"
		unset DATABASE_URL
	fi
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	WORK=$(mktemp -d "${TMPDIR:-/tmp}/hin-resilience.XXXXXX")
	# The cluster owner (postgres, when we are root) must reach its data dir.
	chmod 755 "$WORK"
	mkdir -p "$WORK/scripts" "$WORK/bin" "$WORK/hinchaos"
	# A with-postgres.sh whose cluster lives in $WORK/.data: a private
	# cluster, never the one in .data/ of the checkout.
	printf '#!/bin/sh\nHINGRAPH_PG_DIR=%q exec %q "$@"\n' "$WORK/.data" "$SCRIPT_DIR/with-postgres.sh" >"$WORK/scripts/with-postgres.sh"
	chmod +x "$WORK/scripts/with-postgres.sh"
	CLUSTER_SCRIPT=$WORK/scripts/with-postgres.sh

	log "building hingraph and hinchaos"
	(cd "$REPO" && go build -o "$WORK/bin/hingraph" ./cmd/hingraph && go build -o "$WORK/bin/hinchaos" ./devtools/hinchaos) ||
		die "build failed"

	local url data
	# KEEP_PG: the cluster outlives this call; cleanup stops it with --stop.
	url=$(HINGRAPH_KEEP_PG=1 HINGRAPH_PG_PORT=${HINCHAOS_PG_PORT:-54349} \
		"$CLUSTER_SCRIPT" /bin/sh -c 'printf %s "$DATABASE_URL"') || die "could not start the private cluster"
	# awk reads to the end: exiting early would SIGPIPE --status (pipefail).
	data=$("$CLUSTER_SCRIPT" --status | awk '$1 == "data:" && d == "" {d=$2} END {print d}')
	[[ -n $url && -f $data/PG_VERSION ]] || die "private cluster not found after start"
	export DATABASE_URL=$url

	log "migrating and loading reference data"
	"$WORK/bin/hingraph" migrate --log-level warn || die "migrate failed"
	"$WORK/bin/hingraph" seed --log-level warn || die "seed failed"

	local rc=0
	"$WORK/bin/hinchaos" \
		--hingraph "$WORK/bin/hingraph" \
		--work-dir "$WORK/hinchaos" \
		--pg-restart-cmd "$(printf '%q --restart-pg %q' "$SELF" "$data")" \
		"$@" || rc=$?
	return "$rc"
}

case ${1:-} in
--restart-pg)
	shift
	cmd_restart_pg "$@"
	;;
-h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
	;;
*)
	cmd_run "$@"
	;;
esac
