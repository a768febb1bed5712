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
# binaries, with its data under .data/ in the repo and on its own port and socket
# directory. A system cluster (e.g. the distribution's on 5432) is never used or
# touched. The cluster is stopped again when the last invocation that uses it
# exits, unless it was already running without us or HINGRAPH_KEEP_PG=1 is set.
#
# Environment:
#   DATABASE_URL       use this database instead of a local cluster
#   PG_BINDIR          directory with initdb, pg_ctl, psql... (default: newest
#                      /usr/lib/postgresql/*/bin)
#   HINGRAPH_PG_PORT   preferred port (default 54329; the next free one is taken
#                      when something else listens there)
#   HINGRAPH_KEEP_PG   1 = leave a cluster started by this invocation running
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(cd -- "$SCRIPT_DIR/.." && pwd -P)

DB_NAME=hingraph
DB_SUPERUSER=postgres
DEFAULT_PORT=54329
# Server processes get a fixed, minimal environment so that PG* variables or
# locale settings from the caller's shell cannot change how the cluster behaves.
MIN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Short per-checkout tag, so that several clones on one machine don't share
# fallback directories.
REPO_TAG=$(printf '%s' "$REPO" | sha256sum | cut -c1-8)

BINDIR=
PG_MAJOR=
RUN_USER=
BASE=
DATA=
LOG=
SOCKDIR=
MARKER=
PORT=
START_FD=
USERS_FD=
CLUSTER_MODE=0
CHILD_PID=

log() { printf 'with-postgres: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

usage() {
	cat <<'EOF'
usage: scripts/with-postgres.sh CMD [ARGS...]
       scripts/with-postgres.sh --status | --stop

Runs CMD with DATABASE_URL exported. Without DATABASE_URL in the environment a
private PostgreSQL cluster is started under .data/ (port 54329 by default) and
stopped again afterwards. Set HINGRAPH_KEEP_PG=1 to keep it running.
EOF
}

# --- locating (and if need be installing) PostgreSQL ------------------------

# Prints the bin directory to use, or nothing. Debian/Ubuntu keep one directory
# per major version; sort -V puts 9.6 before 10 where a plain glob would not.
find_bindir() {
	if [[ -n ${PG_BINDIR:-} ]]; then
		if [[ ! -x $PG_BINDIR/initdb || ! -x $PG_BINDIR/pg_ctl ]]; then
			die "PG_BINDIR=$PG_BINDIR does not contain initdb and pg_ctl"
		fi
		printf '%s\n' "$PG_BINDIR"
		return 0
	fi
	local d best=
	while IFS= read -r d; do
		if [[ -x $d/initdb && -x $d/pg_ctl ]]; then
			best=$d
		fi
	done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
	if [[ -n $best ]]; then
		printf '%s\n' "$best"
	fi
	return 0
}

install_postgres() {
	command -v apt-get >/dev/null || die "no PostgreSQL found and no apt-get to install it; install PostgreSQL or set DATABASE_URL"
	local logf=$REPO/.data/pg-install.log
	mkdir -p "$REPO/.data"
	log "no PostgreSQL binaries found; installing package 'postgresql' (log: $logf)"
	# The package may create and start the distribution's own cluster on 5432.
	# That is harmless: we only take the binaries and run our own cluster.
	if ! {
		DEBIAN_FRONTEND=noninteractive apt-get update &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql
	} >"$logf" 2>&1; then
		tail -n 30 "$logf" >&2 || true
		die "installing postgresql failed; full log in $logf"
	fi
}

# Major version as used in PG_VERSION: "15" for 15.x, "9.6" before version 10.
bin_major() {
	local out re='\(PostgreSQL\) ([0-9]+)(\.([0-9]+))?'
	out=$("$BINDIR/postgres" -V) || return 1
	[[ $out =~ $re ]] || return 1
	if ((BASH_REMATCH[1] >= 10)); then
		printf '%s\n' "${BASH_REMATCH[1]}"
	else
		printf '%s.%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[3]}"
	fi
}

# --- users and directories -----------------------------------------------------

# initdb and postgres refuse to run as root, so as root we hand the cluster to
# an unprivileged account: the distribution's "postgres" if there is one.
choose_run_user() {
	if getent passwd postgres >/dev/null; then
		RUN_USER=postgres
		return 0
	fi
	if ! getent passwd hingraph >/dev/null; then
		log "creating system user 'hingraph' to own the local PostgreSQL cluster"
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin hingraph ||
			die "could not create system user 'hingraph'"
	fi
	RUN_USER=hingraph
}

# Run a server-side command (initdb, pg_ctl) as the cluster owner with a
# scrubbed environment.
# Runs from / because the owner may not be allowed into the caller's cwd.
# The lock descriptors are closed for it: a postmaster would otherwise inherit
# them and hold our locks for its whole life.
as_pg() {
	(
		cd /
		if [[ -n $START_FD ]]; then exec {START_FD}>&-; fi
		if [[ -n $USERS_FD ]]; then exec {USERS_FD}>&-; fi
		if ((EUID == 0)); then
			exec runuser -u "$RUN_USER" -- env -i PATH="$MIN_PATH" LC_ALL=C "$@"
		else
			exec env -i PATH="$MIN_PATH" LC_ALL=C HOME="${HOME:-/}" "$@"
		fi
	)
}

give_to_run_user() {
	if ((EUID == 0)); then
		chown "$RUN_USER:" "$@"
	fi
}

fallback_base() { printf '/var/tmp/hin-graph-pg-%s\n' "$REPO_TAG"; }

# Directories a cluster of this checkout may live in, for --status and --stop.
candidate_bases() {
	printf '%s\n' "$REPO/.data"
	if ((EUID == 0)); then
		fallback_base
	fi
}

set_paths() {
	BASE=$1
	DATA=$BASE/pg
	LOG=$BASE/pg.log
	MARKER=$BASE/.pg-autostop
	SOCKDIR=$BASE
	# Unix socket paths are limited to ~107 bytes; keep well below that.
	local sock_name=/.s.PGSQL.65535
	if ((${#SOCKDIR} + ${#sock_name} > 100)); then
		SOCKDIR=/tmp/hin-graph-pg-$REPO_TAG
	fi
}

# Pick and prepare the directory holding data dir, log, socket and locks.
prepare_base() {
	local base=$REPO/.data
	if ((EUID == 0)); then
		# The cluster owner must be able to reach the data dir. A checkout under
		# /root (mode 700) is out of its reach, so use /var/tmp instead.
		if ! as_pg test -x "$REPO" || ! mkdir -p "$base" || ! chown "$RUN_USER:" "$base" ||
			! as_pg test -w "$base" -a -x "$base"; then
			base=$(fallback_base)
			log "note: $RUN_USER cannot reach $REPO/.data; keeping the cluster in $base"
			mkdir -p "$base"
			chmod 700 "$base"
			chown "$RUN_USER:" "$base"
		fi
	else
		mkdir -p "$base"
	fi
	set_paths "$base"
	if [[ $SOCKDIR != "$BASE" ]]; then
		mkdir -p "$SOCKDIR"
		chmod 700 "$SOCKDIR"
		give_to_run_user "$SOCKDIR"
	fi
}

# --- cluster state -------------------------------------------------------------------

# Prints the postmaster PID if our cluster is up. Besides the PID file, check
# that the process really works in our data dir: after a reboot or container
# restart a stale postmaster.pid can name a PID now used by something else
# (quite likely another postgres in a container with small, reused PIDs).
running_pid() {
	local pid cwd real
	[[ -r $DATA/postmaster.pid ]] || return 1
	read -r pid <"$DATA/postmaster.pid" || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	if cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null); then
		real=$(cd -- "$DATA" && pwd -P) || return 1
		[[ $cwd == "$real" ]] || return 1
	fi
	printf '%s\n' "$pid"
}

running_port() { sed -n 4p "$DATA/postmaster.pid"; }

port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
	local p=${HINGRAPH_PG_PORT:-$DEFAULT_PORT} i
	if ! [[ $p =~ ^[1-9][0-9]*$ ]] || ((p > 65535)); then
		die "invalid HINGRAPH_PG_PORT: $p"
	fi
	for ((i = 0; i < 100 && p < 65536; i++, p++)); do
		if ! port_in_use "$p"; then
			printf '%s\n' "$p"
			return 0
		fi
		log "port $p is taken by another service; trying the next one"
	done
	die "no free port found starting at ${HINGRAPH_PG_PORT:-$DEFAULT_PORT}"
}

admin_conninfo() { printf 'host=127.0.0.1 port=%s user=%s dbname=postgres sslmode=disable' "$PORT" "$DB_SUPERUSER"; }

wait_ready() {
	local i
	for ((i = 0; i < 60; i++)); do
		if "$BINDIR/pg_isready" -q -d "$(admin_conninfo)"; then
			return 0
		fi
		sleep 0.5
	done
	log "PostgreSQL on port $PORT did not become ready within 30s; end of $LOG:"
	tail -n 30 "$LOG" >&2 || true
	return 1
}

show_log_tail() {
	log "$1; end of $LOG:"
	tail -n 30 "$LOG" >&2 || true
}

# Move a data dir out of the way rather than deleting it: it is throwaway by
# design, but silently destroying data is never nice.
move_aside() {
	local to
	to=$DATA.$1.$(date +%Y%m%d-%H%M%S)
	mv -- "$DATA" "$to"
	log "note: moved old data dir ($2) to $to"
}

init_cluster() {
	local have
	if [[ -f $DATA/PG_VERSION ]]; then
		have=$(<"$DATA/PG_VERSION")
		if [[ $have != "$PG_MAJOR" ]]; then
			move_aside "v$have" "PostgreSQL $have, binaries are $PG_MAJOR"
		fi
	elif [[ -d $DATA ]] && [[ -n $(ls -A -- "$DATA") ]]; then
		move_aside broken "no PG_VERSION, probably an interrupted initdb"
	fi
	if [[ ! -f $DATA/PG_VERSION ]]; then
		log "initialising a new cluster in $DATA"
		mkdir -p "$DATA"
		chmod 700 "$DATA"
		give_to_run_user "$DATA"
		: >>"$LOG"
		give_to_run_user "$LOG"
		if ! as_pg "$BINDIR/initdb" -D "$DATA" --auth=trust -U "$DB_SUPERUSER" -E UTF8 --no-locale >>"$LOG" 2>&1; then
			show_log_tail "initdb failed"
			exit 1
		fi
	fi
	# Our settings live in a separate file that is rewritten on every start;
	# this way quoting of paths never goes through pg_ctl's shell command line.
	if ! grep -q "^include_if_exists = 'hingraph.conf'" "$DATA/postgresql.conf"; then
		printf "\n# Added by scripts/with-postgres.sh\ninclude_if_exists = 'hingraph.conf'\n" >>"$DATA/postgresql.conf"
	fi
}

conf_quote() {
	local q="'"
	printf "'%s'" "${1//$q/$q$q}"
}

write_conf() {
	cat >"$DATA/hingraph.conf" <<EOF
# Written by scripts/with-postgres.sh before every start; edits are overwritten.
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = $(conf_quote "$SOCKDIR")
# A throwaway dev/test cluster: trade crash safety for speed.
fsync = off
synchronous_commit = off
full_page_writes = off
# Go test packages run in parallel, each with its own connection pool.
max_connections = 300
shared_buffers = 256MB
work_mem = 32MB
EOF
	give_to_run_user "$DATA/hingraph.conf"
}

ensure_database() {
	local exists
	exists=$("$BINDIR/psql" -X -q -tA -v ON_ERROR_STOP=1 -d "$(admin_conninfo)" \
		-c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")
	if [[ $exists != 1 ]]; then
		"$BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -d "$(admin_conninfo)" \
			-c "CREATE DATABASE $DB_NAME" >/dev/null
	fi
}

stop_cluster() {
	local pid=$1 out
	if out=$(as_pg "$BINDIR/pg_ctl" stop -D "$DATA" -m fast -w -t 60 -s 2>&1); then
		return 0
	fi
	# A Ctrl-C during startup can reach a postmaster that was not yet detached
	# from the terminal; it then shuts down on its own and pg_ctl finds nothing.
	if ! running_pid >/dev/null; then
		return 0
	fi
	printf '%s\n' "$out" >&2
	log "warning: pg_ctl stop failed for postmaster $pid; see $LOG"
	return 1
}

# --- locking ---------------------------------------------------------------------
#
# Two flock(1) locks in $BASE coordinate concurrent invocations:
#  .pg-start  exclusive while starting/stopping the cluster, so two invocations
#             never both run initdb or pg_ctl start;
#  .pg-users  held shared by every invocation while its CMD runs.
# The invocation that starts the cluster drops a marker file. On exit, whoever
# can upgrade .pg-users to exclusive is the last user, and stops the cluster if
# the marker is there. So a `make test` that reuses the cluster of a running
# `make run` never stops it underneath, and it is still stopped in the end.
# A cluster that was running without a marker (kept with HINGRAPH_KEEP_PG=1)
# is never stopped by this script except with --stop.

open_locks() {
	exec {START_FD}>>"$BASE/.pg-start" {USERS_FD}>>"$BASE/.pg-users"
	flock -w 120 "$START_FD" || die "timed out waiting for another with-postgres.sh to start or stop the cluster"
}

release_start_lock() { flock -u "$START_FD"; }

# EXIT trap of the cluster path.
cleanup() {
	local rc=$? pid
	# Finish the shutdown even when Ctrl-C is pressed again meanwhile.
	trap '' INT TERM
	if ((CLUSTER_MODE)); then
		flock -w 120 "$START_FD" || true
		if [[ -e $MARKER ]]; then
			if flock -xn "$USERS_FD"; then
				if pid=$(running_pid); then
					log "stopping local PostgreSQL (port $PORT)"
					stop_cluster "$pid" || true
				fi
				rm -f -- "$MARKER"
			else
				log "local PostgreSQL stays up: another with-postgres.sh still uses it and will stop it"
			fi
		fi
	fi
	exit "$rc"
}

# --- running CMD -----------------------------------------------------------------

# True when this shell is in the terminal's foreground process group. CMD is in
# our group too, so a Ctrl-C typed there has already reached it; forwarding the
# SIGINT as well would deliver it twice (a second Ctrl-C often means "force").
in_tty_foreground() {
	local stat _state _ppid pgrp _sid _tty tpgid _rest
	stat=$(<"/proc/$$/stat") 2>/dev/null || return 1
	stat=${stat##*) }
	read -r _state _ppid pgrp _sid _tty tpgid _rest <<<"$stat"
	[[ $pgrp == "$tpgid" ]]
}

on_signal() {
	local sig=$1
	if [[ -z $CHILD_PID ]]; then
		# Still setting up: abort; the EXIT trap stops a cluster we started.
		exit $((128 + $(kill -l "$sig")))
	fi
	if [[ $sig == INT ]] && in_tty_foreground; then
		return 0
	fi
	kill -s "$sig" "$CHILD_PID" 2>/dev/null || true
}

# CMD runs in the background so the signal traps fire while we wait. Bash
# would give a background job /dev/null as stdin and ignore SIGINT in it, so
# pass the real stdin through and restore default SIGINT/SIGQUIT handling.
run_child() {
	local rc stdin_fd
	exec {stdin_fd}<&0
	(
		trap - INT QUIT
		exec "$@" <&"$stdin_fd" {stdin_fd}<&- {START_FD}>&- {USERS_FD}>&-
	) &
	CHILD_PID=$!
	exec {stdin_fd}<&-
	# wait returns early whenever a trapped signal arrives; CMD may well survive
	# that (Ctrl-C in psql cancels a query), so keep waiting until it is gone.
	while :; do
		rc=0
		wait "$CHILD_PID" || rc=$?
		if ! kill -0 "$CHILD_PID" 2>/dev/null; then
			break
		fi
	done
	# If the last wait was cut short by a signal, this fetches the real status.
	rc=0
	wait "$CHILD_PID" || rc=$?
	return "$rc"
}

# --- modes -----------------------------------------------------------------------------

describe_url() {
	local u=$1
	if [[ $u == *://* ]]; then
		# Only the host part: drop scheme, credentials, database and options.
		u=${u#*://}
		u=${u##*@}
		u=${u%%[/?]*}
		printf 'host %s' "${u:-(default)}"
	else
		printf 'a key=value connection string'
	fi
}

cmd_run() {
	if [[ -n ${DATABASE_URL:-} ]]; then
		log "using DATABASE_URL from the environment ($(describe_url "$DATABASE_URL"))"
		exec "$@"
	fi
	# Trap early: runuser absorbs a Ctrl-C itself and just exits non-zero,
	# which would otherwise look like a failed check rather than an abort.
	trap 'on_signal INT' INT
	trap 'on_signal TERM' TERM

	BINDIR=$(find_bindir)
	if [[ -z $BINDIR ]]; then
		if ((EUID != 0)); then
			die "no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin). Install PostgreSQL (Debian/Ubuntu: sudo apt-get install postgresql), set PG_BINDIR, or set DATABASE_URL to an existing database."
		fi
		install_postgres
		BINDIR=$(find_bindir)
		[[ -n $BINDIR ]] || die "postgresql was installed but no initdb/pg_ctl was found under /usr/lib/postgresql/*/bin"
	fi
	PG_MAJOR=$(bin_major) || die "cannot determine the version of $BINDIR/postgres"

	if ((EUID == 0)); then
		choose_run_user
	fi
	prepare_base
	open_locks
	CLUSTER_MODE=1
	trap cleanup EXIT

	local pid how
	if pid=$(running_pid); then
		PORT=$(running_port)
		if ((EUID == 0)); then
			# Stop it as whoever owns it, should that ever differ.
			RUN_USER=$(stat -c %U -- "$DATA")
		fi
		wait_ready || exit 1
		PG_MAJOR=$(<"$DATA/PG_VERSION")
		how="already running, reused"
		if [[ ${HINGRAPH_KEEP_PG:-} == 1 ]]; then
			rm -f -- "$MARKER"
		fi
	else
		init_cluster
		if ((EUID == 0)) && [[ $(stat -c %U -- "$DATA") != "$RUN_USER" ]]; then
			chown -R "$RUN_USER:" "$DATA"
		fi
		PORT=$(pick_port)
		write_conf
		: >>"$LOG"
		give_to_run_user "$LOG"
		if [[ ${HINGRAPH_KEEP_PG:-} == 1 ]]; then
			rm -f -- "$MARKER"
			how="started; kept running as HINGRAPH_KEEP_PG=1"
		else
			# Before pg_ctl: an interrupted start must be cleaned up too.
			: >"$MARKER"
			how="started, stopped on exit"
		fi
		if ! as_pg "$BINDIR/pg_ctl" start -D "$DATA" -l "$LOG" -w -t 30 -s; then
			show_log_tail "pg_ctl start failed"
			exit 1
		fi
		wait_ready || exit 1
	fi
	ensure_database

	export DATABASE_URL="postgres://$DB_SUPERUSER@127.0.0.1:$PORT/$DB_NAME?sslmode=disable"
	log "using local PostgreSQL $PG_MAJOR at 127.0.0.1:$PORT, db $DB_NAME, data in $DATA ($how)"

	flock -s "$USERS_FD"
	release_start_lock
	if [[ ! -e $MARKER ]]; then
		# Nothing to clean up afterwards: hand the process over to CMD.
		trap - EXIT INT TERM
		exec {START_FD}>&- {USERS_FD}>&-
		exec "$@"
	fi
	local rc=0
	run_child "$@" || rc=$?
	exit "$rc"
}

# For --status/--stop: the cluster directories of this checkout that exist.
each_cluster() {
	local b
	while IFS= read -r b; do
		if [[ -f $b/pg/PG_VERSION ]]; then
			printf '%s\n' "$b"
		fi
	done < <(candidate_bases)
}

cmd_status() {
	local b pid found=0 running=0
	BINDIR=$(find_bindir)
	while IFS= read -r b; do
		found=1
		set_paths "$b"
		if pid=$(running_pid); then
			running=1
			PORT=$(running_port)
			echo "local PostgreSQL $(<"$DATA/PG_VERSION"): running (pid $pid) on 127.0.0.1:$PORT"
			echo "  DATABASE_URL=postgres://$DB_SUPERUSER@127.0.0.1:$PORT/$DB_NAME?sslmode=disable"
			if [[ -n $BINDIR ]] && ! "$BINDIR/pg_isready" -q -d "$(admin_conninfo)"; then
				echo "  not accepting connections yet"
			fi
			if [[ -e $MARKER ]]; then
				echo "  stops when the last with-postgres.sh using it exits"
			else
				echo "  kept running; stop it with: scripts/with-postgres.sh --stop"
			fi
		else
			echo "local PostgreSQL $(<"$DATA/PG_VERSION"): not running"
		fi
		echo "  data: $DATA"
		echo "  log:  $LOG"
	done < <(each_cluster)
	if ((!found)); then
		echo "local PostgreSQL: no cluster yet (it is created on first use)"
	fi
	# Like pg_ctl status: 0 when running, 3 when not.
	((running)) && return 0
	return 3
}

cmd_stop() {
	local b pid any=0
	BINDIR=$(find_bindir)
	while IFS= read -r b; do
		set_paths "$b"
		pid=$(running_pid) || continue
		any=1
		[[ -n $BINDIR ]] || die "cluster is running (pid $pid) but no pg_ctl was found"
		exec {START_FD}>>"$BASE/.pg-start" {USERS_FD}>>"$BASE/.pg-users"
		flock -w 120 "$START_FD" || die "timed out waiting for another with-postgres.sh"
		if ((EUID == 0)); then
			RUN_USER=$(stat -c %U -- "$DATA")
		fi
		PORT=$(running_port)
		log "stopping local PostgreSQL (pid $pid, port $PORT, data $DATA)"
		stop_cluster "$pid" || exit 1
		rm -f -- "$MARKER"
		exec {START_FD}>&- {USERS_FD}>&-
	done < <(each_cluster)
	if ((!any)); then
		log "local PostgreSQL is not running"
	fi
}

main() {
	case ${1:-} in
	"")
		usage >&2
		exit 2
		;;
	-h | --help)
		usage
		;;
	--status)
		cmd_status
		;;
	--stop)
		cmd_stop
		;;
	--)
		shift
		[[ $# -gt 0 ]] || {
			usage >&2
			exit 2
		}
		cmd_run "$@"
		;;
	-*)
		log "unknown option: $1"
		usage >&2
		exit 2
		;;
	*)
		cmd_run "$@"
		;;
	esac
}

main "$@"
