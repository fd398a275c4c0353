#!/bin/bash
# Two servers on one PostgreSQL database, both firing schedules: each fire
# time of a schedule becomes exactly one run (the servers claim it with a
# conditional UPDATE in the run's transaction, so the one that loses the
# race creates nothing).
# PostgreSQL only.
. "$(dirname "$0")/test-lib.sh"

if ! test_backend postgres; then
	echo "1..0 # SKIP PostgreSQL only (make check runs it as t7011-ops-schedule-cluster-pg@pg)"
	exit 0
fi

A=$TEST_DIR/a
B=$TEST_DIR/b
ona() { VEND_DATA=$A "$@"; }
onb() { VEND_DATA=$B VEND_TOKEN=$(cat "$A/admin.token") "$@"; }

cp -r "$E2E/catalog" "$TEST_DIR/catalog"
write_file "$TEST_DIR/catalog/templates/tick.yaml" <<'EOF2'
apiVersion: vend/v1
kind: Template
metadata: {name: tick}
spec:
  schedule: "@every 1s"
  steps:
    - name: say
      run: echo tick
EOF2

test_expect_success 'two servers on one database fire one schedule' '
	start=$(date +%s) &&
	VEND_DATA=$A vend_up --catalog "$TEST_DIR/catalog" &&
	VEND_DATA=$B vend_up --no-catalog &&
	sleep 12 &&
	ona vend runs --template tick --limit 1000 -o json >runs.json &&
	end=$(date +%s) &&
	n=$(jq ".runs | length" runs.json) &&
	say "$n runs in about $((end - start)) s" &&
	test "$n" -ge 5
'

test_expect_success 'no fire time has two runs' '
	db_query "SELECT idempotency_key FROM runs WHERE requester = '\''scheduler'\''" >keys &&
	test "$(wc -l <keys)" -ge 5 &&
	test "$(sort keys | uniq -d | wc -l)" = 0 &&
	n=$(jq ".runs | length" runs.json) &&
	# At most one run per second since A started (the first fire is the
	# first whole second after its catalog sync).
	test "$n" -le $((end - start + 1))
'

test_expect_success 'the scheduled runs ran, and either server shows them' '
	id=$(jq ".runs[-1].id" runs.json) &&
	ona vend show "$id" -o json | jq -e ".requester == \"scheduler\" and .state == \"succeeded\"" &&
	onb vend runs --template tick --limit 1000 -o json | jq -e ".runs | length >= 5"
'

test_done
