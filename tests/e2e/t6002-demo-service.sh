#!/bin/bash
# vend demo-service: version, error rate, latency, Prometheus metrics.
. "$(dirname "$0")/test-lib.sh"

free_port() {
	python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])" 2>/dev/null ||
		echo $((20000 + RANDOM % 20000))
}

demo() { # PORT ARGS...
	local port=$1
	shift
	"$VEND_BIN" demo-service --listen "127.0.0.1:$port" --pid-file "$TEST_DIR/demo-$port.pid" "$@" \
		2>>"$TEST_DIR/demo.log" &
	VEND_PIDS+=($!)
	wait_for 5 curl -sf "http://127.0.0.1:$port/healthz" >/dev/null
}

P1=$(free_port)
P2=$(free_port)
P3=$(free_port)

test_expect_success 'GET / answers with the version' '
	demo "$P1" --version 1.4.2 &&
	test "$(curl -s http://127.0.0.1:$P1/)" = 1.4.2 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:$P1/)" = 200
'

test_expect_success 'an error rate of 1 answers 500 every time' '
	demo "$P2" --version bad --error-rate 1 &&
	for i in 1 2 3 4 5; do
		test "$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:$P2/)" = 500 || exit 1
	done
'

test_expect_success 'latency is added to every answer' '
	demo "$P3" --version slow --latency-ms 150 --jitter-ms 10 &&
	t=$(curl -s -o /dev/null -w "%{time_total}" http://127.0.0.1:$P3/) &&
	say "took ${t}s" &&
	awk "BEGIN { exit !($t >= 0.13) }"
'

test_expect_success '/metrics counts requests by code and times them' '
	curl -s http://127.0.0.1:$P2/metrics >m &&
	grep -q "^http_requests_total{code=\"500\"} 5$" m &&
	grep -q "^http_requests_total{code=\"200\"} 0$" m &&
	grep -q "^http_request_duration_seconds_count 5$" m &&
	grep -q "^http_request_duration_seconds_bucket{le=\"+Inf\"} 5$" m &&
	curl -s http://127.0.0.1:$P3/metrics | grep -q "^http_request_duration_seconds_bucket{le=\"0.1\"} 0$"
'

test_expect_success 'bad arguments are refused' '
	expect_exit 2 "$VEND_BIN" demo-service --listen 127.0.0.1:1 2>/dev/null &&
	expect_exit 2 "$VEND_BIN" demo-service --listen 127.0.0.1:1 --version x --error-rate 2 2>/dev/null &&
	expect_exit 2 "$VEND_BIN" demo-service --listen 0.0.0.0:9 --version x 2>/dev/null
'

test_done
