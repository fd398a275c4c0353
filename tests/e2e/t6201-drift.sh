#!/bin/bash
# Drift: a template's drift.run check runs in the sandbox with the
# parameters of its last succeeded run; exit 0 is in sync, anything else
# drifted, its output is the report (secret values masked). vend drift
# check/show/reconcile, the API, the vend_drift_detected gauge, the
# dev.vend.drift.detected webhook, the audit entries, scheduled checks.
. "$(dirname "$0")/test-lib.sh"

# A receiver that keeps each webhook request in hooks/.
start_hook_receiver

# The "world" is a file in $SHARE: the deploy writes the version there,
# the check compares.
STATE=$(share_file world)
cp -r "$E2E/catalog" cat
write_file cat/templates/drifty.yaml <<YAML
apiVersion: vend/v1
kind: Template
metadata: {name: drifty}
spec:
  parameters:
    version: {type: string, required: true}
    token: {type: secret}
  steps:
    - name: deploy
      run: printf '%s\n' "\$PARAM_VERSION" > $STATE
  drift:
    run: |
      have=\$(cat $STATE)
      echo "token \$PARAM_TOKEN"
      if [ "\$have" = "\$PARAM_VERSION" ]; then echo "in sync at \$have"; exit 0; fi
      echo "want \$PARAM_VERSION, found \$have"
      exit 3
  notify:
    - {url: "http://127.0.0.1:$PORT/hook", events: [drift.detected], allow_private: true}
YAML
write_file cat/templates/every.yaml <<YAML
apiVersion: vend/v1
kind: Template
metadata: {name: every}
spec:
  parameters:
    n: {type: integer, default: 1}
  steps:
    - {name: ok, run: "true"}
  drift:
    run: echo "n is \$PARAM_N"
    schedule: "@every 2s"
YAML
write_file cat/templates/plain.yaml <<YAML
apiVersion: vend/v1
kind: Template
metadata: {name: plain}
spec:
  parameters:
    version: {type: string, required: true}
  steps:
    - {name: ok, run: "true"}
  drift:
    run: test "\$PARAM_VERSION" = 1.0
YAML
vend_up --catalog "$PWD/cat"

test_expect_success 'lint: drift needs run:, a good schedule and no unknown keys' '
	write_file bad.yaml <<-YAML &&
	apiVersion: vend/v1
	kind: Template
	metadata: {name: bad}
	spec:
	  steps: [{name: a, run: "true"}]
	  drift: {schedule: "61 * * * *", nme: x}
	YAML
	expect_exit 2 vend template lint bad.yaml >err 2>&1 &&
	grep -q "spec.drift.run" err && grep -q "schedule" err && grep -q "nme" err
'

test_expect_success 'a template without a succeeded run cannot be checked yet' '
	expect_exit 1 vend drift check plain 2>err &&
	grep -q "no succeeded run" err
'

test_expect_success 'after a run, the check is in sync (exit 0), with its report' '
	id=$(vend run drifty -p version=1.0 -p token=hunter2-secret -o json | jq .id) &&
	wait_state "$id" succeeded 60 &&
	vend drift check drifty -o json >check &&
	jq -e ".drifted == false and .state == \"done\" and .exit_code == 0 and
		.run_id == $id and (.checked_at | length) > 0" check &&
	jq -r .report check | grep -q "in sync at 1.0"
'

test_expect_success 'a secret parameter ended with its run: the check does not get it' '
	jq -r .report check | grep -qx "token " &&
	! grep -q hunter2-secret check
'

test_expect_success 'the world changes: drifted (exit 1), the report says how' '
	echo 0.9 >"$STATE" &&
	expect_exit 1 vend drift check drifty >out &&
	grep -q DRIFTED out && grep -q "want 1.0, found 0.9" out &&
	vend drift show drifty -o json | jq -e ".drifted == true and .exit_code == 3"
'

test_expect_success 'the API: GET the last check, POST starts one (202)' '
	curl -sf -H "Authorization: Bearer $(cat "$VEND_DATA/admin.token")" \
		"$(cat "$VEND_DATA/server.url")/api/v1/templates/drifty/drift" |
		jq -e ".drifted == true and .template == \"drifty\"" &&
	code=$(curl -s -o post -w "%{http_code}" -X POST \
		-H "Authorization: Bearer $(cat "$VEND_DATA/admin.token")" \
		"$(cat "$VEND_DATA/server.url")/api/v1/templates/drifty/drift") &&
	test "$code" = 202 && jq -e ".state == \"queued\"" post
'

test_expect_success 'a viewer may read the result, not start a check' '
	vend token create drift-viewer --role viewer -o json | jq -r .token >viewer &&
	VEND_TOKEN=$(cat viewer) vend drift show drifty -o json >seen;
	jq -e ".template == \"drifty\" and (.id | type) == \"number\"" seen &&
	expect_exit 1 env VEND_TOKEN=$(cat viewer) "$VEND_BIN" drift check drifty 2>err &&
	grep -q "may not start a drift check" err
'

test_expect_success '/metrics: vend_drift_detected{template="drifty"} 1' '
	wait_for 20 eval "curl -sf $(cat "$VEND_DATA/server.url")/metrics |
		grep -qx \"vend_drift_detected{template=\\\"drifty\\\"} 1\""
'

if command -v promtool >/dev/null; then
	test_expect_success 'promtool accepts the page with the drift gauge' '
		curl -sf "$(cat "$VEND_DATA/server.url")/metrics" >metrics &&
		grep -q "^# TYPE vend_drift_detected gauge" metrics &&
		promtool check metrics <metrics
	'
fi

test_expect_success 'a webhook gets dev.vend.drift.detected with the report' '
	wait_for 20 eval "ls hooks/*.json >/dev/null 2>&1" &&
	jq -e ".body | fromjson | .type == \"dev.vend.drift.detected\" and
		.data.template == \"drifty\" and .data.drifted == true and
		(.data.report | test(\"found 0.9\"))" "$(ls hooks/*.json | head -1)" &&
	! grep -q hunter2-secret hooks/*.json
'

test_expect_success 'checks and their results are in the audit log' '
	vend audit export >audit.jsonl &&
	grep -q "drift.check" audit.jsonl &&
	grep "drift.check" audit.jsonl | grep -q drifted &&
	grep "drift.check" audit.jsonl | grep -q in_sync
'

test_expect_success 'reconcile re-requests the last succeeded parameters' '
	echo 1.0 >plainv &&
	pid=$(vend run plain -p version=1.0 -o json | jq .id) &&
	wait_state "$pid" succeeded 60 &&
	rid=$(vend drift reconcile plain -o json | jq .id) &&
	test "$rid" -gt "$pid" &&
	test "$(run_field "$rid" .params.version)" = 1.0 &&
	wait_state "$rid" succeeded 60
'

test_expect_success 'a template with a secret parameter is not reconciled (why)' '
	expect_exit 2 vend drift reconcile drifty 2>err &&
	grep -q "secret parameter" err
'

# scheduled_done: the newest check of `every` was the scheduler's, done,
# with the run's parameter in its report.
scheduled_done() {
	vend drift show every -o json 2>/dev/null >sched &&
	jq -e '.requester == "scheduler" and .state == "done" and .drifted == false' sched &&
	jq -r .report sched | grep -q "n is 7"
}

test_expect_success 'a scheduled check runs by itself (@every 2s)' '
	eid=$(vend run every -p n=7 -o json | jq .id) &&
	wait_state "$eid" succeeded 60 &&
	wait_for 60 scheduled_done
'

test_expect_success 'drift check of a template without drift: says so' '
	expect_exit 2 vend drift check echo 2>err &&
	grep -q "no drift" err
'

test_done
