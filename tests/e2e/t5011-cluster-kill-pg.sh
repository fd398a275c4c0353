#!/bin/bash
# Two servers and three runners on one PostgreSQL database (issue 5, 5a):
# 200 runs whose step appends its run id to a bound file; half way, one
# server and one runner die by SIGKILL. Every run still ends, and no step's
# side effect happens twice. PostgreSQL only.
. "$(dirname "$0")/test-lib.sh"

if ! test_backend postgres; then
	echo "1..0 # SKIP PostgreSQL only (make check runs it as t5011-cluster-kill-pg@pg)"
	exit 0
fi

. "$E2E/lib/cluster.sh"
N=${VEND_CLUSTER_RUNS:-200}
append_template 0.05

test_expect_success 'two servers on one database, three runners' '
	VEND_DATA=$A vend_server --catalog "$TEST_DIR/catalog" --lease 2s &&
	A_PID=$VEND_PID &&
	VEND_DATA=$B vend_server --lease 2s &&
	B_PID=$VEND_PID &&
	pool_runner r1 "$A" 4 && R1=$RUNNER_PID &&
	pool_runner r2 "$B" 4 && R2=$RUNNER_PID &&
	pool_runner r3 "$B" 4 && R3=$RUNNER_PID
'

test_expect_success "$N runs; SIGKILL of server A and runner r1 half way" '
	submit va $((N / 4)) && submit vb $((N / 4)) &&
	kill -KILL "$A_PID" "$R1" && wait "$A_PID" "$R1" 2>/dev/null;
	submit vb $((N / 2)) &&
	test "${#ids[@]}" = "$N"
'

test_expect_success 'every run ends; none ran its step twice' '
	check_appended &&
	! grep -v -e "runner lost" -e "interrupted" failed
'

[ -f "$TEST_DIR/figures" ] && cat "$TEST_DIR/figures"

test_done
