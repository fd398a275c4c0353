#!/bin/bash
# The database is one of the processes whose loss must lose no run (issue
# 5). Two servers and two runners on a PostgreSQL cluster of this script's
# own, which crashes while runs flow (an immediate shutdown: every
# connection drops, nothing is checkpointed, the next start replays the
# WAL) and starts again a few seconds later. Servers and runners keep
# running through it; a request during the outage is refused with 503 and
# says why; every run that was acknowledged ends, its step at most once;
# afterwards requests succeed at once, and a run requested on one server is
# taken by a runner long-polling the other (the wake-ups listen again).
# PostgreSQL only.
. "$(dirname "$0")/test-lib.sh"

if ! test_backend postgres; then
	echo "1..0 # SKIP PostgreSQL only (make check runs it as t5016-cluster-db-restart-pg@pg)"
	exit 0
fi

A=$TEST_DIR/a
B=$TEST_DIR/b
OUT=$(share_file appended)
PG=""
va() { VEND_DATA=$A vend "$@"; }
vb() { VEND_DATA=$B VEND_TOKEN=$(cat "$A/admin.token") vend "$@"; }
trap 'cleanup; [ -n "$PG" ] && "$TOP/scripts/pg.sh" stop "$PG"' EXIT

write_file "$TEST_DIR/catalog/templates/append.yaml" <<'EOT'
apiVersion: vend/v1
kind: Template
metadata: {name: append}
spec:
  labels: [pool]
  parameters:
    file: {type: string, required: true}
  steps:
    - name: append
      run: echo "$VEND_RUN_ID" >>"$PARAM_FILE"; sleep 0.3
EOT

runner() { # NAME SERVER_DATA
	va token create "$1" --role runner >"$TEST_DIR/$1.token" &&
	VEND_DATA=$2 vend_runner --name "$1" --labels pool --concurrency 2 --work "$TEST_DIR/$1" \
		--token-file "$TEST_DIR/$1.token"
}

ids=()
submit() { # SERVER_FN COUNT
	local fn=$1 i id
	for i in $(seq 1 "$2"); do
		id=$($fn run append -p file="$OUT" -o json | jq .id) || return 1
		ids+=("$id")
	done
}

# several requests at once, so that each server pools several connections
pool_up() {
	local pids=() i
	for i in 1 2 3 4 5 6; do
		va runs >/dev/null & pids+=($!)
		vb runs >/dev/null & pids+=($!)
	done
	wait "${pids[@]}"
}

alive() {
	kill -0 "$A_PID" "$B_PID" "$R1" "$R2"
}

test_expect_success 'a PostgreSQL cluster of its own; two servers, two runners' '
	PG=$("$TOP/scripts/pg.sh" start) &&
	VEND_TEST_PG=$("$TOP/scripts/pg.sh" url "$PG") &&
	VEND_DATA=$A vend_server --catalog "$TEST_DIR/catalog" &&
	A_PID=$VEND_PID &&
	VEND_DATA=$B vend_server &&
	B_PID=$VEND_PID &&
	runner r1 "$A" && R1=$RUNNER_PID &&
	runner r2 "$B" && R2=$RUNNER_PID &&
	submit va 10 && submit vb 10
'

test_expect_success 'the database crashes with steps running: requests get 503, nothing exits' '
	"$TOP/scripts/pg.sh" crash "$PG" &&
	! va run append -p file="$OUT" >out 2>err &&
	cat err &&
	grep "the database is unavailable: .*Connection refused; try again once it is back" err &&
	! vb runs >out 2>err &&
	grep "the database is unavailable" err &&
	curl -s -D headers -o /dev/null -H "Authorization: Bearer $(cat "$A/admin.token")" \
		"$(cat "$A/server.url")/api/v1/runs" &&
	grep -i "^HTTP/1.1 503" headers &&
	grep -i "^Retry-After: 2" headers &&
	test "$(curl -s -o ready -w "%{http_code}" "$(cat "$B/server.url")/readyz")" = 503 &&
	grep "the database is unavailable" ready &&
	sleep 3 &&
	alive
'

test_expect_success 'it starts again: the first requests succeed on both servers' '
	"$TOP/scripts/pg.sh" restart "$PG" &&
	for i in 1 2 3 4 5 6; do
		va runs >/dev/null && vb runs >/dev/null || return 1
	done &&
	submit va 10 && submit vb 10 &&
	alive
'

test_expect_success 'a quick restart while B is idle: the next requests succeed' '
	kill -TERM "$R2" && wait "$R2" 2>/dev/null;
	pool_up &&
	"$TOP/scripts/pg.sh" crash "$PG" &&
	"$TOP/scripts/pg.sh" restart "$PG" &&
	for i in 1 2 3 4 5 6; do
		vb runs >/dev/null && va runs >/dev/null || return 1
	done &&
	submit va 5 && submit vb 5
'

test_expect_success 'every acknowledged run ends, none ran its step twice' '
	N=${#ids[@]} &&
	wait_all() {
		vb runs -o json --limit 1000 >runs.json &&
		jq -e "[.runs[] | select(.state == \"succeeded\" or .state == \"failed\")] | length == $N" runs.json >/dev/null
	} &&
	wait_for 60 wait_all &&
	sort "$OUT" | uniq -d >twice &&
	test ! -s twice &&
	jq -r ".runs[] | select(.state == \"succeeded\") | .id" runs.json | sort >succeeded &&
	sort -u "$OUT" >appended &&
	comm -23 succeeded appended >missing &&
	test ! -s missing &&
	jq -r ".runs[] | select(.state == \"failed\") | \"\(.id) \(.reason)\"" runs.json >failed &&
	echo "# $N runs: $(wc -l <succeeded) succeeded, $(wc -l <failed) failed, $(wc -l <appended) side effects, none twice" &&
	cat failed &&
	test ! -s failed
'

test_expect_success 'wake-ups listen again: a run requested on B is taken at once by a runner on A' '
	start=$(date +%s%N) &&
	id=$(vb run append -p file="$OUT" -o json | jq .id) &&
	VEND_DATA=$A wait_for 10 run_finished "$id" &&
	ms=$(( ($(date +%s%N) - start) / 1000000 )) &&
	say "run $id requested on B, run by r1 on A, ended after $ms ms" &&
	test "$(VEND_DATA=$A run_field "$id" .state)" = succeeded &&
	test "$ms" -lt 5000
'

test_done
