#!/bin/bash
# /metrics and delivery insights: after runs that succeed, fail, roll back,
# wait for an approval and fail a preflight, the Prometheus page passes
# promtool, counts them by template and state with bounded labels, and
# `vend insights` reports success rate, change failure rate and time to
# deploy from the store.
. "$(dirname "$0")/test-lib.sh"

# The test catalog and one template with a preflight step.
cp -r "$E2E/catalog" cat
write_file cat/templates/preflighted.yaml <<'YAML'
apiVersion: vend/v1
kind: Template
metadata: {name: preflighted}
spec:
  parameters:
    ok: {type: boolean, default: true}
  preflight:
    - name: check
      run: test "$PARAM_OK" = true
  steps:
    - name: go
      run: echo went
YAML
vend_up --catalog "$PWD/cat"
URL=$(cat "$VEND_DATA/server.url")
SAM=$(vend token create sam --role approver --role sre 2>/dev/null)
L=$(share_file log)

# metric NAME_AND_LABELS: its value on a fresh /metrics page, or nothing.
metric() {
	curl -sf "$URL/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}

test_expect_success 'runs of every outcome' '
	ok=$(vend run echo -p msg=hi --wait -o json | jq .id) &&
	bad=$(vend run fail -o json | jq .id) && wait_state "$bad" failed &&
	rb=$(vend run release -p fail_at=2 -p log="$L" -o json | jq .id) &&
	wait_state "$rb" rolled_back &&
	pf=$(vend run preflighted -p ok=false -o json | jq .id) && wait_state "$pf" failed &&
	pp=$(vend run preflighted --wait -o json | jq .id) &&
	g=$(vend run gated -o json | jq .id) && wait_state "$g" awaiting_approval &&
	VEND_TOKEN=$SAM "$VEND_BIN" approve "$g" >/dev/null && wait_state "$g" succeeded
'

test_expect_success '/metrics needs no token and passes promtool check metrics' '
	curl -sf -D headers "$URL/metrics" >metrics &&
	grep -qi "^content-type: text/plain; version=0.0.4" headers &&
	promtool check metrics <metrics
'

test_expect_success 'runs are counted by template and state' '
	wait_for 10 sh -c "curl -sf $URL/metrics | grep -q ^vend_runs_total{template=\\\"gated\\\",state=\\\"succeeded\\\"}" &&
	curl -sf "$URL/metrics" >metrics &&
	grep -q "^vend_runs_total{template=\"echo\",state=\"succeeded\"} 1$" metrics &&
	grep -q "^vend_runs_total{template=\"fail\",state=\"failed\"} 1$" metrics &&
	grep -q "^vend_runs_total{template=\"release\",state=\"rolled_back\"} 1$" metrics &&
	grep -q "^vend_runs_total{template=\"echo\",state=\"pending\"} 1$" metrics
'

test_expect_success 'histograms: run, deploy, rollback, step and approval times' '
	grep -q "^vend_run_duration_seconds_count{template=\"fail\",state=\"failed\"} 1$" metrics &&
	grep -q "^vend_time_to_deploy_seconds_bucket{template=\"echo\",le=\"+Inf\"} 1$" metrics &&
	grep -q "^vend_time_to_rollback_seconds_count{template=\"release\",outcome=\"rolled_back\"} 1$" metrics &&
	grep -q "^vend_step_duration_seconds_count{template=\"echo\",phase=\"main\",step=\"say\"} 1$" metrics &&
	grep -q "^vend_approval_wait_seconds_count{template=\"gated\",outcome=\"approved\"} 1$" metrics
'

test_expect_success 'preflight results, queue, runners and build info' '
	grep -q "^vend_preflight_total{template=\"preflighted\",result=\"failed\"} 1$" metrics &&
	grep -q "^vend_preflight_total{template=\"preflighted\",result=\"passed\"} 1$" metrics &&
	grep -q "^vend_queue_depth 0$" metrics &&
	grep -q "^vend_runners_connected 1$" metrics &&
	grep -q "^vend_runner_connected{runner=\"embedded-[0-9a-f]*\"} 1$" metrics &&
	grep -q "^vend_runner_last_heartbeat_timestamp_seconds{runner=" metrics &&
	grep -q "^vend_build_info{version=\".*\",store=\"$(test_backend postgres && echo postgres || echo sqlite)\"} 1$" metrics
'

test_expect_success 'labels are bounded: only known label names, no run ids or parameters' '
	grep -v "^#" metrics | grep -o "[a-z_]*=\"" | sort -u | tr -d "=\"" >names &&
	printf "%s\n" effect le outcome phase policy result runner state step store template version |
		sort >allowed &&
	comm -23 names allowed >extra && test ! -s extra &&
	! grep -q "msg=\|hi\"" metrics
'

test_expect_success 'break-glass runs and policy decisions are counted' '
	bg=$(vend run echo -p msg=urgent --break-glass "prod down" --wait -o json | jq .id) &&
	wait_for 10 sh -c "curl -sf $URL/metrics | grep -q ^vend_break_glass_total{template=\\\"echo\\\"}\ 1" &&
	curl -sf "$URL/metrics" | grep -q "^# TYPE vend_policy_decisions_total counter"
'

test_expect_success 'vend insights -o json: success rate, change failure rate, time to deploy' '
	vend insights -o json >ins &&
	jq -e ".window == \"30d\" and .overall.runs == 7 and .overall.deployments == 6" ins &&
	jq -e ".overall.succeeded == 4 and .overall.change_failure_rate > 0.33 and .overall.change_failure_rate < 0.34" ins &&
	jq -e ".overall.time_to_deploy_seconds.median >= 0 and .overall.time_to_deploy_seconds.p90 >= .overall.time_to_deploy_seconds.median" ins &&
	jq -e ".templates[] | select(.template == \"release\") | .time_to_rollback_seconds.count == 1 and .time_to_rollback_seconds.mean >= 0 and .change_failure_rate == 1" ins &&
	jq -e ".templates[] | select(.template == \"gated\") | .approval_wait_seconds.decided == 1" ins &&
	jq -e ".templates[] | select(.template == \"preflighted\") | .preflight.pass_rate == 0.5" ins &&
	jq -e ".overall.break_glass == 1 and .overall.deployment_frequency_per_day > 0" ins
'

test_expect_success 'vend insights: a table, one template, a window; a bad window is a usage error' '
	vend insights >table &&
	grep -q "^TEMPLATE" table && grep -q "^release " table && grep -q "^(all) " table &&
	vend insights --template echo --window 7d -o json |
		jq -e ".template == \"echo\" and .window == \"7d\" and (.templates | length) == 1 and .overall.runs == 2" &&
	expect_exit 2 vend insights --window soon 2>err && grep -q "window" err
'

test_done
