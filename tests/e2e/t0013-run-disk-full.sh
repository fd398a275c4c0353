#!/bin/bash
# The disk that holds the data directory fills up (SQLite on a small
# tmpfs): a request that must write is refused with 507 and says what to
# do, reads still answer, a step that ends meanwhile reports once there is
# room again, and once there is room every request works, with no restart
# and nothing acknowledged lost. SQLite only; needs root to mount the
# tmpfs (make check runs as root, as CI does).
. "$(dirname "$0")/test-lib.sh"

if ! test_backend sqlite; then
	echo "1..0 # SKIP SQLite only (PostgreSQL keeps its own disk)"
	exit 0
fi
DISK=$TEST_DIR/disk
mkdir -p "$DISK"
if ! mount -t tmpfs -o size=16m,mode=0755 vend-test "$DISK" 2>/dev/null; then
	echo "1..0 # SKIP cannot mount a tmpfs (not root?)"
	exit 0
fi
trap 'vend_stop; umount -l "$DISK" 2>/dev/null; cleanup' EXIT
export VEND_DATA=$DISK/data

fill() {
	dd if=/dev/zero of="$DISK/filler" bs=64k 2>/dev/null
	test "$(df --output=avail "$DISK" | tail -1)" -lt 64
}

test_expect_success 'vend up with its data on a 16 MiB disk; a run' '
	vend_up &&
	first=$(vend run echo -p msg=first -o json | jq .id) &&
	wait_state "$first" succeeded
'

test_expect_success 'the disk fills while a step runs: writes get 507 and say what to do' '
	slow=$(vend run slow -p seconds=3 -o json | jq .id) &&
	wait_for 20 step_is "$slow" 0 running &&
	fill &&
	! vend run echo -p msg=refused >out 2>err &&
	cat err &&
	grep "the disk that holds the database is full; free space there and try again" err &&
	curl -s -o /dev/null -w "%{http_code}" -X POST \
		-H "Authorization: Bearer $(cat "$VEND_DATA/admin.token")" \
		-H "Content-Type: application/json" -d "{\"template\": \"echo\", \"params\": {\"msg\": \"x\"}}" \
		"$(cat "$VEND_DATA/server.url")/api/v1/runs" >status &&
	test "$(cat status)" = 507 &&
	vend runs >/dev/null &&
	test "$(run_field "$first" .state)" = succeeded
'

test_expect_success 'room again: the step that ended meanwhile reports, new runs work, no restart' '
	sleep 4 &&
	rm -f "$DISK/filler" &&
	wait_state "$slow" succeeded 20 &&
	vend logs "$slow" --raw | grep -q "^done$" &&
	id=$(vend run echo -p msg=after -o json | jq .id) &&
	wait_state "$id" succeeded &&
	kill -0 "$VEND_PID" &&
	vend logs "$first" --raw | grep -q "^first$"
'

test_done
