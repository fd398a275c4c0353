#!/bin/bash
# A timeout kills the step's whole process tree, not only its shell.
. "$(dirname "$0")/test-lib.sh"

vend_up

test_expect_success 'the run fails with "timed out" after about 1s' '
	start=$(date +%s%N) &&
	id=$(vend run timeout -p pidfile="$TEST_DIR/pids" -o json | jq .id) &&
	wait_state "$id" failed 15 &&
	elapsed=$(( ($(date +%s%N) - start) / 1000000 )) &&
	say "failed after ${elapsed}ms" &&
	test "$elapsed" -lt 20000 &&
	run_field "$id" .reason | grep -q "step tree failed: timed out" &&
	test "$(run_field "$id" ".steps[0].error")" = "timed out"
'

test_expect_success 'every process of the tree is gone' '
	test "$(wc -l <"$TEST_DIR/pids")" = 3 &&
	for pid in $(cat "$TEST_DIR/pids"); do
		wait_for 5 sh -c "! kill -0 $pid 2>/dev/null" || exit 1
	done
'

test_expect_success 'the log says why' '
	vend logs "$id" | grep -q "started tree" &&
	vend logs "$id" | grep -q "timed out"
'

test_done
