#!/bin/bash
# Alert-driven runbooks: a real Prometheus Alertmanager (Debian's
# prometheus-alertmanager, loopback only) posts its webhook to
# /api/v1/hooks/alertmanager with a bearer token; a firing alert that
# matches a template's trigger starts that runbook as the token's
# principal, with params from the alert; a repeat of the same alert group
# while the run is active starts nothing; bad payloads, wrong roles and
# limits are refused.
. "$(dirname "$0")/test-lib.sh"

AM=$(command -v prometheus-alertmanager || command -v alertmanager)
if [ -z "$AM" ]; then
	test_skip 'an alert from Alertmanager starts the matching runbook' \
		'prometheus-alertmanager is not installed (scripts/deps.sh)'
	test_done
	exit 0
fi

RELEASE="$SHARE/release"
cp -r "$E2E/catalog" cat
write_file cat/templates/disk-runbook.yaml <<YAML
apiVersion: vend/v1
kind: Template
metadata: {name: disk-runbook}
spec:
  parameters:
    service: {type: string, required: true, pattern: '^[a-z][a-z0-9-]{0,30}\$'}
    urgent: {type: boolean, default: false}
  steps:
    - name: rotate
      run: |
        echo "rotating \$PARAM_SERVICE urgent=\$PARAM_URGENT"
        while [ ! -e $RELEASE ]; do sleep 0.2; done
      timeout: 5m
  triggers:
    - alertmanager:
        match: "alert.labels.alertname == 'DiskFull' && has(alert.labels.service)"
        params:
          service: "\${{ alert.labels.service }}"
          urgent: "\${{ 'severity' in alert.labels && alert.labels.severity == 'page' }}"
YAML
vend_up --catalog "$PWD/cat"
URL=$(cat "$VEND_DATA/server.url")
vend token create alertmanager --role operator -o json | jq -r .token >am.token
vend token create watcher --role viewer -o json | jq -r .token >viewer.token

APORT=$(free_port)
cat >am.yml <<YAML
route:
  receiver: vend
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: vend
    webhook_configs:
      - url: $URL/api/v1/hooks/alertmanager
        send_resolved: false
        max_alerts: 50
        http_config:
          authorization:
            type: Bearer
            credentials_file: $PWD/am.token
YAML
# Loopback only; --cluster.listen-address= turns gossip (0.0.0.0:9094) off.
start_alertmanager() {
	"$AM" --config.file=am.yml --storage.path=am-data \
		--web.listen-address="127.0.0.1:$APORT" --cluster.listen-address= \
		>am.log 2>&1 &
	VEND_PIDS+=($!)
	wait_for 60 curl -sf "http://127.0.0.1:$APORT/-/ready" >/dev/null
}

# fire NAME SERVICE SEVERITY [INSTANCE]: posts a firing alert to Alertmanager.
fire() {
	curl -sf -X POST -H 'Content-Type: application/json' \
		"http://127.0.0.1:$APORT/api/v2/alerts" -d "[{\"labels\": {\"alertname\": \"$1\",
		\"service\": \"$2\", \"severity\": \"$3\", \"instance\": \"${4:-a}\"},
		\"annotations\": {\"summary\": \"disk of $2 is full\"}}]" >/dev/null
}

# runs_of TEMPLATE: how many runs it has.
runs_of() {
	vend runs --template "$1" -o json | jq '.runs | length'
}

# hooks_received N: vend logged at least N Alertmanager webhooks.
hooks_received() {
	test "$(grep -c 'alertmanager webhook from alertmanager' "$TEST_DIR/server.log")" -ge "$1"
}

test_expect_success 'Alertmanager starts on loopback with the webhook config' '
	start_alertmanager
'

test_expect_success 'a firing alert that matches starts the runbook, params from its labels' '
	fire DiskFull payments page &&
	wait_for 60 eval "test \$(runs_of disk-runbook) = 1" &&
	vend runs --template disk-runbook -o json >runs &&
	id=$(jq ".runs[0].id" runs) &&
	test "$(run_field "$id" .params.service)" = payments &&
	test "$(run_field "$id" .params.urgent)" = true &&
	test "$(run_field "$id" .requester)" = alertmanager &&
	wait_state "$id" running 60
'

test_expect_success 'a repeat of the same alert group while the run is active starts nothing' '
	n=$(grep -c "alertmanager webhook from alertmanager" "$TEST_DIR/server.log") &&
	fire DiskFull payments page b &&
	wait_for 60 hooks_received $((n + 1)) &&
	grep "alertmanager webhook from alertmanager" "$TEST_DIR/server.log" | tail -1 |
		grep -q "0 runs started, 2 skipped" &&
	test "$(runs_of disk-runbook)" = 1
'

test_expect_success 'another group (another service) starts its own run' '
	fire DiskFull orders warning &&
	wait_for 60 eval "test \$(runs_of disk-runbook) = 2" &&
	id2=$(vend runs --template disk-runbook -o json | jq ".runs[0].id") &&
	test "$(run_field "$id2" .params.service)" = orders &&
	test "$(run_field "$id2" .params.urgent)" = false
'

test_expect_success 'an alert no trigger matches starts nothing' '
	n=$(grep -c "alertmanager webhook from alertmanager" "$TEST_DIR/server.log") &&
	fire CPUHigh payments page &&
	wait_for 60 hooks_received $((n + 1)) &&
	test "$(runs_of disk-runbook)" = 2
'

# post FILE [TOKEN]: posts FILE to the hook as Alertmanager would; prints
# the status code, the body goes to ./resp.
post() {
	curl -s -o resp -w "%{http_code}" -X POST -H "Content-Type: application/json" \
		-H "Authorization: Bearer ${2:-$(cat am.token)}" \
		"$URL/api/v1/hooks/alertmanager" --data-binary "@$1"
}

payload() { # payload GROUPKEY SERVICE
	cat <<-JSON
	{"version": "4", "groupKey": "$1", "status": "firing", "receiver": "vend",
	 "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "",
	 "truncatedAlerts": 0,
	 "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull", "service": "$2"},
	   "annotations": {}, "startsAt": "2026-11-26T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
	   "generatorURL": "", "fingerprint": "f$2"}]}
	JSON
}

rid=0
test_expect_success 'the response lists the run started, then the repeat as skipped' '
	payload "{}:{alertname=DiskFull,service=search}" search >p1 &&
	test "$(post p1)" = 200 &&
	jq -e ".started | length == 1 and .[0].template == \"disk-runbook\"" resp &&
	rid=$(jq ".started[0].run" resp) &&
	test "$(post p1)" = 200 &&
	jq -e ".started == [] and .skipped[0].run == $rid and
		(.skipped[0].reason | test(\"still active\"))" resp
'

test_expect_success 'once the run has finished, the same group starts a new one' '
	touch "$RELEASE" &&
	wait_state "$rid" succeeded 60 &&
	test "$(post p1)" = 200 &&
	jq -e ".started | length == 1 and .[0].run != $rid" resp
'

test_expect_success 'the audit log says which alert started which run' '
	vend audit export >audit.jsonl &&
	grep "alert.trigger" audit.jsonl | grep -q fsearch
'

test_expect_success 'a viewer token may not trigger runbooks (403)' '
	test "$(post p1 "$(cat viewer.token)")" = 403
'

test_expect_success 'a payload that is not version 4 is refused (400), saying why' '
	jq ".version = \"3\"" p1 >p3 &&
	test "$(post p3)" = 400 &&
	grep -q "version must be" resp
'

test_expect_success 'more than 100 alerts are refused (400)' '
	jq ".alerts = [range(101) as \$i | .alerts[0]]" p1 >big &&
	test "$(post big)" = 400 &&
	grep -q "at most 100" resp
'

test_expect_success 'a body over 1 MiB is refused (413)' '
	head -c 1100000 /dev/zero | tr "\0" a | jq -Rs "{version: \"4\", groupKey: .}" >huge &&
	test "$(post huge)" = 413
'

test_expect_success 'a match that fails on an alert skips it with the reason' '
	cat >p4 <<-JSON &&
	{"version": "4", "groupKey": "g4", "alerts": [{"status": "firing",
	  "labels": {"alertname": "DiskFull", "service": "BAD NAME"}}]}
	JSON
	test "$(post p4)" = 200 &&
	jq -e ".started == [] and (.skipped[0].reason | test(\"service\"))" resp
'

test_done
