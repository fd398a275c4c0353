#!/bin/bash
# Stopping `vend runner` loses no run: SIGTERM drains it (no new jobs; the
# running steps finish and report), then it exits; a second SIGTERM, or
# the end of --drain, stops what still runs at once and gives it back to
# the server, which resolves it then (not a lease later).
. "$(dirname "$0")/test-lib.sh"

vend_start server --catalog "$E2E/catalog" || exit 1
vend token create drainer --role runner >token 2>/dev/null

# runner ARGS...: a one-step-at-a-time runner without a sandbox.
runner() {
	vend_runner --name drainer --token-file "$TEST_DIR/token" --sandbox none \
		--work "$TEST_DIR/work" --concurrency 1 "$@"
}

step_running() {
	test "$(run_field "$1" .steps[0].state)" = running
}

test_expect_success 'SIGTERM: the running step finishes and reports; no new job is taken' '
	runner --drain 30s &&
	a=$(vend run slow -p seconds=6 -o json | jq .id) &&
	wait_for 20 step_running "$a" &&
	b=$(vend run echo -p msg=later -o json | jq .id) &&
	kill -TERM "$RUNNER_PID" &&
	exited "$RUNNER_PID" 20 &&
	wait "$RUNNER_PID" &&
	run_json "$a" | jq -e ".steps[0] | .state == \"succeeded\" and .exit_code == 0" &&
	run_json "$a" | jq -e ".state == \"running\" and .steps[1].state == \"queued\"" &&
	run_json "$b" | jq -e ".state == \"queued\"" &&
	grep -q "draining: taking no more jobs" "$TEST_DIR/runner.log" &&
	grep -q "drained" "$TEST_DIR/runner.log"
'

test_expect_success 'the next runner takes what waited: nothing was lost' '
	runner &&
	wait_state "$a" succeeded &&
	wait_state "$b" succeeded &&
	test "$(run_field "$a" .steps[0].attempts)" = 1
'

test_expect_success 'a second SIGTERM stops the running step at once' '
	kill -TERM "$RUNNER_PID" && wait "$RUNNER_PID" &&
	: >"$TEST_DIR/runner.log" &&
	runner --drain 10m &&
	c=$(vend run slow -p seconds=60 -o json | jq .id) &&
	wait_for 20 step_running "$c" &&
	kill -TERM "$RUNNER_PID" &&
	wait_for 10 grep -q "draining" "$TEST_DIR/runner.log" &&
	kill -TERM "$RUNNER_PID" &&
	exited "$RUNNER_PID" 10 &&
	grep -q "again; stopping the running steps" "$TEST_DIR/runner.log"
'

# The server's lease is 15 s: a run resolved within 5 s was released by
# the runner as it stopped the step, not found lapsed.
test_expect_success 'the stopped step is given back: its run fails at once, interrupted' '
	wait_for 5 run_finished "$c" &&
	run_json "$c" | jq -e ".state == \"failed\" and .reason == \"interrupted\"" &&
	vend logs "$c" | grep -q "interrupted during step sleep, which is not idempotent"
'

test_expect_success 'the end of --drain stops what still runs, and gives it back' '
	: >"$TEST_DIR/runner.log" &&
	runner --drain 1s &&
	d=$(vend run slow-idempotent -p seconds=60 -p marker="$(share_file d)" -o json | jq .id) &&
	wait_for 20 step_running "$d" &&
	kill -TERM "$RUNNER_PID" &&
	exited "$RUNNER_PID" 10 &&
	grep -q "the drain time is up; stopping what still runs" "$TEST_DIR/runner.log" &&
	wait_for 5 eval "test \"\$(run_field $d .steps[0].state)\" = queued" &&
	vend logs "$d" | grep -q "interrupted during step sleep (attempt 1); it is idempotent" &&
	vend cancel "$d" >/dev/null
'

test_done
