#!/bin/bash
# Cancel: a running step's process group is stopped; later steps never run.
. "$(dirname "$0")/test-lib.sh"

vend_up
# A sleep no other test (nor this one's other backend pass) runs at once.
SECS=$((1000 + $$ % 100000))

test_expect_success 'cancel a running step' '
	id=$(vend run slow -p seconds=$SECS -p marker="$SHARE/m" -o json | jq .id) &&
	wait_for 10 grep -q start "$SHARE/m" &&
	wait_state "$id" running &&
	start=$(date +%s%N) &&
	vend cancel "$id" >out &&
	grep -q canceled out &&
	test "$(run_field "$id" .state)" = canceled
'

test_expect_success 'the step stops promptly and is marked canceled' '
	wait_for 10 step_is "$id" 0 canceled &&
	elapsed=$(( ($(date +%s%N) - start) / 1000000 )) &&
	say "step stopped ${elapsed}ms after the cancel" &&
	test "$(run_field "$id" .steps[1].state)" = canceled &&
	! vend logs "$id" | grep -q "^\[sleep\] done"
'

test_expect_success 'no sleep of the step is left' '
	! pgrep -f "sleep $SECS\$" >/dev/null
'

test_expect_success 'cancelling a finished run is a conflict (exit 1)' '
	expect_exit 1 vend cancel "$id" 2>err &&
	grep -q "already canceled" err
'

test_expect_success 'cancel a queued run before it starts' '
	a=$(vend run slow -p seconds=300 -o json | jq .id) &&
	vend cancel "$a" >/dev/null &&
	test "$(run_field "$a" .state)" = canceled
'

test_done
