#!/bin/bash
# Stopping `vend up` loses no step: SIGTERM drains its runner (no new
# jobs; the running steps finish and report through the server, which
# serves them until then), then it exits; a second SIGTERM stops the
# steps at once and gives them back before the server stops (reason
# interrupted).
. "$(dirname "$0")/test-lib.sh"

step_running() {
	test "$(run_field "$1" .steps[0].state)" = running
}

test_expect_success 'SIGTERM: the running step finishes and reports before vend up exits' '
	vend_up --concurrency 1 --drain 30s &&
	marker=$(share_file a) &&
	a=$(vend run slow -p seconds=6 -p marker="$marker" -o json | jq .id) &&
	wait_for 20 step_running "$a" &&
	b=$(vend run echo -p msg=later -o json | jq .id) &&
	kill -TERM "$VEND_PID" &&
	exited "$VEND_PID" 20 &&
	wait "$VEND_PID" &&
	grep -q "draining: taking no more jobs; 1 running step has 30 s" "$TEST_DIR/server.log" &&
	grep -q "drained" "$TEST_DIR/server.log"
'

test_expect_success 'after a restart: the step ran once and succeeded, and the queued run runs' '
	vend_up --concurrency 1 &&
	run_json "$a" | jq -e ".steps[0] | .state == \"succeeded\" and .exit_code == 0 and .attempts == 1" &&
	wait_state "$a" succeeded &&
	wait_state "$b" succeeded &&
	test "$(wc -l <"$marker")" = 1
'

test_expect_success 'a second SIGTERM stops the running step at once' '
	vend_stop &&
	: >"$TEST_DIR/server.log" &&
	vend_up --concurrency 1 --drain 10m &&
	c=$(vend run slow -p seconds=60 -o json | jq .id) &&
	wait_for 20 step_running "$c" &&
	kill -TERM "$VEND_PID" &&
	wait_for 10 grep -q "draining" "$TEST_DIR/server.log" &&
	kill -TERM "$VEND_PID" &&
	exited "$VEND_PID" 10 &&
	grep -q "again; stopping the running steps" "$TEST_DIR/server.log"
'

test_expect_success 'the stopped step was given back as vend up stopped: the run failed, interrupted' '
	grep -q "job [0-9]*: interrupted: its runner stopped it" "$TEST_DIR/server.log" &&
	vend_up --concurrency 1 &&
	wait_state "$c" failed &&
	test "$(run_field "$c" .reason)" = interrupted
'

test_done
