#!/bin/bash
# Template schedules (docs/templates.md "Schedules"): vend requests runs by
# itself as the `scheduler` principal, through policies and approvals like
# anyone; `vend template show` says when the next run is; every scheduled
# request is in the audit log; after downtime a schedule fires one
# catch-up run, not one per missed fire time.
. "$(dirname "$0")/test-lib.sh"

cp -r "$E2E/catalog" "$TEST_DIR/catalog"
write_file "$TEST_DIR/catalog/templates/tick.yaml" <<'EOF2'
apiVersion: vend/v1
kind: Template
metadata: {name: tick, owner: platform}
spec:
  parameters:
    note: {type: string, required: true}
  schedule:
    - {cron: "@every 2s", params: {note: tock}}
  steps:
    - name: say
      run: printf 'tick %s\n' "$PARAM_NOTE"
EOF2
# Scheduled into a protected environment: an approver must say yes.
write_file "$TEST_DIR/catalog/templates/tick-prod.yaml" <<'EOF2'
apiVersion: vend/v1
kind: Template
metadata: {name: tick-prod}
spec:
  environment: prod
  schedule: "@every 2s"
  steps:
    - name: say
      run: echo prod
EOF2
# Hourly; the test moves its fire time back to fake a long downtime.
write_file "$TEST_DIR/catalog/templates/hourly.yaml" <<'EOF2'
apiVersion: vend/v1
kind: Template
metadata: {name: hourly}
spec:
  schedule: {cron: "0 * * * *", timezone: Europe/Berlin}
  steps:
    - name: say
      run: echo hourly
EOF2

# runs_of TEMPLATE: ids of the template's runs, newest first.
runs_of() {
	vend runs --template "$1" --limit 100 -o json | jq -r ".runs[].id"
}
n_runs() {
	runs_of "$1" | wc -l
}

test_expect_success 'a bad schedule is a lint error with its position' '
	write_file bad.yaml <<-\EOF2 &&
	apiVersion: vend/v1
	kind: Template
	metadata: {name: bad}
	spec:
	  schedule: "0 25 * * *"
	  steps: [{name: s, run: "true"}]
	EOF2
	expect_exit 2 vend template lint bad.yaml >out &&
	grep -q "bad.yaml:5:13: spec.schedule: field 2 (hour): 25 is out of range 0-23" out
'

test_expect_success 'scheduled runs appear, requested by the scheduler, with their params' '
	vend_up --catalog "$TEST_DIR/catalog" &&
	wait_for 30 eval "test \$(n_runs tick) -ge 2" &&
	id=$(runs_of tick | tail -1) &&
	test "$(run_field "$id" .requester)" = scheduler &&
	test "$(run_field "$id" .params.note)" = tock &&
	wait_state "$id" succeeded 30 &&
	vend logs "$id" | grep -q "tick tock"
'

test_expect_success 'scheduled runs go through approvals like any other' '
	wait_for 30 eval "test \$(n_runs tick-prod) -ge 1" &&
	id=$(runs_of tick-prod | tail -1) &&
	wait_state "$id" awaiting_approval 30 &&
	test "$(run_field "$id" .requester)" = scheduler &&
	run_json "$id" | jq -e "[.approvals[].source] == [\"environment\"]"
'

test_expect_success 'vend template show gives the schedule and the next run time' '
	vend template show tick -o json >t.json &&
	jq -e ".schedule[0].cron == \"@every 2s\" and .schedule[0].timezone == \"UTC\"" t.json &&
	jq -e ".schedule[0].params == {\"note\": \"tock\"}" t.json &&
	next=$(jq -r ".schedule[0].next_run_at" t.json) &&
	test "$(date -u -d "$next" +%s)" -ge "$(($(date -u +%s) - 5))" &&
	jq -e ".schedule[0].last_run_id | type == \"number\"" t.json &&
	vend template show hourly >t.txt &&
	grep -q "0 \* \* \* \* (Europe/Berlin)" t.txt &&
	grep -q "next run: .*:00:00.000Z" t.txt
'

test_expect_success 'every scheduled request is audited as the scheduler' '
	id=$(runs_of tick | tail -1) &&
	vend audit export >ex.jsonl &&
	jq -se "[.[] | select(.entry.action == \"run.request\" and .entry.run_id == $id)] |
		length == 1 and (.[0].entry | .actor == \"scheduler\" and .result == \"created\" and
		.details.schedule == \"@every 2s\")" ex.jsonl
'

test_expect_success 'after downtime a schedule fires once, not once per missed hour' '
	vend_stop &&
	before=$(n_runs hourly) &&
	hour=3600000 &&
	db_query "UPDATE schedules SET next_fire_at = next_fire_at - 5 * $hour WHERE template = '\''hourly'\''" &&
	vend_up --catalog "$TEST_DIR/catalog" &&
	wait_for 30 eval "test \$(n_runs hourly) -gt $before" &&
	sleep 3 &&
	test "$(n_runs hourly)" = $((before + 1)) &&
	vend template show hourly -o json | jq -r ".schedule[0].next_run_at" >next &&
	test "$(date -u -d "$(cat next)" +%s)" -gt "$(date -u +%s)"
'

test_expect_success 'a catalog without the schedule stops it' '
	rm "$TEST_DIR/catalog/templates/tick.yaml" "$TEST_DIR/catalog/templates/tick-prod.yaml" &&
	vend catalog sync "$TEST_DIR/catalog" >/dev/null &&
	sleep 1 &&
	n=$(n_runs tick) &&
	sleep 5 &&
	test "$(n_runs tick)" = "$n"
'

test_expect_success 'the audit log is intact' '
	vend audit verify >/dev/null
'

test_done
