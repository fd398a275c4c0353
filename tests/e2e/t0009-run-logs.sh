#!/bin/bash
# Logs: captured line by line with timestamps; followed live over SSE.
. "$(dirname "$0")/test-lib.sh"

vend_up

test_expect_success 'vend run --follow prints the whole log and ends with the state' '
	vend run many -p lines=2000 --follow >out &&
	grep -q "^\[count\] line 1$" out &&
	grep -q "^\[count\] line 2000$" out &&
	test "$(grep -c "^\[count\] line" out)" = 2000 &&
	grep -q "^\[trickle\] tick 3$" out &&
	tail -1 out | grep -q "succeeded"
'

test_expect_success 'lines arrive in order, each once' '
	grep "^\[count\] line" out | sed "s/.*line //" >nums &&
	seq 1 2000 >want &&
	diff want nums
'

test_expect_success 'vend logs -f attaches to a running run and sees it end' '
	id=$(vend run many -p lines=5 -o json | jq .id) &&
	vend logs -f "$id" >follow &&
	grep -q "tick 3" follow &&
	grep -q "line 5" follow
'

test_expect_success 'every line has a timestamp and a stream' '
	vend logs "$id" -o json >lines.json &&
	jq -se "all(.time | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T\"))" lines.json &&
	jq -se "map(.stream) | unique == [\"out\", \"sys\"]" lines.json
'

test_expect_success 'stderr is kept apart from stdout' '
	id=$(vend run fail -o json | jq .id) &&
	wait_state "$id" failed &&
	vend logs "$id" -o json | jq -se "map(select(.stream == \"err\")) | .[0].line == \"failing with 3\""
'

test_expect_success 'the SSE stream resumes after Last-Event-ID' '
	id=$(vend run many -p lines=10 --wait -o json | jq .id) &&
	URL=$(cat "$VEND_DATA/server.url") &&
	first=$(vend logs "$id" -o json | jq -s "map(select(.line == \"line 4\"))[0].id") &&
	curl -sN -H "Authorization: Bearer $(cat "$VEND_DATA/admin.token")" \
		-H "Last-Event-ID: $first" "$URL/api/v1/runs/$id/logs?follow=1" >sse &&
	grep "^data:" sse | head -1 | grep -q "line 5" &&
	grep -q "^event: end" sse
'

test_done
