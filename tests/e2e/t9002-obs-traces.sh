#!/bin/bash
# Traces: a run requested with a traceparent is that trace; its spans
# (the run, checking, queueing, approval waits, each step) reach an
# OTLP/HTTP JSON receiver on loopback, with the caller's span as the root's
# parent and the step's TRACEPARENT naming the step's span.
. "$(dirname "$0")/test-lib.sh"

# A tiny OTLP/HTTP receiver: each POST body becomes a file in otlp/.
PORT=$(free_port)
mkdir otlp
cat >receiver.py <<'PY'
import http.server, os, sys, itertools
n = itertools.count()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open("otlp/%s-%04d.json" % (self.path.strip("/").replace("/", "_"), next(n)), "wb") as f:
            f.write(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
serve_py receiver.py "$PORT"

cp -r "$E2E/catalog" cat
write_file cat/templates/traced.yaml <<'YAML'
apiVersion: vend/v1
kind: Template
metadata: {name: traced}
spec:
  parameters:
    out: {type: string, required: true}
  preflight:
    - name: check
      run: "true"
  steps:
    - name: first
      run: printf '%s\n' "$TRACEPARENT" >"$PARAM_OUT"
    - name: second
      run: echo two
YAML
VEND_OTLP_ENDPOINT="http://127.0.0.1:$PORT" vend_up --catalog "$PWD/cat"
URL=$(cat "$VEND_DATA/server.url")
TOKEN=$(cat "$VEND_DATA/admin.token")
OUT=$(share_file tp)
TRACE=4bf92f3577b34da6a3ce929d0e0e4736
PARENT=00f067aa0ba902b7

# spans: every span the receiver got, one JSON object a line.
spans() {
	cat otlp/v1_traces-*.json 2>/dev/null | jq -c ".resourceSpans[].scopeSpans[].spans[]"
}

# has_span TRACE NAME: whether the receiver got that span.
has_span() {
	spans | jq -se --arg t "$1" --arg n "$2" "any(.traceId == \$t and .name == \$n)" >/dev/null 2>&1
}

test_expect_success 'a run requested with a traceparent carries its trace id' '
	curl -sf -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
		-H "traceparent: 00-$TRACE-$PARENT-01" \
		-d "{\"template\": \"traced\", \"params\": {\"out\": \"$OUT\"}}" \
		"$URL/api/v1/runs" >run &&
	id=$(jq .id run) &&
	jq -e ".trace_id == \"$TRACE\"" run &&
	wait_state "$id" succeeded
'

test_expect_success 'each step gets TRACEPARENT in its environment, in the run trace' '
	grep -Eq "^00-$TRACE-[0-9a-f]{16}-01$" "$OUT"
'

test_expect_success 'the spans reach the OTLP receiver at /v1/traces' '
	wait_for 30 has_span "$TRACE" "step second" &&
	ls otlp | grep -q "^v1_traces-" &&
	spans >all &&
	jq -se "all(.traceId == \"$TRACE\")" all &&
	cat otlp/*.json | jq -se ".[0].resourceSpans[0].resource.attributes[] | select(.key == \"service.name\") | .value.stringValue == \"vend\""
'

test_expect_success 'the root span is the run, child of the caller span' '
	root=$(jq -r "select(.name == \"run traced\") | .spanId" all) &&
	test -n "$root" &&
	jq -se "map(select(.name == \"run traced\"))[0] | .parentSpanId == \"$PARENT\" and .status.code == 1" all &&
	jq -se "map(select(.name != \"run traced\")) | length >= 5 and all(.parentSpanId == \"$root\")" all
'

test_expect_success 'checking, queueing and each step are spans; the step span is its TRACEPARENT' '
	for n in checking queue "step check" "step first" "step second"; do
		jq -se "map(select(.name == \"$n\")) | length >= 1" all || return 1
	done &&
	step=$(cut -d- -f3 "$OUT") &&
	jq -se "map(select(.name == \"step first\"))[0].spanId == \"$step\"" all &&
	jq -se "all((.endTimeUnixNano | tonumber) >= (.startTimeUnixNano | tonumber))" all
'

test_expect_success 'without a traceparent a run gets a fresh trace of its own' '
	id2=$(vend run traced -p out="$OUT" --wait -o json | jq -r .trace_id) &&
	echo "$id2" | grep -Eq "^[0-9a-f]{32}$" && test "$id2" != "$TRACE" &&
	grep -q "^00-$id2-" "$OUT"
'

test_expect_success 'an approval wait is a span' '
	SAM=$(vend token create sam --role approver --role sre 2>/dev/null) &&
	g=$(vend run gated -o json | jq .id) && wait_state "$g" awaiting_approval &&
	tr=$(run_field "$g" .trace_id) &&
	VEND_TOKEN=$SAM "$VEND_BIN" approve "$g" >/dev/null && wait_state "$g" succeeded &&
	wait_for 30 has_span "$tr" "approval step:go-live" &&
	spans | jq -se "map(select(.traceId == \"$tr\" and (.name | startswith(\"approval\"))))[0] |
		(.endTimeUnixNano | tonumber) > (.startTimeUnixNano | tonumber)" 
'

test_expect_success 'server log lines carry run_id and trace_id' '
	grep -q "run=$id trace=$TRACE" "$TEST_DIR/server.log"
'

test_done
