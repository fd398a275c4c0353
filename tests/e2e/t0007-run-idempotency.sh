#!/bin/bash
# Idempotency-Key: a retried request returns the same run; a different
# request with the same key is refused.
. "$(dirname "$0")/test-lib.sh"

vend_up
URL=$(cat "$VEND_DATA/server.url")
AUTH="Authorization: Bearer $(cat "$VEND_DATA/admin.token")"

post() {
	curl -s -o "$1" -w "%{http_code}" -H "$AUTH" -H "Idempotency-Key: $2" -d "$3" "$URL/api/v1/runs"
}

test_expect_success 'the same key and body return the same run' '
	test "$(post a.json k1 "{\"template\":\"echo\",\"params\":{\"msg\":\"hi\"}}")" = 201 &&
	test "$(post b.json k1 "{\"template\":\"echo\",\"params\":{\"msg\":\"hi\"}}")" = 200 &&
	test "$(jq .id a.json)" = "$(jq .id b.json)"
'

test_expect_success 'only one run was created' '
	test "$(vend runs -o json | jq "[.runs[] | select(.template == \"echo\")] | length")" = 1
'

test_expect_success 'the same key with another body is a 409' '
	test "$(post c.json k1 "{\"template\":\"echo\",\"params\":{\"msg\":\"other\"}}")" = 409 &&
	jq -e ".detail | test(\"already used\")" c.json
'

test_expect_success 'another key makes another run' '
	test "$(post d.json k2 "{\"template\":\"echo\",\"params\":{\"msg\":\"hi\"}}")" = 201 &&
	test "$(jq .id d.json)" != "$(jq .id a.json)"
'

test_expect_success 'the CLI passes --idempotency-key' '
	a=$(vend run echo -p msg=x --idempotency-key cli-1 -o json | jq .id) &&
	b=$(vend run echo -p msg=x --idempotency-key cli-1 -o json | jq .id) &&
	test "$a" = "$b"
'

test_expect_success 'concurrent retries with one key still make one run' '
	pids="" &&
	for i in 1 2 3 4 5 6 7 8; do
		post "p$i.json" race "{\"template\":\"echo\",\"params\":{\"msg\":\"r\"}}" >"s$i" &
		pids="$pids $!"
	done &&
	wait $pids &&
	test "$(cat p*.json | jq -s "map(.id) | unique | length")" = 1 &&
	test "$(cat s[0-9] | tr -d 0-9 | wc -c)" = 0 &&
	test "$(grep -l 201 s[0-9] | wc -l)" = 1
'

test_done
