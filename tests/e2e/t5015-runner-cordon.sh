#!/bin/bash
# Cordoning a runner, as kubectl cordons a node: `vend runners cordon NAME`
# and it takes no new job while the step it runs goes on; vend show says
# why a step waits; admins only, an audit entry each; `uncordon` and it
# takes jobs again at once.
. "$(dirname "$0")/test-lib.sh"

vend_start server --catalog "$E2E/catalog" || exit 1
vend token create pool --role runner >token 2>/dev/null
vend token create olga --role operator >olga 2>/dev/null

# runner NAME: a one-step-at-a-time runner without a sandbox.
runner() {
	vend_runner --name "$1" --token-file "$TEST_DIR/token" --sandbox none \
		--work "$TEST_DIR/work-$1" --concurrency 1
}

connected() {
	test "$(vend runners -o json | jq "[.runners[] | select(.connected)] | length")" = "$1"
}

step_running() {
	test "$(run_field "$1" .steps[0].state)" = running
}

# While b runs one slow step, a second one would go to a if a took jobs.
test_expect_success 'a cordoned runner takes no new job; the other takes them all' '
	runner a && runner b &&
	wait_for 20 connected 2 &&
	vend runners cordon a --reason "disk swap" >out &&
	grep -qx "runner a cordoned: it takes no new job" out &&
	for i in 1 2 3; do vend run slow -p seconds=1 -o json | jq .id; done >ids &&
	for id in $(cat ids); do wait_state "$id" succeeded || return 1; done &&
	for id in $(cat ids); do
		test "$(run_field "$id" .steps[0].runner)" = b || return 1
	done &&
	vend runners >list &&
	grep -Eq "^a +idle,cordoned " list &&
	grep -Eq "^b +idle " list &&
	vend runners -o json | jq -e ".runners[] | select(.name == \"a\") |
		.cordon.by == \"admin\" and .cordon.reason == \"disk swap\" and .cordon.at != null" &&
	vend runners -o json | jq -e ".runners[] | select(.name == \"b\") | .cordon == null"
'

test_expect_success 'cordoning again changes nothing; only admins may; the name must exist; a reason is short' '
	vend runners cordon a >out &&
	grep -qx "runner a was already cordoned: it takes no new job" out &&
	! VEND_TOKEN=$(cat olga) vend runners cordon b 2>err &&
	grep -q "olga may not cordon a runner" err &&
	! vend runners cordon nobody 2>err &&
	grep -q "no runner named nobody has registered" err &&
	! vend runners cordon b --reason "$(head -c 501 /dev/zero | tr "\0" x)" 2>err &&
	grep -q "reason.*at most 500 bytes" err &&
	vend runners -o json | jq -e ".runners[] | select(.name == \"b\") | .cordon == null"
'

test_expect_success 'with every runner cordoned a step waits, and vend show says why' '
	vend runners cordon b >/dev/null &&
	w=$(vend run echo -p msg=w -o json | jq .id) &&
	sleep 1 &&
	test "$(run_field "$w" .state)" = queued &&
	run_json "$w" | jq -e ".steps[0].runner_wait | .fitting == 0 and .cordoned == 2" &&
	vend show "$w" | grep -q "every connected runner that can take it is cordoned (2)" &&
	curl -sf "$(cat "$VEND_DATA/server.url")/metrics" | grep -q "^vend_queue_unschedulable 1$"
'

test_expect_success 'uncordon: the waiting step runs at once' '
	vend runners uncordon b >out &&
	grep -qx "runner b uncordoned: it takes jobs again" out &&
	wait_for 5 run_finished "$w" &&
	test "$(run_field "$w" .state)" = succeeded &&
	test "$(run_field "$w" .steps[0].runner)" = b
'

test_expect_success 'vend runners says what each runs; cordoned while it runs a step, it finishes it' '
	vend runners uncordon a >/dev/null &&
	vend runners cordon b >/dev/null &&
	s=$(vend run slow -p seconds=8 -o json | jq .id) &&
	wait_for 20 step_running "$s" &&
	vend runners -o json | jq -e ".runners[] | select(.name == \"a\") |
		.jobs == [{\"run_id\": $s, \"phase\": \"main\", \"step\": \"sleep\"}]" &&
	vend runners -o json | jq -e ".runners[] | select(.name == \"b\") | .jobs == []" &&
	vend runners | grep -Eq "^a +active .* $s:sleep\$" &&
	vend runners cordon a >/dev/null &&
	vend runners uncordon b >/dev/null &&
	wait_state "$s" succeeded &&
	test "$(run_field "$s" .steps[0].runner)" = a &&
	test "$(run_field "$s" .steps[1].runner)" = b
'

test_expect_success 'each change is an audit entry, with who and why' '
	vend audit export | jq -c "select(.entry) | .entry" >entries &&
	jq -se "[.[] | select(.action == \"runner.cordon\" and .target == \"a\")] | length == 2" entries &&
	jq -se "[.[] | select(.action == \"runner.cordon\")][0] |
		.actor == \"admin\" and .result == \"cordoned\" and .details.reason == \"disk swap\"" entries &&
	jq -se "[.[] | select(.action == \"runner.uncordon\" and .target == \"b\")] | length == 2" entries
'

test_done
