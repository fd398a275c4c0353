#!/bin/bash
# kill -9 of vend up while a step runs: no acknowledged run is lost; a
# non-idempotent step fails the run with reason "interrupted"; an
# idempotent one runs again and the run completes.
. "$(dirname "$0")/test-lib.sh"

# Two slots: the slow runs take both, so a third run waits queued.
vend_up --concurrency 2

test_expect_success 'start a plain and an idempotent slow run, and queue one more' '
	plain=$(vend run slow -p seconds=60 -p marker="$SHARE/plain" -o json | jq .id) &&
	idem=$(vend run slow-idempotent -p seconds=60 -p marker="$SHARE/idem" -o json | jq .id) &&
	wait_for 10 grep -q start "$SHARE/plain" &&
	wait_for 10 grep -q start "$SHARE/idem" &&
	queued=$(vend run echo -p msg=acknowledged -o json | jq .id) &&
	test "$(run_field "$queued" .state)" = queued
'

test_expect_success 'kill -9 while the steps run, then start again' '
	vend_kill9 &&
	vend_up --concurrency 2
'

test_expect_success 'the plain run failed with reason interrupted' '
	wait_state "$plain" failed &&
	test "$(run_field "$plain" .reason)" = interrupted &&
	test "$(wc -l <"$SHARE/plain")" = 1
'

test_expect_success 'the idempotent step ran again and the run succeeded' '
	wait_state "$idem" succeeded &&
	test "$(wc -l <"$SHARE/idem")" = 2 &&
	test "$(run_field "$idem" ".steps[0].attempts")" = 2 &&
	vend logs "$idem" | grep -q "it is idempotent, so it runs again"
'

test_expect_success 'the queued run was kept and runs to success' '
	wait_state "$queued" succeeded &&
	vend logs "$queued" --raw | grep -q "^acknowledged$" &&
	test "$(vend runs -o json | jq ".runs | length")" = 3
'

test_expect_success 'a run acknowledged just before the crash is not lost' '
	id=$(vend run echo -p msg=last -o json | jq .id) &&
	vend_kill9 &&
	vend_up --concurrency 2 &&
	wait_for 20 run_finished "$id" &&
	state=$(run_field "$id" .state) &&
	reason=$(run_field "$id" .reason) &&
	say "run $id: $state ($reason)" &&
	{ test "$state" = succeeded || test "$reason" = interrupted; }
'

test_done
