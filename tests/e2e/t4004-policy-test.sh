#!/bin/bash
# vend policy test / eval: policy unit tests without a server. The example
# policies pass their tests; a broken expectation fails with exit 1 and
# names the case; an invalid policy is exit 2 with file:line:col.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'the example policies pass their tests' '
	vend policy test "$TOP/examples/policies" >out &&
	cat out &&
	grep -q "^ok   prod-guardrails/one-replica-in-prod-denied$" out &&
	grep -q "^ok   runbook-safety/deleting-logs-needs-sre$" out &&
	tail -1 out | grep -q "^[0-9]* passed, 0 failed" &&
	! grep -q FAIL out
'

test_expect_success 'the examples lint clean, policies and tests included' '
	vend template lint "$TOP"/examples/policies/*.yaml "$TOP"/examples/policies/tests/*.yaml
'

test_expect_success '-o json gives every case with its decisions' '
	vend policy test -o json "$TOP/examples/policies" >out.json &&
	jq -e ".failed == 0 and .passed == (.cases | length) and (.bundle | length) == 64" out.json &&
	jq -e "[.cases[] | select(.case == \"one-replica-in-prod-denied\")][0].result.denied" out.json
'

mkdir -p pol/tests
cp "$TOP"/examples/policies/*.yaml pol/
cp "$TOP"/examples/policies/tests/*.yaml pol/tests/

test_expect_success 'a broken expectation fails with exit 1 and names the case' '
	cat >pol/tests/broken.yaml <<-\YAML &&
	apiVersion: vend/v1
	kind: PolicyTest
	metadata: {name: broken}
	spec:
	  cases:
	    - name: prod-with-one-replica-passes
	      input:
	        run: {template: deploy-app, environment: prod, requester: eve}
	        params: {replicas: 1}
	        now: "2026-03-11T10:00:00Z"
	      expect: {deny: false, approval: "mallory"}
	    - name: staging-is-fine
	      input: {run: {environment: staging}}
	      expect: {deny: false}
	YAML
	expect_exit 1 vend policy test pol >out &&
	cat out &&
	grep -q "^FAIL broken/prod-with-one-replica-passes$" out &&
	grep -q "deny: expected no deny rule to fire, got deny prod-guardrails\[0\] \"prod needs at least 2 replicas (asked for 1)\"" out &&
	grep -q "approval: expected a fired require_approval decision whose message contains \"mallory\", got require_approval prod-guardrails\[1\] \"eve asks" out &&
	grep -q "^ok   broken/staging-is-fine$" out &&
	tail -1 out | grep -q " passed, 1 failed"
'

test_expect_success '--run picks cases by name' '
	vend policy test --run broken/staging pol >out &&
	grep -q "^ok   broken/staging-is-fine$" out &&
	test "$(grep -c "^ok" out)" = 1 &&
	expect_exit 2 vend policy test --run no-such-case pol 2>err &&
	grep -q "no case matches" err
'

test_expect_success 'an invalid policy is exit 2 with file:line:col' '
	rm pol/tests/broken.yaml &&
	cat >pol/bad.yaml <<-\YAML &&
	apiVersion: vend/v1
	kind: Policy
	metadata: {name: bad}
	spec:
	  rules:
	    - deny: "params.replicas < < 2"
	      message: x
	    - warn: "true"
	      mesage: y
	YAML
	expect_exit 2 vend policy test pol >out 2>err &&
	cat err &&
	grep -q "^pol/bad.yaml:6:32: spec.rules\[0\].deny: unexpected .<.$" err &&
	grep -q "^pol/bad.yaml:9:7: spec.rules\[1\]: unknown key \"mesage\"; did you mean \"message\"?" err &&
	expect_exit 2 vend template lint pol/bad.yaml >lint &&
	grep -q "^pol/bad.yaml:6:32: " lint
'

test_expect_success 'an invalid PolicyTest is exit 2 with file:line:col' '
	rm pol/bad.yaml &&
	cat >pol/tests/bad-test.yaml <<-\YAML &&
	apiVersion: vend/v1
	kind: PolicyTest
	metadata: {name: bad-test}
	spec:
	  cases:
	    - name: typo
	      input: {user: {role: [admin]}}
	      expect: {deny: true}
	YAML
	expect_exit 2 vend policy test pol 2>err &&
	grep -q "^pol/tests/bad-test.yaml:7:22: spec.cases\[0\].input.user: unknown key \"role\"; did you mean \"roles\"?" err
'

test_expect_success 'no PolicyTest at all is a usage error' '
	mkdir -p empty &&
	cp "$TOP/examples/policies/prod-guardrails.yaml" empty/ &&
	expect_exit 2 vend policy test empty 2>err &&
	grep -q "no kind: PolicyTest document under empty" err &&
	expect_exit 2 vend policy test nosuchdir 2>err &&
	grep -q nosuchdir err
'

test_expect_success 'policy eval prints the decisions; exit 1 when denied' '
	rm pol/tests/bad-test.yaml &&
	cat >in.json <<-\JSON &&
	{"run": {"template": "deploy-app", "environment": "prod", "requester": "alice"},
	 "params": {"replicas": 1, "version": "1.4.3"}, "now": "2026-03-13T10:00:00Z"}
	JSON
	expect_exit 1 vend policy eval --input in.json pol >out &&
	cat out &&
	grep -q "^deny      prod-guardrails\[0\]: prod needs at least 2 replicas (asked for 1)$" out &&
	grep -q "^approval  prod-guardrails\[1\]: alice asks to run deploy-app 1.4.3 in prod \[1 of role:approver; expires after 1d\]$" out &&
	grep -q "^warn      prod-guardrails\[2\]: it is Friday" out &&
	grep -q "^skipped   runbook-safety (match is false)$" out &&
	echo "{\"run\": {\"environment\": \"staging\"}}" | vend policy eval -o json --input - pol >out.json &&
	jq -e ".denied == false and (.decisions | length) == 8 and .errors == 0" out.json
'

test_expect_success 'policy eval names bad input fields' '
	echo "{\"user\": {\"teams\": \"sre\"}}" >bad.json &&
	expect_exit 2 vend policy eval --input bad.json pol 2>err &&
	grep -q "input.user.teams" err
'

test_expect_success 'help and usage' '
	vend policy --help | grep -q "kind: PolicyTest" &&
	vend policy test --help | grep -q "Exit status" &&
	expect_exit 2 vend policy frobnicate 2>/dev/null &&
	expect_exit 2 vend policy test 2>/dev/null
'

test_done
