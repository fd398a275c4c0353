#!/bin/bash
# The example catalog's policies, enforced: deny, require_approval, warn,
# every decision on the run with the bundle hash; the evaluate API.
. "$(dirname "$0")/test-lib.sh"

vend_up --catalog "$TOP/examples"
OP=$(vend token create oscar --role operator --team payments 2>/dev/null)
AP=$(vend token create ada --role approver 2>/dev/null)
as() { local t=$1; shift; VEND_TOKEN=$t "$VEND_BIN" "$@"; }
FLEET=$SHARE/fleet

test_expect_success 'a deny rule refuses the request with its message (exit 1)' '
	expect_exit 1 as "$OP" run deploy-app -p service=shop -p version=1.0.0 -p environment=prod \
		-p replicas=1 -p target="$FLEET" >out &&
	id=$(vend runs -o json | jq ".runs[0].id") &&
	test "$(run_field "$id" .state)" = rejected &&
	test "$(run_field "$id" .reason)" = "denied by policy prod-guardrails: prod needs at least 2 replicas (asked for 1)" &&
	run_json "$id" | jq -e "[.decisions[] | select(.fired)] | map(.effect) | index(\"deny\") != null" &&
	run_json "$id" | jq -e "[.decisions[] | select(.source == \"policy\") | .bundle] | unique | length == 1"
'

test_expect_success 'a prod deploy by an operator waits for an approver' '
	id=$(as "$OP" run deploy-app -p service=shop -p version=1.0.0 -p environment=prod \
		-p replicas=2 -p target="$FLEET" -o json | jq .id) &&
	wait_state "$id" awaiting_approval &&
	run_json "$id" | jq -e "[.approvals[].source] | sort == [\"environment\", \"policy:prod-guardrails#1\"]" &&
	run_json "$id" | jq -e ".approvals[] | select(.source | startswith(\"policy\")) | .message == \"oscar asks to run deploy-app 1.0.0 in prod\""
'

test_expect_success 'the operator cannot approve it' '
	expect_exit 1 as "$OP" approve "$id" 2>err &&
	grep -q "may not approve" err
'

test_expect_success 'an approver can; one vote meets both gates; the deploy runs' '
	as "$AP" approve "$id" --comment ok >/dev/null &&
	wait_state "$id" succeeded 30 &&
	test "$(cat "$FLEET/prod/shop/current/VERSION")" = 1.0.0 &&
	run_json "$id" | jq -e "[.approvals[].state] == [\"approved\", \"approved\"]"
'

test_expect_success 'vend show tells why at every point' '
	vend show "$id" >show &&
	grep -q "require_approval *prod-guardrails: oscar asks to run deploy-app 1.0.0 in prod" show &&
	grep -q "ada approved at" show &&
	vend logs "$id" | grep -q "waiting for approval" &&
	vend logs "$id" | grep -q "approved by ada: ok"
'

test_expect_success 'a warning is recorded and does not stop the run' '
	mkdir -m 0777 "$SHARE/logs" && ln -s "$SHARE/logs" logs &&
	id=$(vend run rotate-logs -p dir="$SHARE/logs" -p keep_days=1 --wait -o json | jq .id) &&
	test "$(run_field "$id" .state)" = succeeded &&
	run_json "$id" | jq -e ".decisions[] | select(.effect == \"warn\" and .fired) | .message == \"keeping only 1 day(s) of compressed logs\""
'

test_expect_success 'a dry run shows every decision and what it would wait for' '
	as "$OP" run deploy-app -p service=web -p version=2.0.0 -p environment=prod -p replicas=3 \
		-p target="$FLEET" --dry-run -o json >dry.json &&
	jq -e ".outcome == \"awaiting_approval\" and (.approvals | length) == 2" dry.json &&
	jq -e "[.decisions[] | select(.fired) | .effect] | index(\"require_approval\") != null" dry.json
'

test_expect_success 'GET /policies and POST /policies/evaluate' '
	URL=$(cat "$VEND_DATA/server.url") &&
	curl -s -H "Authorization: Bearer $OP" "$URL/api/v1/policies" >list.json &&
	jq -e "[.policies[].name] == [\"finance-gate\", \"prod-guardrails\", \"runbook-safety\"] and (.bundle | length) == 64" list.json &&
	curl -s -H "Authorization: Bearer $OP" -d "{\"run\": {\"environment\": \"prod\"}, \"params\": {\"replicas\": 1}}" \
		"$URL/api/v1/policies/evaluate" >eval.json &&
	jq -e ".denied == true and .bundle == $(jq .bundle list.json)" eval.json &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $OP" -d "{\"nonsense\": 1}" "$URL/api/v1/policies/evaluate")" = 400
'

test_done
