#!/bin/bash
# Webhooks: a failed run posts a CloudEvent signed with the hook's secret
# (HMAC-SHA256 of the body) to a loopback receiver; a receiver that answers
# 500 at first gets retries; a private address without allow_private is
# refused, and the run's delivery log says why.
. "$(dirname "$0")/test-lib.sh"

# A receiver that keeps each request (body and signature) in hooks/;
# /flaky answers 500 twice before it takes one.
start_hook_receiver

cp -r "$E2E/catalog" cat
write_file cat/templates/hook-fail.yaml <<YAML
apiVersion: vend/v1
kind: Template
metadata: {name: hook-fail}
spec:
  steps:
    - name: boom
      run: "false"
  notify:
    - url: http://127.0.0.1:$PORT/ok
      secret: s3cret-shared
      allow_private: true
YAML
write_file cat/templates/hook-flaky.yaml <<YAML
apiVersion: vend/v1
kind: Template
metadata: {name: hook-flaky}
spec:
  steps:
    - name: fine
      run: "true"
  notify:
    - {url: "http://127.0.0.1:$PORT/flaky", secret: x, events: [succeeded], allow_private: true}
YAML
write_file cat/templates/hook-private.yaml <<YAML
apiVersion: vend/v1
kind: Template
metadata: {name: hook-private}
spec:
  steps:
    - name: fine
      run: "true"
  notify:
    - {url: "http://127.0.0.1:$PORT/private", secret: x}
YAML
vend_up --catalog "$PWD/cat"

# got PATH: the requests the receiver got on PATH, one JSON a line.
got() {
	cat hooks/*.json 2>/dev/null | jq -c --arg p "$1" 'select(.path == $p)'
}
has() {
	test "$(got "$1" | wc -l)" -ge "$2"
}

cat >verify.py <<'PY'
import hmac, hashlib, json, sys
rec = json.loads(sys.stdin.readline())
want = "sha256=" + hmac.new(sys.argv[1].encode(), rec["body"].encode(), hashlib.sha256).hexdigest()
sys.exit(0 if hmac.compare_digest(want, rec["sig"] or "") else 1)
PY

test_expect_success 'a failed run posts a CloudEvent, type dev.vend.run.failed' '
	id=$(vend run hook-fail -o json | jq .id) &&
	wait_state "$id" failed &&
	wait_for 20 has /ok 1 &&
	got /ok | head -1 | jq -r .body >event &&
	jq -e ".specversion == \"1.0\" and .type == \"dev.vend.run.failed\" and
		(.source | startswith(\"vend/\")) and (.id | length) > 0 and
		(.time | length) > 0 and .datacontenttype == \"application/json\" and
		.data.id == $id and .data.template == \"hook-fail\" and
		.data.state == \"failed\" and (.data.finished_at | length) > 0 and
		(.data.created_at | length) > 0 and (.data.requester | length) > 0" event &&
	got /ok | head -1 | jq -e ".ctype | startswith(\"application/cloudevents+json\")"
'

test_expect_success 'its signature verifies with the shared secret' '
	got /ok | head -1 | python3 verify.py s3cret-shared &&
	! got /ok | head -1 | python3 verify.py wrong-secret
'

test_expect_success 'the run JSON shows the delivery and its attempt' '
	wait_for 10 eval "run_field $id \".notifications[0].state\" | grep -qx delivered" &&
	run_json "$id" >run &&
	jq -e ".notifications | length == 1" run &&
	jq -e ".notifications[0] | .event == \"failed\" and .attempts == 1 and
		.log[0].status == 200 and .signed == true" run &&
	! grep -q s3cret-shared run
'

test_expect_success 'a receiver answering 500 at first gets retries' '
	id2=$(vend run hook-flaky -o json | jq .id) &&
	wait_state "$id2" succeeded &&
	wait_for 30 has /flaky 3 &&
	test "$(got /flaky | jq -r .code | tr "\n" " ")" = "500 500 200 " &&
	got /flaky | jq -r .body | jq -se "map(.id) | unique | length == 1" &&
	wait_for 10 eval "run_field $id2 \".notifications[0].state\" | grep -qx delivered" &&
	run_json "$id2" | jq -e ".notifications[0] | .attempts == 3 and
		(.log | map(.status)) == [500, 500, 200] and .log[0].error == \"HTTP 500\""
'

test_expect_success 'a private address without allow_private is refused, and the log says why' '
	id3=$(vend run hook-private -o json | jq .id) &&
	wait_state "$id3" succeeded &&
	wait_for 10 eval "run_field $id3 \".notifications[0].state\" | grep -qx failed" &&
	run_json "$id3" | jq -e ".notifications[0] | .attempts == 1 and .log[0].status == null and
		(.log[0].error | test(\"refused: 127.0.0.1 resolves to 127.0.0.1, a loopback address\"))" &&
	! has /private 1
'

test_done
