#!/bin/bash
# Scheduled drift checks with two servers on one PostgreSQL database: both
# servers' timers see each fire time, and exactly one of them starts the
# check (a conditional UPDATE of the template's next_check_at), so no two
# scheduled checks fall in the same interval. PostgreSQL only.
. "$(dirname "$0")/test-lib.sh"

if ! test_backend postgres; then
	echo "1..0 # SKIP PostgreSQL only (make check runs it as t6203-drift-cluster-pg@pg)"
	exit 0
fi

A=$TEST_DIR/a
B=$TEST_DIR/b
va() { VEND_DATA=$A vend "$@"; }

cp -r "$E2E/catalog" cat
write_file cat/templates/ticking.yaml <<'YAML'
apiVersion: vend/v1
kind: Template
metadata: {name: ticking}
spec:
  steps:
    - {name: ok, run: "true"}
  drift:
    run: echo fine
    schedule: "@every 2s"
YAML

test_expect_success 'two servers with runners start on one database' '
	VEND_DATA=$A vend_up --catalog "$PWD/cat" &&
	VEND_DATA=$B vend_up --no-catalog
'

# scheduled: how many checks the schedule started.
scheduled() {
	db_query "SELECT COUNT(*) FROM drift_checks WHERE requester = 'scheduler'"
}

test_expect_success 'after a succeeded run, the schedule checks every 2 s' '
	id=$(va run ticking -o json | jq .id) &&
	VEND_DATA=$A wait_state "$id" succeeded 60 &&
	wait_for 120 eval "test \$(scheduled) -ge 6"
'

test_expect_success 'no fire time was checked twice (one server took each)' '
	db_query "SELECT created_at / 2000 AS slot, COUNT(*) FROM drift_checks
		WHERE requester = '"'"'scheduler'"'"' GROUP BY slot HAVING COUNT(*) > 1" >dups &&
	! test -s dups &&
	test "$(db_query "SELECT COUNT(*) FROM drift_checks WHERE state = '"'"'done'"'"'")" -ge 5
'

test_expect_success 'both servers report the same verdict' '
	va drift show ticking -o json | jq -e ".template == \"ticking\"" &&
	VEND_DATA=$B VEND_TOKEN=$(cat "$A/admin.token") vend drift show ticking -o json |
		jq -e ".template == \"ticking\""
'

test_done
