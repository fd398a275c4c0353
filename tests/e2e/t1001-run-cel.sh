#!/bin/bash
# CEL in templates (validate:, when:, ${{ }}) and `vend eval`.
. "$(dirname "$0")/test-lib.sh"

vend_up

test_expect_success 'vend eval prints CEL values' '
	test "$(vend eval "timestamp(\"2024-03-15T10:00:00Z\").getDayOfWeek()")" = 5 &&
	test "$(vend eval "[1, 2, 3].map(x, x * 2)")" = "[2, 4, 6]" &&
	test "$(vend eval -o json "1 + 2")" = "{\"int64\":\"3\"}" &&
	test "$(vend eval --var "x={\"int64\":\"40\"}" "x + 2")" = 42
'

test_expect_success 'vend eval: evaluation error exit 1, syntax error exit 2 with a column' '
	expect_exit 1 vend eval "1 / 0" 2>err &&
	grep -q "^error: .*division by zero" err &&
	expect_exit 2 vend eval "1 +" 2>err &&
	grep -q "1:4" err
'

test_expect_success 'a hostile expression ends quickly with an error' '
	start=$(date +%s%N) &&
	expect_exit 1 vend eval "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10].map(c, [1,2,3,4,5,6,7,8,9,10].map(d, [1,2,3,4,5,6,7,8,9,10]))))" 2>err &&
	test $(( ($(date +%s%N) - start) / 1000000 )) -lt 10000 &&
	grep -q "limit" err
'

test_expect_success 'validate: rules refuse a request with their message' '
	expect_exit 2 vend run cel -p environment=production -p replicas=1 2>err &&
	grep -q "production needs at least two replicas" err &&
	expect_exit 2 vend run cel -p replicas=11 2>err &&
	grep -q "at most ten replicas" err
'

test_expect_success '${{ }} evaluates CEL; when: skips steps' '
	id=$(vend run cel -p replicas=3 --wait -o json | jq .id) &&
	run_json "$id" >run.json &&
	jq -e ".lock == \"app/staging/ha\" and .environment == \"staging\"" run.json &&
	jq -e "[.steps[].state] == [\"succeeded\", \"skipped\", \"succeeded\", \"succeeded\"]" run.json &&
	vend logs "$id" --raw >log &&
	grep -q "^plan 6$" log &&
	grep -q "^big deployment$" log &&
	grep -q "^done with 2 teams$" log
'

test_expect_success 'when: true runs the step' '
	id=$(vend run cel -p environment=production -p replicas=2 --wait -o json | jq .id) &&
	jq -e "[.steps[].state] == [\"succeeded\", \"succeeded\", \"skipped\", \"succeeded\"]" <(run_json "$id") &&
	vend logs "$id" --raw | grep -q "^prod step$"
'

test_done
