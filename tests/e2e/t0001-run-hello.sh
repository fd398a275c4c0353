#!/bin/bash
# The newcomer's path: vend up with the example catalog, run hello, read its log.
. "$(dirname "$0")/test-lib.sh"

vend_up --catalog "$TOP/examples"

test_expect_success 'vend up wrote server.url and a 0600 admin token' '
	grep -q "^http://127.0.0.1:[0-9]*$" "$VEND_DATA/server.url" &&
	test "$(stat -c %a "$VEND_DATA/admin.token")" = 600 &&
	grep -q "^vend_" "$VEND_DATA/admin.token"
'

if test_backend sqlite; then
	test_expect_success 'the store is SQLite in WAL mode' '
		test "$(sqlite3 "$VEND_DATA/vend.db" "PRAGMA journal_mode")" = wal
	'
else
	test_skip 'the store is SQLite in WAL mode' 'SQLite only'
	test_expect_success 'the store is the PostgreSQL database of VEND_DB, migrated' '
		grep -q "store postgres" server.log &&
		test ! -e "$VEND_DATA/vend.db" &&
		test "$(db_query "SELECT value FROM meta WHERE key = '\''schema_version'\''")" -ge 1
	'
fi

test_expect_success 'vend run hello --wait succeeds' '
	vend run hello -p name=world --wait >out &&
	grep -q "succeeded" out
'

test_expect_success 'vend logs shows hello, world' '
	id=$(vend runs -o json | jq ".runs[0].id") &&
	vend logs "$id" >log &&
	grep -q "^\[greet\] hello, world$" log &&
	vend logs "$id" --raw >raw &&
	test "$(cat raw)" = "hello, world"
'

test_expect_success 'the run JSON has the fields of DESIGN §6' '
	vend show "$id" -o json >run.json &&
	for f in id template version state reason params requester created_at finished_at \
		environment lock trace_id break_glass steps decisions approvals analysis; do
		jq -e "has(\"$f\")" run.json >/dev/null || { echo "missing $f"; exit 1; }
	done &&
	jq -e ".state == \"succeeded\" and .template == \"hello\" and .params.name == \"world\"" run.json &&
	jq -e ".steps[0] | .name == \"greet\" and .state == \"succeeded\" and .exit_code == 0 and .attempts == 1 and (.runner | startswith(\"embedded-\"))" run.json &&
	jq -e "(.trace_id | length) == 32 and (.version | length) == 64" run.json
'

test_expect_success 'the run pins the template version it used' '
	v=$(vend template show hello -o json | jq -r .version) &&
	test "$(jq -r .version run.json)" = "$v"
'

test_expect_success 'vend runs lists it; vend show renders it' '
	vend runs >list &&
	grep -q "hello.*succeeded" list &&
	vend show "$id" >show &&
	grep -q "greet.*succeeded" show
'

test_expect_success 'a clean shutdown on SIGTERM removes server.url' '
	vend_stop &&
	! test -e "$VEND_DATA/server.url"
'

test_expect_success 'runs survive a restart' '
	vend_up --catalog "$TOP/examples" &&
	test "$(run_field "$id" .state)" = succeeded
'

# Its runner waits for work in a long poll of 25 s that it makes inside
# the process: SIGTERM ends that wait too (normally in milliseconds).
test_expect_success 'an idle vend up stops at once on SIGTERM' '
	sleep 1 &&
	start=$(date +%s) &&
	vend_stop &&
	test $(( $(date +%s) - start )) -lt 10
'

test_done
