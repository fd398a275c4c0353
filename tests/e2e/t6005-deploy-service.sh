#!/bin/bash
# The shipped deploy-service example: a good version is promoted, a bad
# one is rolled back while stable keeps serving the old version throughout.
. "$(dirname "$0")/test-lib.sh"

S=$(free_port)
B=$(free_port)
C=$(free_port)

deploy() { # VERSION [vend run ARGS...]
	local v=$1
	shift
	vend run deploy-service -p version="$v" -p stable="127.0.0.1:$S" -p baseline="127.0.0.1:$B" \
		-p canary="127.0.0.1:$C" "$@" -o json | jq .id
}

# Records what stable answers, every 20 ms, until stopped.
watch_stable() {
	while :; do
		curl -s "http://127.0.0.1:$S/" || echo "(no answer)"
		sleep 0.02
	done >stable.log 2>&1 &
	WATCH=$!
	VEND_PIDS+=($WATCH)
	wait_for 10 test -s stable.log
}

# stop_watching: after one more answer, so that the answers span the whole
# rollout, however few a loaded machine lets the loop make.
answered_more_than() {
	test "$(wc -l <stable.log)" -gt "$1"
}

stop_watching() {
	local rc
	wait_for 10 answered_more_than "$(wc -l <stable.log)"
	rc=$?
	kill "$WATCH" && wait "$WATCH" 2>/dev/null
	return $rc
}

test_expect_success 'set up: three instances of version 1.0 as the README starts them, the example catalog' '
	for p in $S $B $C; do
		demo "$p" --version 1.0 || exit 1
	done &&
	vend_up --catalog "$TOP/examples"
'

test_expect_success 'a good version passes the analysis and is promoted to stable' '
	id=$(deploy 1.1) &&
	wait_state "$id" succeeded 90 &&
	test "$(curl -s http://127.0.0.1:$S/)" = 1.1 &&
	test "$(curl -s http://127.0.0.1:$B/)" = 1.0 &&
	run_json "$id" | jq -e ".analysis.verdict == \"pass\" and .analysis.probes.canary.requests == 200" &&
	say "promoted in $(run_json "$id" | jq -r "(.finished_at | sub(\"\\\\.[0-9]+Z\"; \"Z\") | fromdate) - (.created_at | sub(\"\\\\.[0-9]+Z\"; \"Z\") | fromdate)")s"
'

test_expect_success 'a bad version is rolled back; stable serves the old version throughout' '
	watch_stable &&
	id=$(deploy 1.2 -p error_rate=0.3) &&
	wait_state "$id" rolled_back 90 &&
	stop_watching &&
	test "$(curl -s http://127.0.0.1:$C/)" = 1.1 &&
	test "$(curl -s http://127.0.0.1:$S/)" = 1.1 &&
	say "stable answered $(wc -l <stable.log) times during the rollout" &&
	! grep -v "^1.1$" stable.log &&
	run_json "$id" >run.json &&
	jq -e ".analysis.verdict == \"fail\" and .analysis.metrics[0].verdict == \"fail\"" run.json &&
	jq -e "[.steps[] | .name + \":\" + .state] == [\"baseline:succeeded\", \"canary:succeeded\",
		\"canary-analysis:failed\", \"promote:skipped\", \"revert-canary:succeeded\"]" run.json &&
	run_field "$id" .reason | grep -q "errors: canary"
'

test_expect_success 'a slow version is rolled back on latency' '
	id=$(deploy 1.3 -p extra_latency_ms=50) &&
	wait_state "$id" rolled_back 90 &&
	run_json "$id" | jq -e ".analysis.metrics[1].name == \"latency\" and .analysis.metrics[1].verdict == \"fail\"" &&
	test "$(curl -s http://127.0.0.1:$C/)" = 1.1
'

test_done
