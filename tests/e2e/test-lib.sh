#!/bin/bash
# The end-to-end test library (after git's t/test-lib.sh). A test script:
#
#	. "$(dirname "$0")/test-lib.sh"
#	vend_up                      # a real `vend up` on a free port, in a temp dir
#	test_expect_success 'hello runs' '
#		id=$(vend run hello -p name=world -o json | jq .id) &&
#		...
#	'
#	test_done
#
# Each script runs in a fresh temporary directory with VEND_DATA pointing
# at its server, so the CLI finds the server and the admin token there.
# Output is TAP. Servers are stopped by pid when the script exits.
#
# Steps run in a sandbox (docs/sandbox.md): they see nothing of the host
# but what is bound. $SHARE, a directory anyone may write, is bound into
# every step at the same path, so a test can hand steps paths in it
# (markers, logs, a fleet) and read what they wrote there. Steps write as
# another uid than the test's: a file a test makes for a step to change
# must be writable by others (share_file does that).
#
# With VEND_TEST_PG set to a PostgreSQL server's URL (scripts/pg.sh url;
# `make check` runs the suite a second time so), the script gets a fresh
# database there, created at the first vend_up and dropped at exit, and
# every vend_up uses it through VEND_DB. test_backend tells which store a
# script runs on; db_query runs SQL on it, whichever it is.

set -u
TEST_NAME=$(basename "$0" .sh)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${VEND_BIN:=$TOP/vend}"
E2E="$TOP/tests/e2e"
TEST_DIR=$(mktemp -d "/tmp/vend-$TEST_NAME.XXXXXX")
cd "$TEST_DIR" || exit 1
unset VEND_SERVER VEND_TOKEN VEND_DB
export VEND_DATA="$TEST_DIR/data"
SHARE="$TEST_DIR/share"
mkdir -m 0777 "$SHARE"
test_count=0
test_failed=0
VEND_PIDS=()
TEST_PG_DB=""

# test_backend NAME: whether the servers' store is NAME (sqlite, postgres).
test_backend() {
	if [ -n "${VEND_TEST_PG:-}" ]; then
		test "$1" = postgres
	else
		test "$1" = sqlite
	fi
}

# pg_url DB: VEND_TEST_PG with its database replaced by DB.
pg_url() {
	local base=${VEND_TEST_PG%%\?*} query=""
	case "$VEND_TEST_PG" in *\?*) query="?${VEND_TEST_PG#*\?}" ;; esac
	echo "${base%/*}/$1$query"
}

# pg_db: creates this script's database once and exports VEND_DB.
pg_db() {
	[ -n "$TEST_PG_DB" ] && return 0
	TEST_PG_DB="vend_e2e_$(echo "$TEST_NAME" | tr -c 'a-z0-9\n' _)_$$"
	psql -X -q -v ON_ERROR_STOP=1 "$(pg_url postgres)" \
		-c "CREATE DATABASE $TEST_PG_DB" >/dev/null || {
		say "cannot create database $TEST_PG_DB"
		TEST_PG_DB=""
		return 1
	}
	export VEND_DB="$(pg_url "$TEST_PG_DB")"
}

# db_query SQL: runs SQL on the store of the server (unaligned rows).
db_query() {
	if test_backend postgres; then
		psql -X -q -A -t -v ON_ERROR_STOP=1 "$VEND_DB" -c "$1"
	else
		sqlite3 "$VEND_DATA/vend.db" "$1"
	fi
}

vend() {
	"$VEND_BIN" "$@"
}

say() {
	echo "# $*"
}

# vend_up [ARGS...]: starts `vend up` with the test catalog (or --catalog
# given in ARGS) and waits until it listens.
vend_up() {
	vend_start up "$@"
}

# vend_server [ARGS...]: the same with `vend server` (no catalog unless given).
vend_server() {
	vend_start server "$@"
}

vend_start() {
	local cmd=$1 catalog="$E2E/catalog" arg
	shift
	[ "$cmd" = server ] && catalog=""
	for arg in "$@"; do
		[ "$arg" = "--catalog" ] || [ "$arg" = "--no-catalog" ] && catalog=""
	done
	if test_backend postgres; then
		pg_db || return 1
	fi
	rm -f "$VEND_DATA/server.url"
	"$VEND_BIN" "$cmd" --data "$VEND_DATA" --listen 127.0.0.1:0 --quiet --log-format text \
		--bind "$SHARE:$SHARE:rw" ${catalog:+--catalog "$catalog"} "$@" \
		>>"$TEST_DIR/server.log" 2>&1 &
	VEND_PID=$!
	VEND_PIDS+=("$VEND_PID")
	local i
	for i in $(seq 1 600); do
		[ -s "$VEND_DATA/server.url" ] && return 0
		if ! kill -0 "$VEND_PID" 2>/dev/null; then
			say "vend $cmd exited early:"
			sed 's/^/#   /' "$TEST_DIR/server.log" | tail -20
			return 1
		fi
		sleep 0.05
	done
	say "vend $cmd did not start in 30s"
	return 1
}

# vend_runner ARGS...: starts `vend runner` against the server in
# $VEND_DATA (with $SHARE bound, as the servers' runners have it); its log
# goes to $TEST_DIR/runner.log, its pid to $RUNNER_PID. Give it a token
# (--token-file FILE). It registers in the background: a run that needs
# its labels waits queued until it has.
vend_runner() {
	"$VEND_BIN" runner --server "$(cat "$VEND_DATA/server.url")" --log-format text \
		--bind "$SHARE:$SHARE:rw" "$@" >>"$TEST_DIR/runner.log" 2>&1 &
	RUNNER_PID=$!
	VEND_PIDS+=("$RUNNER_PID")
}

# vend_stop: SIGTERM and wait (a clean shutdown).
vend_stop() {
	kill -TERM "$VEND_PID" 2>/dev/null
	wait "$VEND_PID" 2>/dev/null
	return 0
}

# vend_kill9: the crash we promise to survive.
vend_kill9() {
	kill -KILL "$VEND_PID" 2>/dev/null
	wait "$VEND_PID" 2>/dev/null
	return 0
}

# share_file NAME: makes an empty file in $SHARE that steps may write;
# prints its path.
share_file() {
	: >"$SHARE/$1" && chmod 0666 "$SHARE/$1" && echo "$SHARE/$1"
}

# run_json ID: the run as JSON.
run_json() {
	vend show "$1" -o json
}

# run_field ID JQ: one field of a run.
run_field() {
	vend show "$1" -o json | jq -r "$2"
}

# wait_state ID STATE [SECONDS]: waits until the run is in STATE.
wait_state() {
	local id=$1 want=$2 secs=${3:-20} i state
	for i in $(seq 1 $((secs * 20))); do
		state=$(run_field "$id" .state 2>/dev/null)
		[ "$state" = "$want" ] && return 0
		sleep 0.05
	done
	say "run $id is $state, not $want, after ${secs}s"
	return 1
}

# step_is ID INDEX STATE: whether step INDEX of the run is in STATE.
step_is() {
	test "$(run_field "$1" ".steps[$2].state")" = "$3"
}

# run_finished ID: whether the run is in a terminal state.
run_finished() {
	case "$(run_field "$1" .state)" in
	succeeded | failed | rolled_back | rollback_failed | rejected | expired | canceled) return 0 ;;
	*) return 1 ;;
	esac
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds.
wait_for() {
	local secs=$1 i
	shift
	for i in $(seq 1 $((secs * 20))); do
		"$@" && return 0
		sleep 0.05
	done
	say "timed out after ${secs}s waiting for: $*"
	return 1
}

# exited PID SECS: the process PID (a child of this script) ends within
# SECS seconds.
exited() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	say "process $1 still runs after $2s"
	return 1
}

# expect_exit CODE COMMAND...: runs COMMAND; its status must be CODE.
expect_exit() {
	local want=$1 got
	shift
	"$@"
	got=$?
	if [ "$got" != "$want" ]; then
		say "exit status $got, expected $want: $*"
		return 1
	fi
	return 0
}

# free_port: a TCP port free on loopback right now.
free_port() {
	python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])" 2>/dev/null ||
		echo $((20000 + RANDOM % 20000))
}

# serve_py SCRIPT PORT: runs a Python HTTP server on 127.0.0.1:PORT,
# stopped at exit; returns once it accepts connections.
serve_py() {
	python3 "$1" "$2" 2>>receiver.err &
	VEND_PIDS+=($!)
	wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $2))" 2>/dev/null
}

# start_hook_receiver: a webhook receiver (hook-receiver.py) on a free
# port, in $PORT; each request lands in hooks/ as a JSON record.
start_hook_receiver() {
	PORT=$(free_port)
	mkdir -p hooks
	serve_py "$E2E/hook-receiver.py" "$PORT"
}

# demo PORT ARGS...: a `vend demo-service` on 127.0.0.1:PORT, stopped at exit.
demo() {
	local port=$1
	shift
	"$VEND_BIN" demo-service --listen "127.0.0.1:$port" --pid-file "$TEST_DIR/demo-$port.pid" "$@" \
		2>>"$TEST_DIR/demo.log" &
	VEND_PIDS+=($!)
	wait_for 5 curl -sf "http://127.0.0.1:$port/healthz" >/dev/null
}

# write_template DIR NAME: writes stdin as DIR/NAME.yaml (a catalog helper).
write_file() {
	mkdir -p "$(dirname "$1")"
	cat >"$1"
}

# test_skip DESC WHY: a test that does not apply here ("ok N # SKIP").
test_skip() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1 # SKIP $2"
}

# test_body_ BODY: BODY in a function of its own, so that a `return 1` in
# it (leaving a loop early) fails the test; eval'd straight inside
# test_expect_success it returned from that, and the test vanished without
# an "ok" or a "not ok", its failure uncounted. Variables it sets stay
# global, for the tests after it.
test_body_() {
	eval "$1"
}

test_expect_success() {
	local desc=$1 body=$2 out
	test_count=$((test_count + 1))
	out="$TEST_DIR/test-$test_count.out"
	if test_body_ "$body" >"$out" 2>&1; then
		echo "ok $test_count - $desc"
	else
		echo "not ok $test_count - $desc"
		sed 's/^/#   /' "$out" | tail -40
		test_failed=$((test_failed + 1))
	fi
}

# our_child PID: PID is still a child of this script. A pid that was
# reaped (vend_stop, vend_kill9) may since belong to any process of the
# machine, another suite's server among them: cleanup must not kill it.
our_child() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) } # past "pid (comm) ", whatever comm holds
	set -- $stat      # state ppid ...
	[ "$2" = "$$" ]
}

cleanup() {
	local pid
	for pid in "${VEND_PIDS[@]}"; do
		our_child "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -n "$TEST_PG_DB" ]; then
		psql -X -q "$(pg_url postgres)" \
			-c "DROP DATABASE IF EXISTS $TEST_PG_DB WITH (FORCE)" >/dev/null 2>&1
	fi
	if [ "$test_failed" = 0 ]; then
		rm -rf "$TEST_DIR"
	else
		echo "# kept $TEST_DIR (server.log there)"
		tail -30 "$TEST_DIR/server.log" 2>/dev/null | sed 's/^/#   server: /'
	fi
}
trap cleanup EXIT

test_done() {
	echo "1..$test_count"
	[ "$test_failed" = 0 ]
}
