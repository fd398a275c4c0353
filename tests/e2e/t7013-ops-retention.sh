#!/bin/bash
# Retention (--retention-runs): runs that finished longer ago than the
# period go, with their steps and logs, in batches from the timer loop;
# running runs stay however old; audit entries stay (the log still
# verifies, and still names the pruned runs), and the pruning itself is
# audited.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'a bad period is refused' '
	expect_exit 2 vend up --retention-runs soon --data "$TEST_DIR/x" 2>err &&
	grep -q "retention-runs takes a duration of at least 1s" err
'

test_expect_success 'finished runs are kept for the period' '
	vend_up --retention-runs 15s &&
	a=$(vend run echo -p msg=first --wait -o json | jq .id) &&
	vend show "$a" >/dev/null &&
	vend logs "$a" | grep -q first &&
	b=$(vend run echo -p msg=second --wait -o json | jq .id) &&
	test "$(run_field "$b" .state)" = succeeded &&
	s=$(vend run slow -p seconds=300 -o json | jq .id) &&
	wait_state "$s" running 60
'

test_expect_success 'then they go, with their steps and logs; a running run stays' '
	wait_for 120 eval "! vend show $b >/dev/null 2>&1" &&
	expect_exit 1 vend show "$a" 2>err &&
	grep -q "no run $a" err &&
	test "$(db_query "SELECT count(*) FROM steps WHERE run_id IN ($a, $b)")" = 0 &&
	test "$(db_query "SELECT count(*) FROM logs WHERE run_id IN ($a, $b)")" = 0 &&
	test "$(run_field "$s" .state)" = running &&
	vend runs -o json | jq -e "[.runs[].id] == [$s]"
'

test_expect_success 'audit entries stay: the log verifies and names the pruned runs' '
	vend audit verify >/dev/null &&
	vend audit export >ex.jsonl &&
	jq -se "[.[] | select(.entry.action == \"run.request\" and .entry.run_id == $a)] | length == 1" ex.jsonl &&
	jq -se "[.[] | select(.entry.action == \"run.prune\")] | map(.entry.details.runs) | add >= 2" ex.jsonl
'

test_expect_success 'without the flag every run is kept' '
	vend_stop &&
	vend_up &&
	c=$(vend run echo -p msg=kept --wait -o json | jq .id) &&
	sleep 20 &&
	vend show "$c" >/dev/null
'

test_done
