#!/bin/bash
# Cost control with the example catalog: a template's cost.monthly_usd is
# evaluated when a run is requested, kept on the run, shown by dry runs and
# `vend show`, and seen by policies: the finance policy wants an approval
# from team finance over 500 USD a month, or when the requester's teams'
# succeeded runs this month (budget.team_month_usd) plus this one pass 2000.
. "$(dirname "$0")/test-lib.sh"

vend_up --catalog "$TOP/examples"
OP=$(vend token create oscar --role operator --team shop 2>/dev/null)
FIN=$(vend token create fiona --role approver --team finance 2>/dev/null)
SRE=$(vend token create sam --role approver --team sre 2>/dev/null)
as() { local t=$1; shift; VEND_TOKEN=$t "$VEND_BIN" "$@"; }
T=$SHARE/cloud

test_expect_success 'a dry run shows the cost estimate and that nobody needs to approve' '
	as "$OP" run provision-db -p name=orders -p size=small -p target="$T" --dry-run -o json >dry.json &&
	jq -e ".cost.monthly_usd == 25 and .outcome == \"queued\"" dry.json &&
	jq -e "[.decisions[] | select(.policy == \"finance-gate\" and .fired)] | length == 0" dry.json
'

test_expect_success 'a cheap run runs, with its cost on the run' '
	id=$(as "$OP" run provision-db -p name=orders -p size=small -p target="$T" -o json | jq .id) &&
	wait_state "$id" succeeded 60 &&
	test "$(run_field "$id" .cost.monthly_usd)" = 25 &&
	vend show "$id" | grep -q "cost: *\$25.00 a month (estimate)" &&
	test -f "$T/dbs/orders.json"
'

test_expect_success 'over 500 USD a month waits for finance' '
	id=$(as "$OP" run provision-db -p name=big -p size=large -p replicas=2 -p target="$T" -o json | jq .id) &&
	wait_state "$id" awaiting_approval &&
	test "$(run_field "$id" .cost.monthly_usd)" = 960 &&
	run_json "$id" | jq -e ".approvals[0].source == \"policy:finance-gate#0\"" &&
	run_json "$id" | jq -e ".approvals[0].message == \"provision-db adds about 960 USD a month (over 500): finance approves\""
'

test_expect_success 'an approver outside finance cannot approve it; finance can' '
	expect_exit 1 as "$SRE" approve "$id" 2>err &&
	grep -q "no run $id" err &&
	as "$FIN" approve "$id" --comment "budgeted" >/dev/null &&
	wait_state "$id" succeeded 30 &&
	vend show "$id" | grep -q "cost: *\$960.00 a month"
'

test_expect_success 'a team past its monthly budget needs finance, even for a small run' '
	# shop has spent 25 + 960 this month; two more of 480 make 1945.
	for n in 1 2; do
		i=$(as "$OP" run provision-db -p name=db$n -p size=medium -p replicas=4 -p target="$T" \
			-o json | jq .id) &&
		wait_state "$i" succeeded 60 || return 1
	done &&
	as "$OP" run provision-db -p name=one-more -p size=medium -p target="$T" --dry-run -o json >dry.json &&
	jq -e ".cost.monthly_usd == 120 and .outcome == \"awaiting_approval\"" dry.json &&
	jq -e "[.approvals[].source] == [\"policy:finance-gate#1\"]" dry.json &&
	jq -e ".approvals[0].message | contains(\"past its \$2000 monthly budget\")" dry.json
'

test_expect_success 'another team has its own budget' '
	OTHER=$(vend token create olga --role operator --team web 2>/dev/null) &&
	as "$OTHER" run provision-db -p name=web-db -p size=small -p target="$T" --dry-run -o json >dry.json &&
	jq -e ".outcome == \"queued\"" dry.json
'

test_expect_success 'the request is audited with its cost' '
	vend audit export >ex.jsonl &&
	jq -se "[.[] | select(.entry.action == \"run.request\" and .entry.run_id == $id)] |
		.[0].entry.details.cost_monthly_usd == \"960.00\"" ex.jsonl
'

test_done
