#!/bin/bash
# Two servers on one PostgreSQL database (docs/cluster.md): a run asked of
# one is visible through the other; a job queued through B wakes A's runner
# at once (LISTEN/NOTIFY, not its 25 s long poll); a catalog synced through
# A changes B's policies; SIGKILL of server A in
# the middle of its steps loses no run: B's timer sees the leases lapse,
# fails the plain step's run ("runner lost") and runs the idempotent step
# again on B's runner. PostgreSQL only.
. "$(dirname "$0")/test-lib.sh"

if ! test_backend postgres; then
	echo "1..0 # SKIP PostgreSQL only (make check runs it as t5001-cluster-pg@pg)"
	exit 0
fi

A=$TEST_DIR/a
B=$TEST_DIR/b
# Through server A or B. Tokens are rows of the shared database: A made
# the admin token; B, finding one, made none, and A's works through B.
ona() { VEND_DATA=$A "$@"; }
onb() { VEND_DATA=$B VEND_TOKEN=$(cat "$A/admin.token") "$@"; }
va() { ona vend "$@"; }
vb() { onb vend "$@"; }

# ms since the epoch of a run JSON timestamp ("2026-11-26T11:56:16.796Z").
ms() { date -u -d "$1" +%s%3N; }

# The e2e catalog, plus templates only A's runner (label a) or only B's
# (label b) may take.
cp -r "$E2E/catalog" "$TEST_DIR/catalog"
write_file "$TEST_DIR/catalog/templates/on-a.yaml" <<'EOF'
apiVersion: vend/v1
kind: Template
metadata: {name: on-a}
spec:
  labels: [a]
  steps:
    - name: say
      run: echo picked
EOF
write_file "$TEST_DIR/catalog/templates/hold-b.yaml" <<'EOF'
apiVersion: vend/v1
kind: Template
metadata: {name: hold-b}
spec:
  labels: [b]
  parameters:
    seconds: {type: integer, default: 5}
  steps:
    - name: hold
      run: sleep "$PARAM_SECONDS"
EOF

# The same catalog and a policy that switches echo off, synced later.
cp -r "$TEST_DIR/catalog" "$TEST_DIR/catalog2"
write_file "$TEST_DIR/catalog2/policies/no-echo.yaml" <<'EOF'
apiVersion: vend/v1
kind: Policy
metadata: {name: no-echo}
spec:
  match: "run.template == 'echo'"
  rules:
    - deny: "true"
      message: echo is switched off
EOF

# bundle DIR: the hash of the policy bundle the server of DIR enforces now.
bundle() {
	curl -s -H "Authorization: Bearer $(cat "$A/admin.token")" "$(cat "$1/server.url")/api/v1/policies" |
		jq -r .bundle
}

# b_enforces HASH: B enforces that bundle now (a function, so that
# wait_for asks B again on every try rather than once).
b_enforces() {
	test "$(bundle "$B")" = "$1"
}

test_expect_success 'two servers start on one database; B takes the stored catalog' '
	VEND_DATA=$A vend_up --catalog "$TEST_DIR/catalog" --labels a --lease 2s --concurrency 2 &&
	A_PID=$VEND_PID &&
	VEND_DATA=$B vend_up --no-catalog --labels b --lease 2s --concurrency 1 &&
	B_PID=$VEND_PID &&
	test "$(cat "$A/server.url")" != "$(cat "$B/server.url")" &&
	vb template list -o json | jq -e "[.templates[].name] | index(\"on-a\") != null"
'

test_expect_success 'B did not replace the admin token; each runner has a token of its own' '
	test -s "$A/admin.token" &&
	! test -e "$B/admin.token" &&
	va runs -o json >/dev/null &&
	vb runs -o json >/dev/null &&
	vb token list -o json >tokens.json &&
	jq -e "[.tokens[] | select(.revoked_at == null) | .name] | (map(select(. == \"admin\")) | length == 1) and (map(select(startswith(\"embedded-\"))) | length == 2)" tokens.json
'

test_expect_success 'a run asked of A runs and is visible through B' '
	id=$(va run echo -p msg=cluster -o json | jq .id) &&
	onb wait_state "$id" succeeded &&
	vb logs "$id" --raw | grep -q "^cluster$" &&
	test "$(vb show "$id" -o json | jq -r .requester)" = admin
'

test_expect_success 'a job queued through B wakes A'"'"'s runner at once (LISTEN/NOTIFY)' '
	lat="" && bad="" &&
	for i in 1 2 3 4 5; do
		id=$(vb run on-a -o json | jq .id) &&
		onb wait_state "$id" succeeded 10 &&
		vb show "$id" -o json >r.json &&
		l=$(( $(ms "$(jq -r ".steps[0].started_at" r.json)") - $(ms "$(jq -r .created_at r.json)") )) &&
		lat="$lat $l" || { bad=1; break; }
	done &&
	test -z "$bad" &&
	id=$(va run on-a -o json | jq .id) &&
	ona wait_state "$id" succeeded 10 &&
	va show "$id" -o json >r.json &&
	local_ms=$(( $(ms "$(jq -r ".steps[0].started_at" r.json)") - $(ms "$(jq -r .created_at r.json)") )) &&
	sorted=$(echo $lat | tr " " "\n" | sort -n | tr "\n" " ") &&
	echo "# pickup latency, run asked of B to step started on A'"'"'s runner (5 runs, sorted): ${sorted}ms; asked of A itself: ${local_ms}ms" >>"$TEST_DIR/figures" &&
	for l in $lat; do test "$l" -lt 2000 || bad=1; done &&
	test -z "$bad"
'
[ -f "$TEST_DIR/figures" ] && cat "$TEST_DIR/figures" && : >"$TEST_DIR/figures"

test_expect_success 'a catalog synced through A rules B too (B reloads its policies)' '
	before=$(bundle "$B") &&
	test "$before" = "$(bundle "$A")" &&
	va catalog sync "$TEST_DIR/catalog2" >/dev/null &&
	after=$(bundle "$A") &&
	test "$after" != "$before" &&
	wait_for 5 b_enforces "$after" &&
	expect_exit 1 vb run echo -p msg=x >out 2>&1 &&
	grep -q "echo is switched off" out &&
	va catalog sync "$TEST_DIR/catalog" >/dev/null &&
	wait_for 5 b_enforces "$before"
'

test_expect_success 'SIGKILL of server A mid-step loses no run' '
	hold=$(vb run hold-b -p seconds=6 -o json | jq .id) &&
	onb wait_state "$hold" running &&
	plain=$(vb run slow -p seconds=60 -p marker="$SHARE/plain" -o json | jq .id) &&
	idem=$(vb run slow-idempotent -p seconds=60 -p marker="$SHARE/idem" -o json | jq .id) &&
	wait_for 10 grep -q start "$SHARE/plain" &&
	wait_for 10 grep -q start "$SHARE/idem" &&
	runner_a=$(vb show "$plain" -o json | jq -r ".steps[0].runner") &&
	test "$(vb show "$idem" -o json | jq -r ".steps[0].runner")" = "$runner_a" &&
	test "$(vb show "$hold" -o json | jq -r ".steps[0].runner")" != "$runner_a" &&
	killed=$(date +%s%3N) &&
	kill -KILL "$A_PID" && wait "$A_PID" 2>/dev/null;
	onb wait_state "$plain" failed 15 &&
	resolved=$(date +%s%3N) &&
	test "$(vb show "$plain" -o json | jq -r .reason)" = "runner lost" &&
	onb wait_state "$idem" succeeded 30 &&
	test "$(grep -c start "$SHARE/idem")" = 2 &&
	test "$(grep -c start "$SHARE/plain")" = 1 &&
	test "$(vb show "$idem" -o json | jq -r ".steps[0].runner")" != "$runner_a" &&
	onb wait_state "$hold" succeeded 10 &&
	echo "# lease 2s: B failed the lost plain step $((resolved - killed))ms after SIGKILL of A; the idempotent one ran again on B" >>"$TEST_DIR/figures"
'
[ -f "$TEST_DIR/figures" ] && cat "$TEST_DIR/figures"

test_done
