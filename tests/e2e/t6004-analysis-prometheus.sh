#!/bin/bash
# The prometheus provider against a real Prometheus (Debian's) scraping
# demo services: it reaches the same verdicts as the http provider.
. "$(dirname "$0")/test-lib.sh"

if ! command -v prometheus >/dev/null; then
	test_skip "analysis with prometheus" "prometheus is not installed (scripts/deps.sh installs it)"
	test_done
fi

BASE=$(free_port)
GOOD=$(free_port)
BAD=$(free_port)
PROM=$(free_port)

# Prometheus on loopback scraping the three demo services every second.
start_prometheus() {
	cat >prometheus.yml <<-EOT
	global: {scrape_interval: 1s, evaluation_interval: 1s}
	scrape_configs:
	  - job_name: demo
	    static_configs:
	      - targets: ["127.0.0.1:$BASE", "127.0.0.1:$GOOD", "127.0.0.1:$BAD"]
	EOT
	prometheus --config.file=prometheus.yml --storage.tsdb.path="$TEST_DIR/tsdb" \
		--web.listen-address="127.0.0.1:$PROM" >prometheus.log 2>&1 &
	VEND_PIDS+=($!)
}

# Steady traffic to every service, as real users would send.
start_traffic() {
	while :; do
		for p in $BASE $GOOD $BAD; do curl -s -o /dev/null "http://127.0.0.1:$p/"; done
		sleep 0.02
	done >/dev/null 2>&1 &
	VEND_PIDS+=($!)
}

all_up() {
	curl -s "http://127.0.0.1:$PROM/api/v1/query?query=sum(up)" |
		jq -e ".data.result[0].value[1] == \"3\"" >/dev/null
}

test_expect_success 'set up: demo services under load, Prometheus scraping them, a server' '
	demo "$BASE" --version 1 --latency-ms 5 --jitter-ms 2 &&
	demo "$GOOD" --version 2 --latency-ms 5 --jitter-ms 2 &&
	demo "$BAD" --version 2-errors --latency-ms 5 --jitter-ms 2 --error-rate 0.3 &&
	start_prometheus &&
	start_traffic &&
	wait_for 30 all_up &&
	sleep 6 &&
	vend_up
'

prom() { # CANARY_PORT
	vend run canary-prom -p prometheus="http://127.0.0.1:$PROM" -p baseline="127.0.0.1:$BASE" \
		-p canary="127.0.0.1:$1" -o json | jq .id
}

test_expect_success 'prometheus: a good canary passes, one with errors fails and rolls back' '
	good=$(prom "$GOOD") && bad=$(prom "$BAD") &&
	wait_state "$good" verifying 10 &&
	wait_state "$good" succeeded 60 &&
	wait_state "$bad" rolled_back 60 &&
	run_json "$good" >good.json && run_json "$bad" >bad.json &&
	jq -e ".analysis.verdict == \"pass\" and .analysis.provider == \"prometheus\" and
		([.analysis.metrics[].verdict] == [\"pass\", \"pass\"])" good.json &&
	jq -e ".analysis.metrics[0].baseline.n >= 10 and .analysis.window.queries[0].canary_points >= 10" good.json &&
	jq -e ".analysis.verdict == \"fail\" and .analysis.metrics[0].name == \"error-rate\" and
		.analysis.metrics[0].verdict == \"fail\"" bad.json &&
	run_field "$bad" .reason | grep -q "error-rate: canary" &&
	vend logs "$good" | grep -q "analysis: observing 2 metrics on http://127.0.0.1:$PROM for 15s"
'

test_expect_success 'http: the same canaries get the same verdicts' '
	L=$(share_file log) &&
	good=$(vend run canary -p baseline="http://127.0.0.1:$BASE/" -p canary="http://127.0.0.1:$GOOD/" \
		-p log="$L" -o json | jq .id) &&
	bad=$(vend run canary -p baseline="http://127.0.0.1:$BASE/" -p canary="http://127.0.0.1:$BAD/" \
		-p log="$L" -o json | jq .id) &&
	wait_state "$good" succeeded 60 &&
	wait_state "$bad" rolled_back 60 &&
	run_json "$bad" | jq -e ".analysis.verdict == \"fail\" and .analysis.metrics[0].verdict == \"fail\""
'

test_expect_success 'a query that answers no series makes a critical metric unavailable: never a pass' '
	id=$(prom 1) &&
	wait_state "$id" rolled_back 60 &&
	run_json "$id" | jq -e ".analysis.verdict == \"inconclusive\" and
		.analysis.metrics[0].kind == \"unavailable\"" &&
	run_field "$id" .reason | grep -q "answered 0 series"
'

test_expect_success 'an unreachable Prometheus is inconclusive too' '
	id=$(vend run canary-prom -p prometheus="http://127.0.0.1:$(free_port)" -p baseline=a -p canary=b \
		-o json | jq .id) &&
	wait_state "$id" rolled_back 60 &&
	run_json "$id" | jq -e ".analysis.verdict == \"inconclusive\"" &&
	vend logs "$id" | grep -q "baseline query: Couldn.t connect"
'

test_done
