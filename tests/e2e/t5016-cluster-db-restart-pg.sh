#!/bin/bash
# The database is one of the processes whose loss must lose no run (issue
# 5). Two servers and two runners on a PostgreSQL cluster of this script's
# own, which crashes while runs flow (an immediate shutdown: every
# connection drops, nothing is checkpointed, the next start replays the
# WAL) and starts again a few seconds later. Servers and runners keep
# running through it; a request during the outage is refused with 503 and
# says why; every run that was acknowledged ends, its step at most once;
# afterwards requests succeed at once, and a run requested on one server is
# taken by a runner long-polling the other (the wake-ups listen again).
# PostgreSQL only.
. "$(dirname "$0")/test-lib.sh"

if ! test_backend postgres; then
	echo "1..0 # SKIP PostgreSQL only (make check runs it as t5016-cluster-db-restart-pg@pg)"
	exit 0
fi

. "$E2E/lib/cluster.sh"
PG=""
trap 'cleanup; [ -n "$PG" ] && "$TOP/scripts/pg.sh" stop "$PG"' EXIT
append_template 0.3

# several requests at once, so that each server pools several connections
pool_up() {
	local pids=() i
	for i in 1 2 3 4 5 6; do
		va runs >/dev/null & pids+=($!)
		vb runs >/dev/null & pids+=($!)
	done
	wait "${pids[@]}"
}

alive() {
	kill -0 "$A_PID" "$B_PID" "$R1" "$R2"
}

test_expect_success 'a PostgreSQL cluster of its own; two servers, two runners' '
	PG=$("$TOP/scripts/pg.sh" start) &&
	VEND_TEST_PG=$("$TOP/scripts/pg.sh" url "$PG") &&
	VEND_DATA=$A vend_server --catalog "$TEST_DIR/catalog" &&
	A_PID=$VEND_PID &&
	VEND_DATA=$B vend_server &&
	B_PID=$VEND_PID &&
	pool_runner r1 "$A" 2 && R1=$RUNNER_PID &&
	pool_runner r2 "$B" 2 && R2=$RUNNER_PID &&
	submit va 10 && submit vb 10
'

test_expect_success 'the database crashes with steps running: requests get 503, nothing exits' '
	"$TOP/scripts/pg.sh" crash "$PG" &&
	! va run append -p file="$OUT" >out 2>err &&
	cat err &&
	grep "the database is unavailable: .*Connection refused; try again once it is back" err &&
	! vb runs >out 2>err &&
	grep "the database is unavailable" err &&
	curl -s -D headers -o /dev/null -H "Authorization: Bearer $(cat "$A/admin.token")" \
		"$(cat "$A/server.url")/api/v1/runs" &&
	grep -i "^HTTP/1.1 503" headers &&
	grep -i "^Retry-After: 2" headers &&
	test "$(curl -s -o ready -w "%{http_code}" "$(cat "$B/server.url")/readyz")" = 503 &&
	grep "the database is unavailable" ready &&
	sleep 3 &&
	alive
'

test_expect_success 'it starts again: the first requests succeed on both servers' '
	"$TOP/scripts/pg.sh" restart "$PG" &&
	for i in 1 2 3 4 5 6; do
		va runs >/dev/null && vb runs >/dev/null || return 1
	done &&
	submit va 10 && submit vb 10 &&
	alive
'

test_expect_success 'a quick restart while B is idle: the next requests succeed' '
	kill -TERM "$R2" && wait "$R2" 2>/dev/null;
	pool_up &&
	"$TOP/scripts/pg.sh" crash "$PG" &&
	"$TOP/scripts/pg.sh" restart "$PG" &&
	for i in 1 2 3 4 5 6; do
		vb runs >/dev/null && va runs >/dev/null || return 1
	done &&
	submit va 5 && submit vb 5
'

test_expect_success 'every acknowledged run ends, none ran its step twice, none failed' '
	check_appended &&
	cat failed &&
	test ! -s failed
'

test_expect_success 'wake-ups listen again: a run requested on B is taken at once by a runner on A' '
	start=$(date +%s%N) &&
	id=$(vb run append -p file="$OUT" -o json | jq .id) &&
	VEND_DATA=$A wait_for 10 run_finished "$id" &&
	ms=$(( ($(date +%s%N) - start) / 1000000 )) &&
	say "run $id requested on B, run by r1 on A, ended after $ms ms" &&
	test "$(VEND_DATA=$A run_field "$id" .state)" = succeeded &&
	test "$ms" -lt 5000
'

[ -f "$TEST_DIR/figures" ] && cat "$TEST_DIR/figures"

test_done
