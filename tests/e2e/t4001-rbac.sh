#!/bin/bash
# Identity and authorization: tokens, roles on every route, teams on runs,
# template permissions.
. "$(dirname "$0")/test-lib.sh"

vend_up
URL=$(cat "$VEND_DATA/server.url")

tok() { # NAME ROLE... [-- TEAM...]: creates a token, prints it
	local name=$1 args=() t
	shift
	for t in "$@"; do
		case "$t" in
		team:*) args+=(--team "${t#team:}") ;;
		*) args+=(--role "$t") ;;
		esac
	done
	vend token create "$name" "${args[@]}" 2>/dev/null
}

test_expect_success 'an admin creates tokens; each is shown once and stored hashed' '
	VIEWER=$(tok viewer1 viewer team:payments) &&
	OPA=$(tok alice operator team:payments) &&
	OPB=$(tok bob operator team:search) &&
	APR=$(tok carol approver sre team:payments) &&
	RUN=$(tok runner1 runner) &&
	ADMIN=$(cat "$VEND_DATA/admin.token") &&
	case "$OPA" in vend_*) ;; *) exit 1 ;; esac &&
	db_query "SELECT hash FROM tokens" >hashes &&
	test "$(wc -l <hashes)" -ge 5 &&
	! grep -q "${OPA#vend_}" hashes &&
	vend token list -o json | jq -e "[.tokens[].name] | index(\"alice\") != null" &&
	! vend token list -o json | grep -q "$OPA"
'

test_expect_success 'token create refuses bad input and duplicates' '
	expect_exit 2 vend token create "Bad Name" --role operator 2>err &&
	expect_exit 2 vend token create dave --role wizard 2>err &&
	grep -q "at least one of viewer" err &&
	expect_exit 1 vend token create alice --role operator 2>err &&
	grep -q "exists" err
'

test_expect_success 'whoami reflects roles and teams' '
	curl -s -H "Authorization: Bearer $APR" "$URL/api/v1/whoami" |
		jq -e ".name == \"carol\" and .roles == [\"approver\", \"sre\"] and .teams == [\"payments\"]"
'

# Team A (payments) runs: one by alice, the restricted one too.
test_expect_success 'alice (payments) runs; bob (search) runs' '
	A=$(VEND_TOKEN=$OPA vend run echo -p msg=from-a --wait -o json | jq .id) &&
	B=$(VEND_TOKEN=$OPB vend run echo -p msg=from-b --wait -o json | jq .id) &&
	test -n "$A" && test -n "$B"
'

test_expect_success 'the route table, walked for every role' '
	vend routes -o json >routes.json &&
	test "$(wc -l <routes.json)" -gt 20 &&
	jq -r "[.method, .path, (.roles | join(\",\"))] | @tsv" routes.json >routes.tsv &&
	for role in viewer operator approver admin runner; do
		case $role in
		viewer) T=$VIEWER ;; operator) T=$OPA ;; approver) T=$APR ;;
		admin) T=$ADMIN ;; runner) T=$RUN ;;
		esac
		while IFS="	" read -r m p roles; do
			p=$(echo "$p" | sed "s/{id}/$A/; s/{name}/echo/; s/{hash}/0000000/; s/{file}/app.js/")
			code=$(curl -s -o /dev/null -w "%{http_code}" -X "$m" -H "Authorization: Bearer $T" \
				-H "Content-Type: application/json" -d "{}" --max-time 3 "$URL$p?wait=0")
			case ",$roles," in
			,,|*,$role,*)
				case $code in 401|403) echo "$role $m $p: $code, but the table allows it"; exit 1 ;; esac ;;
			*)
				[ "$code" = 403 ] || { echo "$role $m $p: $code, want 403"; exit 1; } ;;
			esac
		done <routes.tsv
	done
'

test_expect_success 'no token or a wrong token: 401 everywhere but the health checks' '
	while IFS="	" read -r m p roles; do
		p=$(echo "$p" | sed "s/{id}/$A/; s/{name}/echo/; s/{hash}/0/; s/{file}/app.js/")
		for auth in "X-None: 1" "Authorization: Bearer vend_wrong"; do
			code=$(curl -s -o /dev/null -w "%{http_code}" -X "$m" -H "$auth" --max-time 3 "$URL$p")
			if [ -z "$roles" ]; then [ "$code" = 200 ] || exit 1; else [ "$code" = 401 ] || exit 1; fi
		done
	done <routes.tsv
'

test_expect_success 'a token of team B sees nothing of team A (404 on every run route)' '
	for path in runs/$A runs/$A/logs runs/$A/events; do
		test "$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $OPB" "$URL/api/v1/$path")" = 404 || exit 1
	done &&
	for path in runs/$A/cancel runs/$A/approve runs/$A/reject; do
		code=$(curl -s -o /dev/null -w "%{http_code}" -X POST -H "Authorization: Bearer $OPB" "$URL/api/v1/$path")
		case $code in 404|403) ;; *) echo "$path: $code"; exit 1 ;; esac
	done &&
	VEND_TOKEN=$OPB vend runs -o json | jq -e "[.runs[].id] == [$B]" &&
	expect_exit 1 env VEND_TOKEN=$OPB "$VEND_BIN" show "$A" 2>err &&
	grep -q "no run $A" err
'

test_expect_success 'a teammate (viewer of payments) sees team A runs; admin sees all' '
	VEND_TOKEN=$VIEWER vend show "$A" -o json | jq -e ".id == $A" &&
	VEND_TOKEN=$VIEWER vend runs -o json | jq -e "[.runs[].id] | index($B) == null" &&
	vend runs -o json | jq -e "[.runs[].id] | index($A) != null and index($B) != null"
'

test_expect_success 'vend runs --mine and --template filter' '
	vend run echo -p msg=admin-run --wait >/dev/null &&
	VEND_TOKEN=$OPA vend runs --mine -o json | jq -e "[.runs[].requester] | unique == [\"alice\"]" &&
	vend runs --mine -o json | jq -e "[.runs[].requester] | unique == [\"admin\"]" &&
	vend runs --template echo -o json | jq -e "[.runs[].template] | unique == [\"echo\"]" &&
	vend runs --state succeeded --limit 1 -o json | jq -e "(.runs | length) == 1 and .next_cursor != null"
'

test_expect_success 'a viewer cannot request runs; the CLI exits 1 (forbidden)' '
	expect_exit 1 env VEND_TOKEN=$VIEWER "$VEND_BIN" run echo -p msg=x 2>err &&
	grep -q "may not request a run" err
'

test_expect_success 'template permissions: run' '
	expect_exit 1 env VEND_TOKEN=$OPB "$VEND_BIN" run restricted 2>err &&
	grep -q "permissions.run allows" err &&
	R=$(VEND_TOKEN=$OPA vend run restricted -o json | jq .id) &&
	wait_state "$R" running
'

test_expect_success 'template permissions: cancel needs role:sre (or an admin)' '
	expect_exit 1 env VEND_TOKEN=$OPA "$VEND_BIN" cancel "$R" 2>err &&
	grep -q "permissions.cancel" err &&
	vend cancel "$R" >/dev/null &&
	test "$(run_field "$R" .state)" = canceled
'

test_expect_success 'a revoked token stops working at once' '
	vend token revoke bob >/dev/null &&
	expect_exit 3 env VEND_TOKEN=$OPB "$VEND_BIN" runs 2>err &&
	grep -q "revoked" err
'

test_expect_success 'an expired token is refused' '
	SHORT=$(vend token create shortlived --role viewer --expires 3s 2>/dev/null) &&
	VEND_TOKEN=$SHORT vend runs -o json >/dev/null &&
	sleep 3.5 &&
	expect_exit 3 env VEND_TOKEN=$SHORT "$VEND_BIN" runs 2>/dev/null
'

test_done
