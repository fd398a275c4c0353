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

test_expect_success 'vend show and the API say which labels no connected runner has' '
	run_json "$id" | jq -e ".steps[0].runner_wait == {\"labels\": [\"gpu\"], \"connected\": 1, \"fitting\": 0, \"cordoned\": 0}" &&
	vend show "$id" >show.out &&
	grep -q "waiting: *step train needs a runner with labels gpu; no connected runner has them all (1 connected)" show.out
'

test_expect_success '/metrics counts the job no connected runner can take' '
	curl -sf "$(cat "$VEND_DATA/server.url")/metrics" >metrics &&
	grep -q "^vend_queue_depth 1$" metrics &&
	grep -q "^vend_queue_unschedulable 1$" metrics
'

test_expect_success 'an idle runner counts as connected: a poll that finds nothing is noted too' '
	db_query "UPDATE runners SET last_seen = 1" &&
	other=$(vend run gpu -o json | jq .id) &&
	for i in $(seq 50); do
		test "$(run_json "$id" | jq .steps[0].runner_wait.connected)" = 1 && break
		sleep 0.1
	done &&
	run_json "$id" | jq -e ".steps[0].runner_wait.connected == 1" &&
	vend cancel "$other" >/dev/null
'

test_expect_success 'vend runners lists the runner: idle, no jobs, its labels' '
	vend runners -o json >runners.json &&
	jq -e ".runners | length == 1" runners.json &&
	jq -e ".runners[0] | .status == \"idle\" and .connected and .busy_jobs == 0 and .labels == []" runners.json &&
	vend runners >runners.out &&
	head -1 runners.out | grep -q "^NAME *STATUS *BUSY *LAST SEEN *LABELS" &&
	grep -q "^embedded-[0-9a-f]* *idle *0 " runners.out
'

test_expect_success 'a runner with the label takes it' '
	vend_stop &&
	vend_up --labels gpu,linux &&
	wait_state "$id" succeeded &&
	vend logs "$id" --raw | grep -q trained &&
	run_json "$id" | jq -e ".steps[0].runner_wait == null" &&
	vend runners -o json | jq -e "[.runners[] | select(.labels == [\"gpu\", \"linux\"])] | length == 1"
'

test_expect_success 'with no runner at all, vend show says to start one' '
	vend_stop &&
	db_query "UPDATE runners SET last_seen = $(( ($(date +%s) - 120) * 1000 ))" &&
	vend_start server &&
	lone=$(vend run gpu -o json | jq .id) &&
	run_json "$lone" | jq -e ".steps[0].runner_wait.connected == 0" &&
	vend runners -o json | jq -e "[.runners[].status] | unique == [\"offline\"]" &&
	vend show "$lone" | grep -q "waiting: *step train: no runner is connected; start one (vend runner --labels gpu)"
'

test_expect_success 'labels are part of the template as the API shows it' '
	vend template show gpu -o json | jq -e ".labels == [\"gpu\"]"
'

test_done
