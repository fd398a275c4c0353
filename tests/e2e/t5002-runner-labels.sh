#!/bin/bash
# Jobs go only to runners that have every label they need.
. "$(dirname "$0")/test-lib.sh"

vend_up

test_expect_success 'a job labelled gpu waits while a runner without the label works' '
	id=$(vend run gpu -o json | jq .id) &&
	vend run echo -p msg=plain --wait >/dev/null &&
	sleep 1 &&
	test "$(run_field "$id" .state)" = queued &&
	test "$(run_field "$id" ".steps[0].state")" = queued
'

test_expect_success 'a runner with the label takes it' '
	vend_stop &&
	vend_up --labels gpu,linux &&
	wait_state "$id" succeeded &&
	vend logs "$id" --raw | grep -q trained
'

test_expect_success 'labels are part of the template as the API shows it' '
	vend template show gpu -o json | jq -e ".labels == [\"gpu\"]"
'

test_done
