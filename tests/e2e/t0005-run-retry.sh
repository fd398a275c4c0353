#!/bin/bash
# retry: {attempts: 3}: a step is tried at most three times, with backoff.
. "$(dirname "$0")/test-lib.sh"

vend_up

test_expect_success 'succeeds on the third attempt' '
	id=$(vend run retry -p succeed_on=3 -o json | jq .id) &&
	wait_state "$id" succeeded &&
	test "$(run_field "$id" ".steps[0].attempts")" = 3 &&
	test "$(vend logs "$id" --raw | grep -c "^attempt")" = 3 &&
	vend logs "$id" | grep -q "retrying in"
'

test_expect_success 'gives up after three attempts' '
	id=$(vend run retry -p succeed_on=9 -o json | jq .id) &&
	wait_state "$id" failed &&
	test "$(run_field "$id" ".steps[0].attempts")" = 3 &&
	test "$(vend logs "$id" --raw | grep -c "^attempt")" = 3 &&
	run_field "$id" .reason | grep -q "step flaky failed: exit code 1"
'

test_expect_success 'VEND_ATTEMPT counts 1, 2, 3' '
	vend logs "$id" --raw | grep "^attempt" >attempts &&
	printf "attempt 1\nattempt 2\nattempt 3\n" >want &&
	diff want attempts
'

test_expect_success 'a failed step stops the run: later steps never run' '
	id=$(vend run fail -p code=7 -o json | jq .id) &&
	wait_state "$id" failed &&
	run_json "$id" >run.json &&
	jq -e ".steps | map(.state) == [\"succeeded\", \"failed\", \"skipped\"]" run.json &&
	jq -e ".steps[1].exit_code == 7 and .steps[1].attempts == 1" run.json &&
	! vend logs "$id" | grep -q "must not run"
'

test_expect_success 'vend run --wait exits 1 for a failed run' '
	expect_exit 1 vend run fail --wait
'

test_done
