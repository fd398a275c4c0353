#!/bin/bash
# Secrets: stored encrypted, given only to the steps that name them, every
# printed form masked in `vend logs` and in the stored log; versions
# pinned per run; scopes enforced; secret parameters shown as ***.
. "$(dirname "$0")/test-lib.sh"

vend_up --catalog "$E2E/catalog-secrets"

PW='p@ss w0rd/+"tick"~x'
KEY=$(printf -- '-----BEGIN KEY-----\nabcdefghijk-secret-key-body\n-----END KEY-----')

# Every form of $PW the leak step prints, computed here independently.
forms() {
	python3 - "$PW" <<-'PY'
	import sys, base64, urllib.parse, json
	v = sys.argv[1]
	b = v.encode()
	print(v)
	for pre in (b"", b"x", b"xy"):
	    e = base64.b64encode(pre + b).decode()
	    print(e[len(pre) + 2:len(e) - 4])
	    u = base64.urlsafe_b64encode(pre + b + b"\n").decode()
	    print(u[len(pre) + 2:len(u) - 4])
	print(urllib.parse.quote(v, safe=""))
	print(urllib.parse.quote_plus(v))
	print(json.dumps(v)[1:-1])
	PY
}

expect_code() { # CODE COMMAND...: COMMAND exits with CODE
	local want=$1 rc=0
	shift
	"$@" || rc=$?
	[ "$rc" = "$want" ] || { say "exit code $rc, not $want"; return 1; }
}

no_plaintext() { # FILE...: none holds any form of the secrets
	local f rc=0
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		if grep -a -q -F -- "$f" "$@"; then say "found $f"; rc=1; fi
	done < <(forms; echo "abcdefghijk-secret-key-body")
	return $rc
}

stored_log() { # the stored log lines, whichever the store
	db_query "SELECT line FROM logs"
}

test_expect_success 'a value under 6 bytes is refused with the reason' '
	expect_code 2 vend secret set global/SHORT <<<"abc" 2>err &&
	grep -q "at least 6" err
'

test_expect_success 'vend secret set stores a value; list shows metadata only' '
	printf "%s" "$PW" | vend secret set team-payments/DB_PASSWORD &&
	printf "%s" "$KEY" >key.pem &&
	vend secret set global/TLS_KEY --from-file key.pem &&
	vend secret list >list &&
	grep -q "^DB_PASSWORD *team-payments *1 *admin" list &&
	vend secret list -o json >list.json &&
	jq -e ".secrets | map(.name) == [\"DB_PASSWORD\", \"TLS_KEY\"]" list.json &&
	jq -e "all(.secrets[]; has(\"value\") | not)" list.json &&
	no_plaintext list list.json
'

test_expect_success 'the API never returns a value' '
	URL=$(cat "$VEND_DATA/server.url") &&
	curl -s -H "Authorization: Bearer $(cat "$VEND_DATA/admin.token")" \
		"$URL/api/v1/secrets/team-payments/DB_PASSWORD" >one.json &&
	jq -e ".version == 1 and .scope == \"team-payments\"" one.json &&
	no_plaintext one.json
'

test_expect_success 'values are encrypted at rest' '
	if test_backend postgres; then
		db_query "SELECT encode(sealed, '"'"'escape'"'"') FROM secrets" >rest
	else
		cat "$VEND_DATA"/vend.db* >rest
	fi &&
	no_plaintext rest
'

test_expect_success 'a step prints its secret in every form: vend logs shows ***' '
	id=$(vend run leak -o json | jq .id) &&
	wait_state "$id" succeeded 60 &&
	vend logs "$id" >logs &&
	grep -q "raw: \*\*\*$" logs &&
	grep -q "url: \*\*\*$" logs &&
	grep -q "json: {\"password\": \"\*\*\*\"}$" logs &&
	grep -q "split: \*\*\*$" logs &&
	grep -q "cross: \*\*\*$" logs &&
	grep -q "file mode 400" logs &&
	test "$(grep -c "\*\*\*" logs)" -ge 14 &&
	no_plaintext logs
'

test_expect_success 'a step output holding a secret is *** too' '
	test "$(run_field "$id" ".steps[0].outputs.token")" = "***"
'

test_expect_success 'the stored log holds no plaintext' '
	stored_log >stored &&
	grep -q "raw: \*\*\*" stored &&
	no_plaintext stored &&
	if ! test_backend postgres; then no_plaintext "$VEND_DATA"/vend.db*; fi
'

test_expect_success 'secret access is recorded (name and version, never the value)' '
	db_query "SELECT detail FROM run_events WHERE type = '"'"'secret.access'"'"'" >access &&
	grep -q "\"name\":\"DB_PASSWORD\",\"scope\":\"team-payments\",\"version\":1" access &&
	no_plaintext access
'

test_expect_success 'rotation during a run: the run keeps the version it started with' '
	printf "first-api-key-value" | vend secret set global/API_KEY &&
	marker=$(share_file marker) && sums=$(share_file sums) &&
	id=$(vend run rotate -p marker="$marker" -p out="$sums" -o json | jq .id) &&
	wait_for 30 step_is "$id" 0 running &&
	printf "second-api-key-value" | vend secret set global/API_KEY &&
	vend secret list | grep -q "^API_KEY *global *2" &&
	echo go >"$marker" &&
	wait_state "$id" succeeded 60 &&
	want=$(printf "first-api-key-value" | sha256sum) &&
	test "$(sort -u "$sums")" = "$want" &&
	vend logs "$id" >rlogs &&
	grep -q "before: \*\*\*" rlogs && grep -q "after: \*\*\*" rlogs &&
	! grep -q "api-key-value" rlogs
'

test_expect_success 'a new run uses the new version' '
	: >"$sums" && echo go >"$marker" &&
	id=$(vend run rotate -p marker="$marker" -p out="$sums" -o json | jq .id) &&
	wait_state "$id" succeeded 60 &&
	test "$(sort -u "$sums")" = "$(printf "second-api-key-value" | sha256sum)"
'

test_expect_success 'a template naming a secret outside its scopes is refused' '
	printf "other-team-key" | vend secret set team-payments/OTHER_TEAM_KEY &&
	expect_code 2 vend run outside 2>err &&
	grep -q "names secret OTHER_TEAM_KEY, which is not in a scope its runs may use (template-outside, team-search, global); it exists only in team-payments" err
'

test_expect_success 'secret parameters are *** in the run, its log and the store' '
	id=$(vend run secret-param -p pw=hunter2hunter -o json | jq .id) &&
	wait_state "$id" succeeded 60 &&
	test "$(run_field "$id" .params.pw)" = "***" &&
	vend logs "$id" >plogs &&
	grep -q "logs in with \*\*\*$" plogs &&
	! grep -q hunter2 plogs &&
	db_query "SELECT params FROM runs" >params &&
	! grep -q hunter2 params &&
	stored_log | { ! grep -q hunter2; } &&
	test "$(db_query "SELECT count(*) FROM run_keys")" = 0 &&
	if ! test_backend postgres; then ! grep -a -q hunter2 "$VEND_DATA"/vend.db*; fi
'

test_expect_success 'an optional secret parameter left out is unset in the step; given, it is masked' '
	id=$(vend run secret-param -p pw=hunter2hunter -o json | jq .id) &&
	wait_state "$id" succeeded 60 &&
	vend logs "$id" | grep -q "otp unset$" &&
	test "$(run_field "$id" ".params.otp")" = null &&
	id=$(vend run secret-param -p pw=hunter2hunter -p otp=918273645 -o json | jq .id) &&
	wait_state "$id" succeeded 60 &&
	vend logs "$id" | grep -q "otp \*\*\*$" &&
	! vend logs "$id" | grep -q 918273645
'

test_expect_success 'a secret parameter under 6 bytes is refused' '
	expect_code 2 vend run secret-param -p pw=abc 2>err &&
	grep -q "at least 6" err
'

test_expect_success 'vend secret delete removes every version' '
	vend secret delete global/API_KEY &&
	! vend secret list | grep -q API_KEY &&
	expect_code 2 vend run rotate -p marker=x -p out=y 2>err &&
	grep -q "API_KEY" err
'

test_done
