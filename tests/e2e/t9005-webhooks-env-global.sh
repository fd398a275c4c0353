#!/bin/bash
# Webhooks beyond the template (issue 9 point 5): an Environment's
# notify: and the global hooks of a `kind: Webhooks` catalog document
# receive signed CloudEvents for runs, each URL once per event even when
# several lists name it; the SSRF guard holds for them as for templates;
# bad hooks are refused with their position when the catalog is linted.
. "$(dirname "$0")/test-lib.sh"

start_hook_receiver
cat >verify.py <<'PY'
import hmac, hashlib, json, sys
rec = json.loads(sys.stdin.readline())
want = "sha256=" + hmac.new(sys.argv[1].encode(), rec["body"].encode(), hashlib.sha256).hexdigest()
sys.exit(0 if hmac.compare_digest(want, rec["sig"] or "") else 1)
PY
HOOK=http://127.0.0.1:$PORT

mkdir -p cat/templates
write_file cat/environments.yaml <<YAML
apiVersion: vend/v1
kind: Environment
metadata: {name: qa}
spec:
  notify:
    - {url: "$HOOK/env", secret: env-secret, events: [failed, succeeded], allow_private: true}
    - {url: "$HOOK/env-private", secret: x}
YAML
write_file cat/webhooks.yaml <<YAML
apiVersion: vend/v1
kind: Webhooks
metadata: {name: platform}
spec:
  notify:
    - {url: "$HOOK/global", secret: global-secret, allow_private: true}
YAML
write_file cat/templates/job.yaml <<YAML
apiVersion: vend/v1
kind: Template
metadata: {name: job}
spec:
  parameters:
    fail: {type: boolean, default: false}
    environment: {type: string, enum: [qa, none], default: qa}
  environment: "\${{ params.environment }}"
  steps:
    - name: work
      run: test "\$PARAM_FAIL" = false
  notify:
    # the global hook's URL again: it still gets each event once
    - {url: "$HOOK/global", secret: tpl-secret, events: [failed], allow_private: true}
YAML

# got PATH: the requests the receiver got on PATH, one JSON a line.
got() {
	cat hooks/*.json 2>/dev/null | jq -c --arg p "$1" 'select(.path == $p)'
}
has() {
	test "$(got "$1" | wc -l)" -ge "$2"
}
event_of() { # event_of PATH RUN_ID STATE: that run's event on PATH
	got "$1" | jq -c --argjson id "$2" --arg t "dev.vend.run.$3" 'select((.body | fromjson) as $b | $b.data.id == $id and $b.type == $t)'
}

test_expect_success 'template lint checks notify: of Environment and Webhooks documents' '
	vend template lint cat/environments.yaml cat/webhooks.yaml &&
	printf "apiVersion: vend/v1\nkind: Webhooks\nmetadata: {name: w}\nspec:\n  notify:\n    - {url: ftp://x, events: [done]}\n" >bad.yaml &&
	expect_exit 2 vend template lint bad.yaml >out 2>&1 ;
	grep -q "bad.yaml:6:13: spec.notify\[0\].url must be an http:// or https:// URL" out &&
	grep -q "bad.yaml:6:.*spec.notify\[0\].events\[0\] must be a run state" out &&
	printf "apiVersion: vend/v1\nkind: Webhooks\nmetadata: {name: w}\nspec: {hooks: []}\n" >bad2.yaml &&
	expect_exit 2 vend template lint bad2.yaml >out 2>&1 ;
	grep -q "unknown key" out && grep -q "spec.notify is required" out &&
	printf "apiVersion: vend/v1\nkind: Environment\nmetadata: {name: e}\nspec:\n  notify: {url: http://x}\n" >bad3.yaml &&
	expect_exit 2 vend template lint bad3.yaml >out 2>&1 ;
	grep -q "bad3.yaml:5:11: spec.notify must be a list" out
'

vend_up --catalog "$PWD/cat"

test_expect_success 'a failed run in qa: the environment hook and the global hook get a signed CloudEvent' '
	id=$(vend run job -p fail=true -o json | jq .id) &&
	wait_state "$id" failed &&
	wait_for 30 eval "event_of /env $id failed | grep -q ." &&
	wait_for 30 eval "event_of /global $id failed | grep -q ." &&
	event_of /env "$id" failed | head -1 | jq -r .body >env-event &&
	jq -e ".specversion == \"1.0\" and .data.id == $id and .data.environment == \"qa\" and .data.state == \"failed\"" env-event &&
	event_of /env "$id" failed | python3 verify.py env-secret &&
	! event_of /env "$id" failed | python3 verify.py global-secret &&
	event_of /global "$id" failed | head -1 | jq -r .body | jq -e ".type == \"dev.vend.run.failed\" and .data.template == \"job\""
'

test_expect_success 'a URL named by two lists gets the event once (the template'"'"'s secret first)' '
	wait_for 10 eval "run_field $id \".notifications | length\" | grep -qx 3" &&
	sleep 1 &&
	test "$(event_of /global "$id" failed | wc -l)" = 1 &&
	event_of /global "$id" failed | python3 verify.py tpl-secret &&
	run_json "$id" | jq -e "[.notifications[] | .url == \"$HOOK\" and .event == \"failed\"] == [true, true, true]"
'

test_expect_success 'the environment'"'"'s private hook without allow_private is refused' '
	wait_for 10 eval "run_json $id | jq -e \"[.notifications[].state] | sort == [\\\"delivered\\\", \\\"delivered\\\", \\\"failed\\\"]\"" &&
	run_json "$id" | jq -e ".notifications[] | select(.state == \"failed\") | .log[0].error | test(\"127.0.0.1 resolves to 127.0.0.1, a loopback address\")" &&
	! has /env-private 1
'

test_expect_success 'events: filters per hook; a run outside the environment reaches only the global hook' '
	id2=$(vend run job -o json | jq .id) &&
	wait_state "$id2" succeeded &&
	wait_for 30 eval "event_of /env $id2 succeeded | grep -q ." &&
	wait_for 30 eval "event_of /global $id2 succeeded | grep -q ." &&
	event_of /global "$id2" succeeded | python3 verify.py global-secret &&
	id3=$(vend run job -p environment=none -o json | jq .id) &&
	wait_state "$id3" succeeded &&
	wait_for 30 eval "event_of /global $id3 succeeded | grep -q ." &&
	wait_for 10 eval "run_field $id3 \".notifications | length\" | grep -qx 1" &&
	sleep 1 &&
	! event_of /env "$id3" succeeded | grep -q . &&
	run_json "$id3" | jq -e ".notifications[0].state == \"delivered\""
'

test_done
