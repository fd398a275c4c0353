#!/bin/bash
# Chaos on SQLite: kill -9 of `vend up` at random moments under load,
# restart, and check the invariants (issue 5): every acknowledged run
# exists; every run ends, or progresses, within a lease; no step that is
# not idempotent ran twice; no lock is left held.
#
#   VEND_CHAOS_ITERATIONS=500 sh tests/e2e/t5010-chaos-sqlite.sh
#
# make check also runs it on PostgreSQL (t5010-chaos-sqlite@pg).
. "$(dirname "$0")/test-lib.sh"

ITER=${VEND_CHAOS_ITERATIONS:-50}
LOG=$(share_file effects)
: >acked

vend_up --lease 2s
say "$ITER kill -9 cycles"
test_expect_success "$ITER cycles of load and kill -9" '
	for i in $(seq 1 "$ITER"); do
		for k in 1 2 3; do
			id=$(vend run effect -p log="$LOG" -p seconds=0.$((RANDOM % 4)) \
				-p key=$((RANDOM % 2)) -o json 2>/dev/null | jq -r .id) &&
				echo "$id" >>acked
		done
		id=$(vend run effect-idempotent -p log="$LOG" -p seconds=0.$((RANDOM % 4)) -o json \
			2>/dev/null | jq -r .id) && echo "$id" >>acked
		sleep "0.$((RANDOM % 6))"
		vend_kill9
		vend_up --lease 2s || { say "restart $i failed"; down=1; break; }
	done &&
	test -z "${down:-}" &&
	test "$(wc -l <acked)" -ge "$ITER"
'

test_expect_success 'every acknowledged run exists and ends' '
	deadline=$(( $(date +%s) + 90 )) &&
	for id in $(cat acked); do
		until run_finished "$id"; do
			[ "$(date +%s)" -lt "$deadline" ] || { say "run $id stuck: $(run_field "$id" .state)"; exit 1; }
			sleep 0.1
		done
	done
'

test_expect_success 'runs that failed were interrupted, nothing else' '
	vend runs --limit 1000 -o json >runs.json &&
	jq -e "[.runs[] | select(.state != \"succeeded\") | .reason] | all(. == \"interrupted\" or . == \"runner lost\")" runs.json &&
	say "$(jq "[.runs[] | select(.state == \"succeeded\")] | length" runs.json) succeeded, $(jq "[.runs[] | select(.state != \"succeeded\")] | length" runs.json) interrupted"
'

test_expect_success 'no step that is not idempotent ran twice' '
	jq -r ".runs[] | select(.template == \"effect\") | .id" runs.json | sort >plain &&
	sort "$LOG" | uniq -c | awk "\$1 > 1 { print \$2 }" | sort >twice &&
	test -z "$(comm -12 plain twice)"
'

test_expect_success 'idempotent steps did run again after a crash' '
	jq -r ".runs[] | select(.template == \"effect-idempotent\") | .id" runs.json | sort >idem &&
	say "$(comm -12 idem twice | wc -l) idempotent runs were run more than once" &&
	jq -e "[.runs[] | select(.template == \"effect-idempotent\") | .state] | all(. == \"succeeded\")" runs.json
'

test_expect_success 'no lock is left held' '
	test "$(db_query "SELECT COUNT(*) FROM locks")" = 0
'

say "$(wc -l <acked) runs acknowledged, $(jq "[.runs[] | select(.state == \"succeeded\")] | length" runs.json) succeeded, $(jq "[.runs[] | select(.state != \"succeeded\")] | length" runs.json) interrupted, $(comm -12 idem twice | wc -l) idempotent steps re-run"
test_done
