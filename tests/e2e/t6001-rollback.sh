#!/bin/bash
# Rollback: a step after the first fails, the rollback steps run; on
# request for a finished run; and when the rollback itself fails.
. "$(dirname "$0")/test-lib.sh"

vend_up
L=$(share_file log)

test_expect_success 'a failure after the first step rolls the run back' '
	id=$(vend run release -p fail_at=2 -p log="$L" -o json | jq .id) &&
	wait_state "$id" rolled_back &&
	printf "one\ntwo\nrevert %s\n" "$id" | diff - "$L" &&
	run_field "$id" .reason | grep -q "step two failed: exit code 1; rolling back" &&
	run_json "$id" | jq -e "[.steps[] | .state] == [\"succeeded\", \"failed\", \"skipped\", \"succeeded\"]" &&
	vend logs "$id" | grep -q "run rolled_back" &&
	run_json "$id" | jq -e ".rollback.state == \"rolled_back\" and .rollback.seconds >= 0 and
		.rollback.seconds < 60 and (.rollback.reason | test(\"step two failed\"))" &&
	vend show "$id" | grep -q "rollback:    rolled_back .*s after it began at "
'

test_expect_success 'a failure of the first step fails the run: nothing to roll back' '
	: >"$L" &&
	id=$(vend run release -p fail_at=1 -p log="$L" -o json | jq .id) &&
	wait_state "$id" failed &&
	! grep -q revert "$L" &&
	run_json "$id" | jq -e ".rollback == null"
'

test_expect_success 'a failing rollback ends rollback_failed' '
	: >"$L" &&
	id=$(vend run release -p fail_at=2 -p rollback_fails=true -p log="$L" -o json | jq .id) &&
	wait_state "$id" rollback_failed &&
	run_field "$id" .reason | grep -q "rollback step revert failed"
'

test_expect_success 'vend rollback on a succeeded run' '
	: >"$L" &&
	id=$(vend run release -p log="$L" --wait -o json | jq .id) &&
	vend rollback "$id" >out &&
	wait_state "$id" rolled_back &&
	grep -q "revert $id" "$L" &&
	vend show "$id" -o json | jq -e ".steps[3].state == \"succeeded\""
'

test_expect_success 'only a finished run can be rolled back on request; permissions.rollback holds' '
	OP=$(vend token create opal --role operator 2>/dev/null) &&
	SRE=$(vend token create stan --role operator --role sre 2>/dev/null) &&
	id=$(VEND_TOKEN=$OP vend run release -p log="$L" --wait -o json | jq .id) &&
	expect_exit 1 env VEND_TOKEN=$OP "$VEND_BIN" rollback "$id" 2>err &&
	grep -q "permissions.rollback" err &&
	vend rollback "$id" >/dev/null &&
	wait_state "$id" rolled_back &&
	expect_exit 1 vend rollback "$id" 2>err &&
	grep -q "only a run that succeeded or failed" err
'

test_expect_success 'a template without rollback steps says so' '
	id=$(vend run echo -p msg=x --wait -o json | jq .id) &&
	expect_exit 2 vend rollback "$id" 2>err &&
	grep -q "has no rollback steps" err
'

test_done
