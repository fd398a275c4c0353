#!/bin/bash
# The API's edges: authentication, problem+json, size caps, bad input.
. "$(dirname "$0")/test-lib.sh"

vend_up
URL=$(cat "$VEND_DATA/server.url")
TOKEN=$(cat "$VEND_DATA/admin.token")

req() { # METHOD PATH [curl args...] -> "STATUS CONTENT-TYPE", body in ./body
	local m=$1 p=$2
	shift 2
	curl -s -o body -w "%{http_code} %{content_type}" -X "$m" "$@" "$URL$p"
}

test_expect_success '/healthz needs no token' '
	test "$(req GET /healthz)" = "200 application/json" &&
	jq -e ".status == \"ok\"" body
'

test_expect_success 'everything else needs a bearer token (401, problem+json)' '
	for p in /api/v1/runs /api/v1/templates /api/v1/runs/1 /api/v1/whoami; do
		test "$(req GET $p)" = "401 application/problem+json" || exit 1
	done &&
	jq -e ".status == 401 and (.detail | test(\"bearer token\"))" body
'

test_expect_success 'a wrong token is refused' '
	test "$(req GET /api/v1/runs -H "Authorization: Bearer vend_wrong")" = "401 application/problem+json"
'

test_expect_success 'the runner routes refuse an admin token (403)' '
	test "$(req POST /api/v1/runners/register -H "Authorization: Bearer $TOKEN" -d "{\"name\":\"x\"}")" = "403 application/problem+json" &&
	jq -e ".detail | test(\"runner\")" body
'

test_expect_success 'unknown route 404, wrong method 405' '
	test "$(req GET /api/v1/nothing -H "Authorization: Bearer $TOKEN")" = "404 application/problem+json" &&
	test "$(req DELETE /api/v1/runs -H "Authorization: Bearer $TOKEN")" = "405 application/problem+json"
'

test_expect_success 'HEAD answers like GET, without a body (also a stream, which ends at once)' '
	test "$(curl -s -I -o head -w "%{http_code}" "$URL/")" = 200 &&
	grep -qi "^content-type: text/html" head &&
	test "$(curl -s -I -o /dev/null -w "%{http_code}" "$URL/healthz")" = 200 &&
	test "$(curl -s -I -o /dev/null -w "%{http_code}" "$URL/api/v1/runs")" = 401 &&
	test "$(curl -s -I -m 20 -o head -w "%{http_code}" -H "Authorization: Bearer $TOKEN" \
		"$URL/api/v1/runs?watch=1")" = 200 &&
	grep -qi "^content-type: text/event-stream" head
'

test_expect_success 'malformed JSON is a 400 that says where' '
	test "$(req POST /api/v1/runs -H "Authorization: Bearer $TOKEN" -d "{\"template\": ")" = "400 application/problem+json" &&
	jq -e ".detail | test(\"not valid JSON\")" body
'

test_expect_success 'a body over the cap is a 413 and the server lives on' '
	head -c 2000000 /dev/zero | tr "\0" "a" >big &&
	test "$(req POST /api/v1/runs -H "Authorization: Bearer $TOKEN" --data-binary @big)" = "413 application/problem+json" &&
	test "$(req GET /healthz)" = "200 application/json"
'

test_expect_success 'deeply nested JSON is refused without a crash' '
	python3 -c "print(\"[\" * 100000)" >deep 2>/dev/null || awk "BEGIN{for(i=0;i<100000;i++)printf \"[\"}" >deep &&
	code=$(req POST /api/v1/runs -H "Authorization: Bearer $TOKEN" --data-binary @deep) &&
	test "${code%% *}" = 400 &&
	test "$(req GET /healthz)" = "200 application/json"
'

test_expect_success 'wrong shapes are field errors' '
	test "$(req POST /api/v1/runs -H "Authorization: Bearer $TOKEN" -d "{\"template\": 5, \"params\": []}")" = "400 application/problem+json" &&
	test "$(req POST /api/v1/runs -H "Authorization: Bearer $TOKEN" -d "{\"template\": \"echo\", \"params\": [], \"extra\": 1}")" = "400 application/problem+json" &&
	jq -e "[.errors[].field] | index(\"extra\") != null" body
'

test_expect_success 'bad ids and query parameters' '
	test "$(req GET /api/v1/runs/abc -H "Authorization: Bearer $TOKEN")" = "404 application/problem+json" &&
	test "$(req GET /api/v1/runs/99999 -H "Authorization: Bearer $TOKEN")" = "404 application/problem+json" &&
	test "$(req GET "/api/v1/runs?limit=0" -H "Authorization: Bearer $TOKEN")" = "400 application/problem+json" &&
	test "$(req GET "/api/v1/runs?state=bogus" -H "Authorization: Bearer $TOKEN")" = "400 application/problem+json"
'

test_expect_success 'the CLI exits 3 when the server cannot be reached' '
	expect_exit 3 vend runs --server http://127.0.0.1:1 --token vend_x 2>err &&
	grep -q "cannot reach" err
'

test_expect_success 'the CLI exits 3 for a bad token' '
	expect_exit 3 vend runs --token vend_nope 2>err &&
	grep -q "unknown, revoked or expired" err
'

test_expect_success 'the CLI finds the server through VEND_SERVER and VEND_TOKEN' '
	VEND_SERVER=$URL VEND_TOKEN=$TOKEN VEND_DATA=/nonexistent vend runs -o json >/dev/null
'

test_expect_success 'without any server configured it says what to do' '
	(cd / && VEND_DATA=/nonexistent expect_exit 3 "$VEND_BIN" runs 2>"$TEST_DIR/err") &&
	grep -q "vend up" err
'

test_expect_success 'a second vend up on the same data directory is refused' '
	expect_exit 1 vend up --data "$VEND_DATA" --listen 127.0.0.1:0 --no-catalog 2>err &&
	grep -q "in use by another vend process (pid $VEND_PID)" err
'

test_done
