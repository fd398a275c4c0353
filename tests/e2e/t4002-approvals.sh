#!/bin/bash
# Four-eyes approvals: protected environments, approval steps, N-of-M,
# rejection, expiry, self-approval, freezes and break-glass.
. "$(dirname "$0")/test-lib.sh"

vend_up
OP=$(vend token create olivia --role operator --team payments 2>/dev/null)
SRE1=$(vend token create sam --role approver --role sre --team payments 2>/dev/null)
SRE2=$(vend token create sue --role approver --role sre 2>/dev/null)
SEC=$(vend token create sid --role approver --role security 2>/dev/null)
SELF=$(vend token create pat --role operator --role approver --role sre 2>/dev/null)
as() { local t=$1; shift; VEND_TOKEN=$t "$VEND_BIN" "$@"; }

test_expect_success 'a prod deploy by an operator waits for an approver' '
	id=$(as "$OP" run deploy -p environment=prod -o json | jq .id) &&
	wait_state "$id" awaiting_approval &&
	run_json "$id" | jq -e ".approvals[0] | .source == \"environment\" and .state == \"pending\" and .approvers == [\"role:sre\"] and .count == 1" &&
	! run_json "$id" | jq -e ".steps[0].state == \"succeeded\""
'

test_expect_success 'the operator cannot approve it (403, exit 1)' '
	expect_exit 1 as "$OP" approve "$id" 2>err &&
	grep -q "may not approve" err
'

test_expect_success 'it is in the approver inbox, not in the operator one' '
	as "$SRE1" approvals -o json | jq -e "[.approvals[].run.id] | index($id) != null" &&
	as "$OP" approvals -o json | jq -e ".approvals == []" &&
	as "$SRE1" approvals | grep -q "deploy"
'

test_expect_success 'an approver approves; the run goes on and succeeds' '
	as "$SRE1" approve "$id" --comment "looks good" >/dev/null &&
	wait_state "$id" succeeded &&
	run_json "$id" | jq -e ".approvals[0] | .state == \"approved\" and .votes[0].by == \"sam\" and .votes[0].comment == \"looks good\""
'

test_expect_success 'vend show tells why at every point' '
	vend show "$id" >show &&
	grep -q "environment prod is protected" show &&
	grep -q "sam approved at .*: looks good" show &&
	vend logs "$id" | grep -q "approved by sam: looks good"
'

test_expect_success 'the requester never counts, even as an approver' '
	id=$(as "$SELF" run deploy -p environment=prod -p service=s1 -o json | jq .id) &&
	expect_exit 1 as "$SELF" approve "$id" 2>err &&
	grep -q "requester" err &&
	as "$SRE2" approve "$id" >/dev/null &&
	wait_state "$id" succeeded
'

test_expect_success 'unless the environment allows self-approval' '
	id=$(as "$SELF" run deploy -p environment=selfok -o json | jq .id) &&
	as "$SELF" approve "$id" >/dev/null &&
	wait_state "$id" succeeded
'

test_expect_success '2 of 2 across groups: one approval is not enough; one person counts once' '
	id=$(as "$OP" run deploy -p environment=twokeys -o json | jq .id) &&
	as "$SRE1" approve "$id" >/dev/null &&
	as "$SRE1" approve "$id" >/dev/null &&
	wait_state "$id" awaiting_approval &&
	run_json "$id" | jq -e ".approvals[0].approved == 1" &&
	as "$SEC" approve "$id" >/dev/null &&
	wait_state "$id" succeeded &&
	run_json "$id" | jq -e "[.approvals[0].votes[].by] | sort == [\"sam\", \"sid\"]"
'

test_expect_success 'one rejection ends the run as rejected' '
	id=$(as "$OP" run deploy -p environment=prod -p service=s2 -o json | jq .id) &&
	as "$SRE2" reject "$id" --comment "not today" >/dev/null &&
	test "$(run_field "$id" .state)" = rejected &&
	test "$(run_field "$id" .reason)" = "rejected by sue: not today" &&
	test "$(run_field "$id" ".steps[0].state")" = skipped
'

test_expect_success 'voting on a finished run is a conflict' '
	expect_exit 1 as "$SRE1" approve "$id" 2>err &&
	grep -q "not awaiting approval" err
'

test_expect_success 'an approval step mid-pipeline, approved' '
	id=$(as "$OP" run gated -o json | jq .id) &&
	wait_state "$id" awaiting_approval &&
	run_json "$id" | jq -e "[.steps[].state] == [\"succeeded\", \"waiting\", \"pending\"]" &&
	run_json "$id" | jq -e ".approvals[0].message == \"promote run $id by olivia?\"" &&
	as "$SRE1" approve "$id" >/dev/null &&
	wait_state "$id" succeeded &&
	run_json "$id" | jq -e "[.steps[].state] == [\"succeeded\", \"succeeded\", \"succeeded\"]"
'

test_expect_success 'an approval step whose when: is false is skipped' '
	id=$(as "$OP" run gated -p skip_gate=true --wait -o json | jq .id) &&
	run_json "$id" | jq -e "[.steps[].state] == [\"succeeded\", \"skipped\", \"succeeded\"]"
'

test_expect_success 'expiry is enforced by the server timer, not by the next request' '
	id=$(as "$OP" run gated -o json | jq .id) &&
	wait_state "$id" awaiting_approval &&
	wait_state "$id" expired 25 &&
	run_field "$id" .reason | grep -q "approval expired" &&
	test "$(run_field "$id" ".approvals[0].state")" = expired
'

test_expect_success 'a run into a frozen environment is rejected with the reason' '
	expect_exit 1 as "$OP" run deploy -p environment=frozen 2>/dev/null >out &&
	id=$(vend runs -o json | jq ".runs[0].id") &&
	test "$(run_field "$id" .state)" = rejected &&
	run_field "$id" .reason | grep -q "environment frozen is frozen until 2099-01-01T00:00:00.000Z: test freeze"
'

test_expect_success 'a recurring (cron) freeze window refuses runs too' '
	expect_exit 1 as "$OP" run deploy -p environment=cronfrozen 2>/dev/null >out &&
	id=$(vend runs -o json | jq ".runs[0].id") &&
	run_field "$id" .reason | grep -q "environment cronfrozen is frozen until .*: frozen by cron"
'

test_expect_success 'break-glass is for admins, needs a reason' '
	expect_exit 1 as "$OP" run deploy -p environment=frozen --break-glass "fire" 2>err &&
	grep -q "admins" err &&
	expect_exit 2 vend run deploy -p environment=frozen --break-glass "" 2>err
'

test_expect_success 'break-glass passes freezes and approval gates, and is flagged' '
	id=$(vend run deploy -p environment=frozen --break-glass "prod is down, hotfix" --wait -o json | jq .id) &&
	test "$(run_field "$id" .state)" = succeeded &&
	run_json "$id" | jq -e ".break_glass.reason == \"prod is down, hotfix\" and .break_glass.by == \"admin\"" &&
	run_json "$id" | jq -e ".decisions[0].effect == \"freeze\" and .decisions[0].bypassed == true" &&
	id=$(vend run deploy -p environment=prod -p service=bg --break-glass "incident 42" --wait -o json | jq .id) &&
	run_json "$id" | jq -e ".state == \"succeeded\" and .approvals[0].state == \"bypassed\"" &&
	vend logs "$id" | grep -q "BREAK-GLASS by admin: incident 42" &&
	vend show "$id" | grep -q "BREAK-GLASS"
'

test_expect_success 'a dry run shows the approvals, the lock and the outcome, and creates nothing' '
	before=$(vend runs -o json | jq ".runs | length") &&
	as "$OP" run deploy -p environment=prod -p service=dry --dry-run -o json >dry.json &&
	jq -e ".outcome == \"awaiting_approval\" and .approvals[0].approvers == [\"role:sre\"]" dry.json &&
	jq -e ".lock == \"dry/prod\" and .lock_status.waiting == 0" dry.json &&
	as "$OP" run deploy -p environment=frozen --dry-run -o json >dry.json &&
	jq -e ".outcome == \"rejected\" and (.reason | test(\"frozen\"))" dry.json &&
	test "$(vend runs -o json | jq ".runs | length")" = "$before"
'

test_done
