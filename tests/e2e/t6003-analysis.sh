#!/bin/bash
# Analysis steps with the http provider: vend probes a baseline and a
# canary demo service and judges; a bad canary is rolled back.
. "$(dirname "$0")/test-lib.sh"

GOOD=$(free_port)
GOOD2=$(free_port)
ERRS=$(free_port)
SLOW=$(free_port)
LAGGY=$(free_port)
CLOSED=$(free_port)
L=$(share_file log)
LF=$(share_file log-fail)

test_expect_success 'set up: demo services and a server' '
	demo "$GOOD" --version 1 --latency-ms 5 --jitter-ms 2 &&
	demo "$GOOD2" --version 2 --latency-ms 5 --jitter-ms 2 &&
	demo "$ERRS" --version 2-errors --latency-ms 5 --jitter-ms 2 --error-rate 0.3 &&
	demo "$SLOW" --version 2-slow --latency-ms 60 --jitter-ms 2 &&
	demo "$LAGGY" --version 2-laggy --latency-ms 1000 &&
	vend_up
'

canary() { # BASELINE_PORT CANARY_PORT [TEMPLATE]
	vend run "${3:-canary}" -p baseline="http://127.0.0.1:$1/" -p canary="http://127.0.0.1:$2/" \
		-p log="$L" -o json | jq .id
}

test_expect_success 'a good canary passes and is promoted' '
	: >"$L" &&
	id=$(canary "$GOOD" "$GOOD2") &&
	wait_state "$id" succeeded 60 &&
	printf "deploy\npromote\n" | diff - "$L" &&
	run_json "$id" >run.json &&
	jq -e ".analysis.verdict == \"pass\" and .analysis.step == \"canary-analysis\" and
		.analysis.provider == \"http\"" run.json &&
	jq -e ".analysis.probes.canary.requests == 60 and .analysis.probes.baseline.requests == 60" run.json &&
	jq -e "[.analysis.metrics[].name] == [\"errors\", \"latency\"]" run.json &&
	jq -e ".analysis.metrics[1].test.method == \"mann-whitney\" and
		(.analysis.metrics[1].shift.lower | type) == \"number\"" run.json &&
	vend show "$id" >show &&
	grep -q "analysis:    pass (step canary-analysis, provider http)" show &&
	grep -q "latency: " show
'

test_expect_success 'a canary with errors fails the analysis and is rolled back' '
	: >"$L" &&
	id=$(canary "$GOOD" "$ERRS") &&
	wait_state "$id" rolled_back 60 &&
	printf "deploy\nrevert\n" | diff - "$L" &&
	run_field "$id" .reason >reason &&
	grep -q "step canary-analysis failed: analysis fail; errors: canary" reason &&
	grep -q "rolling back" reason &&
	run_json "$id" | jq -e ".analysis.verdict == \"fail\" and
		.analysis.metrics[0].verdict == \"fail\" and .analysis.probes.canary.codes[\"500\"] > 0" &&
	vend logs "$id" >log &&
	grep -q "analysis: 60/60 probes per side" log &&
	grep -q "analysis: verdict fail" log
'

test_expect_success 'a slower canary fails on latency' '
	: >"$L" &&
	id=$(canary "$GOOD" "$SLOW") &&
	wait_state "$id" rolled_back 60 &&
	run_json "$id" | jq -e ".analysis.metrics[1].verdict == \"fail\" and
		.analysis.metrics[1].rule == \"beyond_tolerance\" and .analysis.metrics[0].verdict == \"pass\"" &&
	run_field "$id" .reason | grep -q "latency: "
'

# LAGGY answers in 1 s: its analysis (60 probes, 4 at once) takes 15 s, long
# enough for a slow CLI to see it verifying and cancel it.
test_expect_success 'the run is verifying while the analysis runs, and can be canceled' '
	id=$(canary "$GOOD" "$LAGGY") &&
	wait_state "$id" verifying 30 &&
	step_is "$id" 1 running &&
	vend cancel "$id" >/dev/null &&
	wait_state "$id" canceled 15
'

test_expect_success 'an unreachable canary never passes' '
	: >"$L" &&
	id=$(canary "$GOOD" "$CLOSED") &&
	wait_state "$id" rolled_back 60 &&
	run_json "$id" | jq -e ".analysis.verdict != \"pass\" and
		.analysis.probes.canary.errors == 60 and .analysis.probes.canary.codes.transport == 60"
'

test_expect_success 'on_fail: fail ends the run failed, without rolling back' '
	L=$LF &&
	: >"$L" &&
	id=$(canary "$GOOD" "$ERRS" canary-soft) &&
	wait_state "$id" failed 60 &&
	run_field "$id" .reason | grep -q "(on_fail: fail)" &&
	! grep -q revert "$L"
'

test_expect_success 'on_fail: continue goes on after a failed analysis' '
	L=$SHARE/log &&
	: >"$L" &&
	id=$(canary "$GOOD" "$ERRS" canary-soft) &&
	wait_state "$id" succeeded 60 &&
	step_is "$id" 0 skipped &&
	grep -q after "$L" &&
	run_json "$id" | jq -e ".analysis.verdict == \"fail\" and .analysis.step == \"check-continue\"" &&
	vend logs "$id" | grep -q "going on (on_fail: continue)"
'

test_expect_success 'a bad analysis spec is refused at load with its line' '
	write_file bad/templates/bad.yaml <<-\EOT &&
	apiVersion: vend/v1
	kind: Template
	metadata: {name: bad}
	spec:
	  steps:
	    - name: a
	      run: echo no
	      analysis:
	        provider: http
	        baseline: {url: "ftp://x"}
	        canary: {url: "${{ params.nope"}
	        requests: 5
	        latency: {alpha: 2}
	EOT
	expect_exit 2 vend template lint bad/templates/bad.yaml >out 2>&1 &&
	grep -q "bad.yaml:7:12: spec.steps\[0\]: an analysis step has no run" out &&
	grep -q "bad.yaml:10:25: spec.steps\[0\].analysis.baseline.url must start with http:// or https://" out &&
	grep -q "bad.yaml:11:24: spec.steps\[0\].analysis.canary.url: unterminated" out &&
	grep -q "bad.yaml:12:19: spec.steps\[0\].analysis.requests must be an integer from 10 to 10000" out &&
	grep -q "bad.yaml:13:26: spec.steps\[0\].analysis.latency.alpha must be a number" out
'

test_done
