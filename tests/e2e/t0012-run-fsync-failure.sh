#!/bin/bash
# A failed fsync is final (docs/architecture.md): once the disk has
# refused to sync the write-ahead log, pages it reported written may be
# lost, and a later fsync that succeeds would not say so. So vend
# acknowledges nothing more: every write is answered 503 with why and what
# to do (restart), reads still answer, /readyz says not ready (a load
# balancer sends work elsewhere), and after the restart every run that was
# acknowledged is there and runs. SQLite only (PostgreSQL syncs its own
# WAL). A shim (lib/fail_fsync.c, LD_PRELOAD) makes fsync fail on demand.
. "$(dirname "$0")/test-lib.sh"

if ! test_backend sqlite; then
	echo "1..0 # SKIP SQLite only (vend syncs the WAL itself there)"
	exit 0
fi

TRIGGER=$TEST_DIR/fail-fsync

test_expect_success 'vend up with fsync failing on demand' '
	cc -shared -fPIC -O2 -o "$TEST_DIR/fail_fsync.so" "$E2E/lib/fail_fsync.c" -ldl &&
	asan=$(ldd "$VEND_BIN" | awk "/libasan/ {print \$3}") &&
	LD_PRELOAD="${asan:+$asan }$TEST_DIR/fail_fsync.so" VEND_TEST_FAIL_FSYNC=$TRIGGER \
		vend_up &&
	before=$(vend run echo -p msg=before -o json | jq .id) &&
	wait_state "$before" succeeded
'

test_expect_success 'the disk fails a sync: the write is refused with why and what to do' '
	touch "$TRIGGER" &&
	! vend run echo -p msg=lost >out 2>err &&
	cat err &&
	grep "503\|unavailable" err &&
	grep "the database is unavailable: an fsync of its write-ahead log failed (Input/output error)" err &&
	grep "restart the server" err
'

test_expect_success 'it stays refused once the disk syncs again; reads still answer' '
	rm -f "$TRIGGER" &&
	! vend run echo -p msg=still -o json >out 2>err &&
	grep "restart the server" err &&
	test "$(run_field "$before" .state)" = succeeded &&
	curl -s -D headers -o /dev/null -X POST -H "Authorization: Bearer $(cat "$VEND_DATA/admin.token")" \
		-H "Content-Type: application/json" -d "{\"template\": \"echo\", \"params\": {\"msg\": \"x\"}}" \
		"$(cat "$VEND_DATA/server.url")/api/v1/runs" &&
	grep "^HTTP/1.1 503" headers &&
	grep -i "^Retry-After: 2" headers &&
	curl -s -w "%{http_code}\n" "$(cat "$VEND_DATA/server.url")/readyz" >ready &&
	cat ready &&
	grep -q "restart the server" ready &&
	test "$(tail -1 ready)" = 503 &&
	curl -sf "$(cat "$VEND_DATA/server.url")/healthz"
'

test_expect_success 'after a restart, writes work and every acknowledged run is there' '
	vend_stop &&
	vend_up &&
	after=$(vend run echo -p msg=after -o json | jq .id) &&
	wait_state "$after" succeeded &&
	test "$(run_field "$before" .state)" = succeeded &&
	vend logs "$before" --raw | grep -q "^before$"
'

test_done
