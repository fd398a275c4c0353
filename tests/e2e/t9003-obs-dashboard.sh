#!/bin/bash
# The Grafana dashboard (dashboards/vend.json): its three rows are there,
# every query names only metrics a live /metrics exposes, and a real
# Prometheus scraping vend answers its queries with the runs just made.
. "$(dirname "$0")/test-lib.sh"

D="$TOP/dashboards/vend.json"
vend_up
URL=$(cat "$VEND_DATA/server.url")

test_expect_success 'the dashboard is JSON with executive, on-call and debug rows' '
	jq -e ".uid == \"vend-overview\"" "$D" &&
	jq -r ".panels[] | select(.type == \"row\") | .title" "$D" >rows &&
	grep -q "^Executive" rows && grep -q "^On-call" rows && grep -q "^Debug" rows &&
	test "$(jq "[.panels[] | select(.type != \"row\")] | length" "$D")" -ge 15
'

test_expect_success 'every metric a query names is on a live /metrics' '
	vend run echo -p msg=x --wait >/dev/null &&
	curl -sf "$URL/metrics" | sed -n "s/^# TYPE \([a-z_]*\) .*/\1/p" | sort -u >exposed &&
	test -s exposed &&
	{ jq -r ".panels[].targets[]?.expr" "$D"; jq -r ".templating.list[].definition // empty" "$D"; } |
		grep -o "vend_[a-z_]*" | sed -E "s/_(bucket|sum|count)$//" | sort -u >used &&
	test -s used &&
	comm -23 used exposed >missing &&
	{ test ! -s missing || { cat missing; false; }; }
'

if ! command -v prometheus >/dev/null; then
	test_skip "prometheus scrapes vend" "prometheus is not installed (scripts/deps.sh installs it)"
	test_done
	exit
fi

PROM=$(free_port)
HOSTPORT=${URL#http://}
cat >prometheus.yml <<EOT
global: {scrape_interval: 1s}
scrape_configs:
  - job_name: vend
    static_configs:
      - targets: ["$HOSTPORT"]
EOT
prometheus --config.file=prometheus.yml --storage.tsdb.path="$TEST_DIR/tsdb" \
	--web.listen-address="127.0.0.1:$PROM" >prometheus.log 2>&1 &
VEND_PIDS+=($!)

# query EXPR: the first value of an instant query.
query() {
	curl -sf --data-urlencode "query=$1" "http://127.0.0.1:$PROM/api/v1/query" |
		jq -er ".data.result[0].value[1]"
}

# prom_is EXPR VALUE: whether the query answers VALUE now.
prom_is() {
	test "$(query "$1" 2>/dev/null)" = "$2"
}

test_expect_success 'a Prometheus scraping vend sees the runs, as the dashboard asks' '
	wait_for 60 prom_is "max without(instance, job) (vend_runs_total{template=\"echo\",state=\"succeeded\"})" 1 &&
	wait_for 30 prom_is "max without(instance, job) (vend_runners_connected)" 1 &&
	wait_for 30 prom_is "count(max without(instance, job) (vend_build_info))" 1
'

test_done
