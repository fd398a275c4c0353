#!/bin/bash
# Locks: runs with the same lock key run one at a time, first come first
# served, with their place in line visible; released on every end, also
# after a crash.
. "$(dirname "$0")/test-lib.sh"

vend_up --concurrency 4
LOG=$SHARE/holds

test_expect_success 'five runs on one key never overlap and go in FIFO order' '
	ids="" &&
	for i in 1 2 3 4 5; do
		ids="$ids $(vend run locked -p key=k1 -p log="$LOG" -p seconds=0.4 -o json | jq .id)"
	done &&
	for id in $ids; do wait_state "$id" succeeded 30 || exit 1; done &&
	test "$(grep -c ^start "$LOG")" = 5 &&
	awk "{ if (\$1 == \"start\") { if (open) exit 1; open = 1 } else { open = 0 } } END { exit open }" "$LOG" &&
	test "$(grep ^start "$LOG" | cut -d" " -f2 | tr "\n" " ")" = "$(echo $ids) "
'

test_expect_success 'waiting runs show their place in line' '
	: >"$LOG" &&
	a=$(vend run locked -p key=k2 -p log="$LOG" -p seconds=8 -o json | jq .id) &&
	b=$(vend run locked -p key=k2 -p log="$LOG" -p seconds=0.1 -o json | jq .id) &&
	c=$(vend run locked -p key=k2 -p log="$LOG" -p seconds=0.1 -o json | jq .id) &&
	wait_state "$a" running &&
	test "$(run_field "$b" .lock_position)" = 2 &&
	test "$(run_field "$c" .lock_position)" = 3 &&
	test "$(run_field "$a" .lock_position)" = 0 &&
	vend show "$c" | grep -q "waiting:     for lock k2, position 3" &&
	wait_state "$c" succeeded 30
'

test_expect_success 'another key runs at the same time' '
	: >"$LOG" &&
	a=$(vend run locked -p key=k3 -p log="$LOG" -p seconds=4 -o json | jq .id) &&
	b=$(vend run locked -p key=k4 -p log="$LOG" -p seconds=4 -o json | jq .id) &&
	wait_state "$a" succeeded && wait_state "$b" succeeded &&
	test "$(head -2 "$LOG" | cut -d" " -f1 | tr "\n" " ")" = "start start "
'

test_expect_success 'a failed or canceled holder releases the lock' '
	a=$(vend run locked -p key=k5 -p log="$LOG" -p seconds=0.1 -p fail=true -o json | jq .id) &&
	b=$(vend run locked -p key=k5 -p log="$LOG" -p seconds=30 -o json | jq .id) &&
	c=$(vend run locked -p key=k5 -p log="$LOG" -p seconds=0.1 -o json | jq .id) &&
	wait_state "$a" failed &&
	wait_state "$b" running &&
	vend cancel "$b" >/dev/null &&
	wait_state "$c" succeeded
'

test_expect_success 'after a crash the lock is free again for the next run' '
	a=$(vend run locked -p key=k6 -p log="$LOG" -p seconds=60 -o json | jq .id) &&
	b=$(vend run locked -p key=k6 -p log="$LOG" -p seconds=0.1 -o json | jq .id) &&
	wait_state "$a" running &&
	test "$(run_field "$b" .state)" = queued &&
	vend_kill9 &&
	vend_up --concurrency 4 &&
	wait_state "$a" failed &&
	test "$(run_field "$a" .reason)" = interrupted &&
	wait_state "$b" succeeded
'

test_done
