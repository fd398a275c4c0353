#!/bin/bash
# Two servers and three runners on one PostgreSQL database (issue 5, 5a):
# 200 runs whose step appends its run id to a bound file; half way, one
# server and one runner die by SIGKILL. Every run still ends, and no step's
# side effect happens twice. PostgreSQL only.
. "$(dirname "$0")/test-lib.sh"

if ! test_backend postgres; then
	echo "1..0 # SKIP PostgreSQL only (make check runs it as t5011-cluster-kill-pg@pg)"
	exit 0
fi

A=$TEST_DIR/a
B=$TEST_DIR/b
OUT=$(share_file appended)
N=${VEND_CLUSTER_RUNS:-200}
va() { VEND_DATA=$A vend "$@"; }
vb() { VEND_DATA=$B VEND_TOKEN=$(cat "$A/admin.token") vend "$@"; }

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
      run: echo "$VEND_RUN_ID" >>"$PARAM_FILE"; sleep 0.05
EOT

# runner NAME SERVER_DATA: a `vend runner` with the pool label; its pid in $RUNNER_PID.
runner() {
	va token create "$1" --role runner >"$TEST_DIR/$1.token" &&
	VEND_DATA=$2 vend_runner --name "$1" --labels pool --concurrency 4 --work "$TEST_DIR/$1" \
		--token-file "$TEST_DIR/$1.token"
}

test_expect_success 'two servers on one database, three runners' '
	VEND_DATA=$A vend_server --catalog "$TEST_DIR/catalog" --lease 2s &&
	A_PID=$VEND_PID &&
	VEND_DATA=$B vend_server --lease 2s &&
	B_PID=$VEND_PID &&
	runner r1 "$A" && R1=$RUNNER_PID &&
	runner r2 "$B" && R2=$RUNNER_PID &&
	runner r3 "$B" && R3=$RUNNER_PID
'

ids=()
submit() { # SERVER_FN COUNT
	local fn=$1 i id
	for i in $(seq 1 "$2"); do
		id=$($fn run append -p file="$OUT" -o json | jq .id) || return 1
		ids+=("$id")
	done
}

test_expect_success "$N runs; SIGKILL of server A and runner r1 half way" '
	submit va $((N / 4)) && submit vb $((N / 4)) &&
	kill -KILL "$A_PID" "$R1" && wait "$A_PID" "$R1" 2>/dev/null;
	submit vb $((N / 2)) &&
	test "${#ids[@]}" = "$N"
'

test_expect_success 'every run ends; none ran its step twice' '
	wait_all() {
		vb runs -o json --limit 1000 >runs.json &&
		jq -e "[.runs[] | select(.template == \"append\") |
			select(.state == \"succeeded\" or .state == \"failed\")] | length == $N" runs.json >/dev/null
	} &&
	wait_for 120 wait_all &&
	sort "$OUT" | uniq -d >twice &&
	test ! -s twice &&
	jq -r ".runs[] | select(.template == \"append\" and .state == \"succeeded\") | .id" runs.json | sort >succeeded &&
	sort -u "$OUT" >appended &&
	comm -23 succeeded appended >missing &&
	test ! -s missing &&
	jq -r ".runs[] | select(.template == \"append\" and .state == \"failed\") | .reason" runs.json |
		sort | uniq -c >reasons &&
	echo "# $N runs: $(wc -l <succeeded) succeeded, $(jq "[.runs[] | select(.template == \"append\" and .state == \"failed\")] | length" runs.json) failed ($(sed "s/^ *//" reasons | tr "\n" ";")), $(wc -l <appended) side effects, none twice" >"$TEST_DIR/figures" &&
	! grep -v -e "runner lost" -e "interrupted" reasons
'

[ -f "$TEST_DIR/figures" ] && cat "$TEST_DIR/figures"

test_done
