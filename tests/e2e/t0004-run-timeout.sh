#!/bin/bash
# A timeout kills the step's whole process tree, not only its shell.
. "$(dirname "$0")/test-lib.sh"

vend_up

test_expect_success 'the run fails with "timed out" after about 1s' '
	start=$(date +%s%N) &&
	id=$(vend run timeout -p pidfile="$SHARE/pids" -p seconds=3004 -o json | jq .id) &&
	wait_state "$id" failed 15 &&
	elapsed=$(( ($(date +%s%N) - start) / 1000000 )) &&
	say "failed after ${elapsed}ms" &&
	test "$elapsed" -lt 20000 &&
	run_field "$id" .reason | grep -q "step tree failed: timed out" &&
	test "$(run_field "$id" ".steps[0].error")" = "timed out"
'

test_expect_success 'every process of the tree is gone' '
	test "$(wc -l <"$SHARE/pids")" = 3 &&
	wait_for 5 sh -c "! pgrep -f \"^sleep 3004\" >/dev/null"
'

test_expect_success 'the log says why' '
	vend logs "$id" | grep -q "started tree" &&
	vend logs "$id" | grep -q "timed out"
'

test_done
