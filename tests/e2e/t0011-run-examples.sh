#!/bin/bash
# The shipped examples work on this machine, offline.
. "$(dirname "$0")/test-lib.sh"

vend_up --catalog "$TOP/examples"
FLEET="$SHARE/fleet"

test_expect_success 'deploy-app: a first deploy to two replicas' '
	vend run deploy-app -p service=shop -p version=1.0.0 -p target="$FLEET" --follow >out &&
	grep -q "first deploy of shop to staging" out &&
	grep -q "replica-2 ok" out &&
	test "$(cat "$FLEET/staging/shop/current/VERSION")" = 1.0.0
'

test_expect_success 'deploy-app: environment, lock and outputs are on the run' '
	id=$(vend runs -o json | jq ".runs[0].id") &&
	run_json "$id" >run.json &&
	jq -e ".environment == \"staging\" and .lock == \"shop/staging\"" run.json &&
	jq -e ".steps[] | select(.name == \"build\") | .outputs.digest | length == 64" run.json &&
	jq -e "[.steps[].phase] == [\"preflight\", \"main\", \"main\", \"main\", \"rollback\"]" run.json
'

test_expect_success 'deploy-app: an upgrade switches every replica' '
	vend run deploy-app -p service=shop -p version=1.0.1 -p target="$FLEET" -p replicas=3 --wait >/dev/null &&
	for r in 1 2 3; do
		test "$(cat "$FLEET/staging/shop/replica-$r/current/VERSION")" = 1.0.1 || exit 1
	done
'

test_expect_success 'deploy-app: the preflight refuses a downgrade; nothing changes' '
	expect_exit 1 vend run deploy-app -p service=shop -p version=0.9.0 -p target="$FLEET" --wait >out &&
	id=$(vend runs -o json | jq ".runs[0].id") &&
	run_field "$id" .reason | grep -q "preflight step check-version failed" &&
	test "$(run_field "$id" "[.steps[] | select(.phase == \"main\") | .state] | unique | .[0]")" = skipped &&
	test "$(cat "$FLEET/staging/shop/current/VERSION")" = 1.0.1
'

test_expect_success 'deploy-app: a drift check finds the replicas in sync' '
	vend drift check deploy-app -o json >drift &&
	jq -e ".drifted == false" drift &&
	jq -r .report drift | grep -q "replica-3 ok"
'

test_expect_success 'deploy-app: a replica changed by hand is drift; reconcile repairs it' '
	echo 0.0.1 >"$FLEET/staging/shop/replica-2/current/VERSION" &&
	expect_exit 1 vend drift check deploy-app >out &&
	grep -q "replica-2 serves 0.0.1, not 1.0.1" out &&
	rid=$(vend drift reconcile deploy-app -o json | jq .id) &&
	wait_state "$rid" succeeded 120 &&
	test "$(run_field "$rid" .params.version)" = 1.0.1 &&
	vend drift check deploy-app -o json | jq -e ".drifted == false"
'

test_expect_success 'rotate-logs: a dry run changes nothing' '
	mkdir -m 0777 "$SHARE/logs" && ln -s "$SHARE/logs" logs &&
	echo old >logs/a.log && touch -d "3 days ago" logs/a.log &&
	echo older >logs/b.log.gz && touch -d "30 days ago" logs/b.log.gz &&
	echo live >logs/c.log &&
	vend run rotate-logs -p dir="$SHARE/logs" --follow >out &&
	grep -q "would compress .*a.log" out &&
	grep -q "would delete .*b.log.gz" out &&
	test -f logs/a.log && test -f logs/b.log.gz
'

test_expect_success 'rotate-logs: for real it needs an SRE, then compresses and prunes' '
	SRE=$(vend token create rita --role approver --team sre 2>/dev/null) &&
	id=$(vend run rotate-logs -p dir="$SHARE/logs" -p dry_run=false -o json | jq .id) &&
	wait_state "$id" awaiting_approval &&
	VEND_TOKEN=$SRE vend approve "$id" >/dev/null &&
	vend logs -f "$id" >out &&
	test -f logs/a.log.gz && ! test -f logs/a.log &&
	! test -f logs/b.log.gz &&
	test -f logs/c.log
'

test_expect_success 'rotate-logs: a paging LogDiskFull alert requests it for real, for approval' '
	cat >alert.json <<-JSON &&
	{"version": "4", "groupKey": "{}:{alertname=\\"LogDiskFull\\"}", "status": "firing",
	 "alerts": [{"status": "firing", "fingerprint": "0f1e2d3c",
	   "labels": {"alertname": "LogDiskFull", "log_dir": "$SHARE/logs", "severity": "page"},
	   "annotations": {"summary": "log disk 95% full"}}]}
	JSON
	curl -sf -X POST -H "Authorization: Bearer $(cat "$VEND_DATA/admin.token")" \
		-H "Content-Type: application/json" --data-binary @alert.json \
		"$(cat "$VEND_DATA/server.url")/api/v1/hooks/alertmanager" >resp &&
	jq -e ".started[0].template == \"rotate-logs\"" resp &&
	aid=$(jq ".started[0].run" resp) &&
	wait_state "$aid" awaiting_approval &&
	test "$(run_field "$aid" .params.dry_run)" = false &&
	test "$(run_field "$aid" .params.dir)" = "$SHARE/logs"
'

test_expect_success 'hello greets' '
	vend run hello -p name=vend --follow | grep -q "hello, vend"
'

test_done
