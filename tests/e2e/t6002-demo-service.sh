#!/bin/bash
# vend demo-service: version, error rate, latency, Prometheus metrics.
. "$(dirname "$0")/test-lib.sh"

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

test_expect_success 'PUT /deploy switches the version and behaviour in place' '
	curl -sf -X PUT "http://127.0.0.1:$P1/deploy?version=2.0&error_rate=1&latency_ms=1" | grep -q "deployed 2.0" &&
	test "$(curl -s -o /dev/null -w "%{http_code}" http://127.0.0.1:$P1/)" = 500 &&
	curl -s "http://127.0.0.1:$P1/deploy" | grep -qx "version=2.0&error_rate=1&latency_ms=1&jitter_ms=0" &&
	curl -sf -X PUT "http://127.0.0.1:$P1/deploy?version=2.1" >/dev/null &&
	test "$(curl -s http://127.0.0.1:$P1/)" = 2.1 &&
	curl -s http://127.0.0.1:$P1/metrics | grep -q "^demo_version_info{version=\"2.1\"} 1$"
'

test_expect_success 'bad deploys are refused and change nothing' '
	test "$(curl -s -o /dev/null -w "%{http_code}" -X PUT "http://127.0.0.1:$P1/deploy?version=a%20b")" = 400 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -X PUT "http://127.0.0.1:$P1/deploy?version=3&error_rate=2")" = 400 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -X DELETE "http://127.0.0.1:$P1/deploy")" = 405 &&
	test "$(curl -s http://127.0.0.1:$P1/)" = 2.1
'

test_expect_success 'bad arguments are refused' '
	expect_exit 2 "$VEND_BIN" demo-service --listen 127.0.0.1:1 2>/dev/null &&
	expect_exit 2 "$VEND_BIN" demo-service --listen 127.0.0.1:1 --version x --error-rate 2 2>/dev/null &&
	expect_exit 2 "$VEND_BIN" demo-service --listen 0.0.0.0:9 --version x 2>/dev/null &&
	expect_exit 2 "$VEND_BIN" demo-service --listen 127.0.0.1:9 --version "x y" 2>/dev/null
'

test_done
