# Two servers on one PostgreSQL database, runners with the `pool` label, and
# runs whose step appends its run id to a shared file: the set-up of the
# cluster kill and restart tests (t5011, t5016), sourced after test-lib.sh.
#
#   va ARGS / vb ARGS          vend against server A / server B (A's admin token)
#   append_template SECONDS    the `append` template, its step sleeping SECONDS
#   pool_runner NAME DATA N    a `vend runner` of server DATA, N at once;
#                              its pid in $RUNNER_PID
#   submit va|vb COUNT         COUNT runs of `append`, their ids added to ids[]
#   check_appended             once every run in ids[] has ended: none ran
#                              its step twice and every succeeded one did run
#                              it; leaves runs.json, succeeded, failed (the
#                              reasons) and $TEST_DIR/figures

A=$TEST_DIR/a
B=$TEST_DIR/b
OUT=$(share_file appended)
ids=()

va() { VEND_DATA=$A vend "$@"; }
vb() { VEND_DATA=$B VEND_TOKEN=$(cat "$A/admin.token") vend "$@"; }

append_template() {
	write_file "$TEST_DIR/catalog/templates/append.yaml" <<-EOT
	apiVersion: vend/v1
	kind: Template
	metadata: {name: append}
	spec:
	  labels: [pool]
	  parameters:
	    file: {type: string, required: true}
	  steps:
	    - name: append
	      run: echo "\$VEND_RUN_ID" >>"\$PARAM_FILE"; sleep $1
	EOT
}

pool_runner() {
	va token create "$1" --role runner >"$TEST_DIR/$1.token" &&
	VEND_DATA=$2 vend_runner --name "$1" --labels pool --concurrency "$3" \
		--work "$TEST_DIR/$1" --token-file "$TEST_DIR/$1.token"
}

submit() {
	local fn=$1 i id
	for i in $(seq 1 "$2"); do
		id=$($fn run append -p file="$OUT" -o json | jq .id) || return 1
		ids+=("$id")
	done
}

# every_run_ended: whether every run of ids[] is in a terminal state.
every_run_ended() {
	vb runs -o json --limit 1000 >runs.json &&
	jq -e "[.runs[] | select(.template == \"append\") |
		select(.state == \"succeeded\" or .state == \"failed\")] | length == ${#ids[@]}" \
		runs.json >/dev/null
}

check_appended() {
	wait_for 120 every_run_ended &&
	sort "$OUT" | uniq -d >twice &&
	test ! -s twice &&
	jq -r ".runs[] | select(.template == \"append\" and .state == \"succeeded\") | .id" \
		runs.json | sort >succeeded &&
	sort -u "$OUT" >appended &&
	comm -23 succeeded appended >missing &&
	test ! -s missing &&
	jq -r ".runs[] | select(.template == \"append\" and .state == \"failed\") | .reason" \
		runs.json >failed &&
	echo "# ${#ids[@]} runs: $(wc -l <succeeded) succeeded, $(wc -l <failed) failed" \
		"($(sort failed | uniq -c | sed "s/^ *//" | tr "\n" ";")), $(wc -l <appended)" \
		"side effects, none twice" >"$TEST_DIR/figures"
}
