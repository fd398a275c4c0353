#!/bin/bash
# vend server: the control plane alone; an admin token only for the first admin.
. "$(dirname "$0")/test-lib.sh"

vend_server --catalog "$E2E/catalog"

test_expect_success 'vend server writes server.url and the first admin token' '
	grep -q "^http://127.0.0.1:" "$VEND_DATA/server.url" &&
	test "$(stat -c %a "$VEND_DATA/admin.token")" = 600
'

test_expect_success 'without runners a run waits queued' '
	id=$(vend run echo -p msg=later -o json | jq .id) &&
	sleep 0.5 &&
	test "$(run_field "$id" .state)" = queued
'

test_expect_success 'a restart does not make another admin token' '
	token=$(cat "$VEND_DATA/admin.token") &&
	vend_stop &&
	rm "$VEND_DATA/admin.token" &&
	vend_server &&
	! test -e "$VEND_DATA/admin.token" &&
	VEND_TOKEN=$token vend runs -o json >/dev/null
'

test_expect_success 'vend server --runner runs it; the stored catalog still applies' '
	vend_stop &&
	vend_server --runner &&
	VEND_TOKEN=$token wait_state "$id" succeeded &&
	VEND_TOKEN=$token vend logs "$id" --raw | grep -q "^later$"
'

test_done
