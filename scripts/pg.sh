#!/bin/bash
# A throwaway PostgreSQL cluster for the tests (and for trying cluster mode
# by hand). Installs what it needs (Debian's postgresql, via deps.sh), then
# initdb into a fresh temporary directory as the `postgres` system user
# (PostgreSQL refuses to run as root), listening on a free port of
# 127.0.0.1 only, its unix socket in that directory, trust authentication
# for loopback and the socket only, fsync left on (the tests check
# durability). Stopped by the pid in its postmaster.pid.
#
#   dir=$(scripts/pg.sh start)     prints the cluster's directory
#   scripts/pg.sh url DIR          postgres://postgres@127.0.0.1:PORT/postgres
#   scripts/pg.sh psql DIR [ARGS]  psql on the cluster's postgres database
#   scripts/pg.sh crash DIR        immediate shutdown (a crash to its clients)
#   scripts/pg.sh restart DIR      starts it again on its port
#   scripts/pg.sh stop DIR         fast shutdown, waits, removes DIR
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

die() {
	echo "pg.sh: $*" >&2
	exit 1
}

bindir() {
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

# as_pg CMD...: runs CMD as the postgres user when we are root.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# launch DIR PORT: starts the cluster in DIR on PORT and waits until it
# accepts connections (after its crash recovery, if it crashed).
launch() {
	as_pg "$bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 start -o \
		"-c listen_addresses=127.0.0.1 -c port=$2 -c unix_socket_directories=$1 \
		 -c fsync=on -c max_connections=300 -c shared_buffers=64MB \
		 -c log_min_messages=warning -c log_min_error_statement=panic" \
		>>"$1/start.log" 2>&1
}

start() {
	bin=$(bindir) || {
		"$top/scripts/deps.sh" >&2 || die "cannot install postgresql"
		bin=$(bindir) || die "no PostgreSQL server binaries under /usr/lib/postgresql"
	}
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		die "no postgres system user (is the postgresql package installed?)"
	fi
	dir=$(mktemp -d /tmp/vend-pg.XXXXXX)
	chmod 0755 "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	as_pg "$bin/initdb" -D "$dir/data" -U postgres -E UTF8 --no-locale \
		--auth-local=trust --auth-host=trust >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; rm -rf "$dir"; die "initdb failed"; }
	# Only the socket and loopback, whatever initdb wrote.
	cat >"$dir/data/pg_hba.conf" <<-EOF
	local all all trust
	host all all 127.0.0.1/32 trust
	EOF
	[ "$(id -u)" = 0 ] && chown postgres: "$dir/data/pg_hba.conf"
	tries=0
	while :; do
		tries=$((tries + 1))
		port=$(( (($$ * 7919 + tries * 104729 + $(date +%N | sed 's/^0*//;s/^$/0/')) % 30000) + 20000 ))
		port_free "$port" || continue
		if launch "$dir" "$port"; then
			break
		fi
		[ "$tries" -ge 5 ] && { cat "$dir/server.log" >&2; rm -rf "$dir"; die "cannot start"; }
	done
	echo "$port" >"$dir/port"
	echo "$dir"
}

url() {
	[ -f "$1/port" ] || die "$1 is not a cluster made by pg.sh start"
	echo "postgres://postgres@127.0.0.1:$(cat "$1/port")/postgres"
}

stop() {
	dir=$1
	[ -f "$dir/port" ] || die "$dir is not a cluster made by pg.sh start"
	pidfile="$dir/data/postmaster.pid"
	if [ -f "$pidfile" ]; then
		pid=$(head -1 "$pidfile")
		# SIGINT: fast shutdown (ends sessions, checkpoints, exits).
		kill -INT "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -0 "$pid" 2>/dev/null && kill -QUIT "$pid" 2>/dev/null || true
	fi
	case "$dir" in
	/tmp/vend-pg.*) rm -rf "$dir" ;;
	esac
}

# crash DIR: an immediate shutdown, as a crash looks to its clients: every
# process exits at once, connections drop, nothing is checkpointed (the
# next start replays the WAL). The tests use it to take the database away
# under load.
crash() {
	[ -f "$1/port" ] || die "$1 is not a cluster made by pg.sh start"
	bin=$(bindir) || die "no PostgreSQL"
	as_pg "$bin/pg_ctl" -D "$1/data" -m immediate -w -t 60 stop >>"$1/start.log" 2>&1 ||
		die "cannot stop the cluster in $1"
}

# restart DIR: starts a stopped (or crashed) cluster again on its port.
restart() {
	[ -f "$1/port" ] || die "$1 is not a cluster made by pg.sh start"
	bin=$(bindir) || die "no PostgreSQL"
	launch "$1" "$(cat "$1/port")" || { tail -5 "$1/server.log" >&2; die "cannot restart the cluster in $1"; }
}

case "${1:-}" in
start) start ;;
crash) [ $# -eq 2 ] || die "usage: pg.sh crash DIR"; crash "$2" ;;
restart) [ $# -eq 2 ] || die "usage: pg.sh restart DIR"; restart "$2" ;;
url) [ $# -eq 2 ] || die "usage: pg.sh url DIR"; url "$2" ;;
psql)
	[ $# -ge 2 ] || die "usage: pg.sh psql DIR [ARGS...]"
	d=$2
	shift 2
	bin=$(bindir) || die "no PostgreSQL"
	"$bin/psql" -X -q -v ON_ERROR_STOP=1 "$(url "$d")" "$@" ;;
stop) [ $# -eq 2 ] || die "usage: pg.sh stop DIR"; stop "$2" ;;
*) die "usage: pg.sh start | url DIR | psql DIR [ARGS...] | crash DIR | restart DIR | stop DIR" ;;
esac
