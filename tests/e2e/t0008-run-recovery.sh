#!/bin/bash
# kill -9 of vend up while a step runs: no acknowledged run is lost; a
# non-idempotent step fails the run with reason "interrupted"; an
# idempotent one runs again and the run completes.
. "$(dirname "$0")/test-lib.sh"

vend_up

test_expect_success 'start a plain and an idempotent slow run' '
	plain=$(vend run slow -p seconds=60 -p marker="$TEST_DIR/plain" -o json | jq .id) &&
	idem=$(vend run slow-idempotent -p seconds=60 -p marker="$TEST_DIR/idem" -o json | jq .id) &&
	queued=$(vend run echo -p msg=acknowledged -o json | jq .id) &&
	wait_for 10 grep -q start "$TEST_DIR/plain" &&
	wait_for 10 grep -q start "$TEST_DIR/idem"
'

test_expect_success 'kill -9 while the steps run, then start again' '
	vend_kill9 &&
	vend_up
'

test_expect_success 'the plain run failed with reason interrupted' '
	wait_state "$plain" failed &&
	test "$(run_field "$plain" .reason)" = interrupted &&
	test "$(wc -l <"$TEST_DIR/plain")" = 1
'

test_expect_success 'the idempotent step ran again and the run succeeded' '
	wait_state "$idem" succeeded &&
	test "$(wc -l <"$TEST_DIR/idem")" = 2 &&
	test "$(run_field "$idem" ".steps[0].attempts")" = 2 &&
	vend logs "$idem" | grep -q "it is idempotent, so it runs again"
'

test_expect_success 'every acknowledged run is there and finishes' '
	wait_state "$queued" succeeded &&
	test "$(vend runs -o json | jq ".runs | length")" = 3
'

test_expect_success 'a run acknowledged just before the crash is not lost' '
	id=$(vend run echo -p msg=last -o json | jq .id) &&
	vend_kill9 &&
	vend_up &&
	wait_state "$id" succeeded
'

test_done
