#!/bin/sh
# Deploys to `vend demo-service` instances through their /deploy endpoint,
# the way a deploy script tells an orchestrator what to run.
#
#   demo-deploy.sh copy FROM TO      what FROM runs, onto TO (HOST:PORT each)
#   demo-deploy.sh deploy FROM TO VERSION [ERROR_RATE [EXTRA_LATENCY_MS]]
#                                    FROM's settings with another version onto
#                                    TO; a bad build may add errors or latency
set -eu

settings() { # HOST:PORT -> the query string of what it runs
	curl -fsS "http://$1/deploy"
}

case "${1:-}" in
copy)
	s=$(settings "$2")
	echo "$2 runs: $s"
	curl -fsS -X PUT "http://$3/deploy?$s"
	;;
deploy)
	s=$(settings "$2")
	echo "$2 runs: $s"
	latency=$(echo "$s" | sed -n 's/.*latency_ms=\([0-9.]*\).*/\1/p')
	jitter=$(echo "$s" | sed -n 's/.*jitter_ms=\([0-9.]*\).*/\1/p')
	latency=$(awk -v a="${latency:-0}" -v b="${6:-0}" 'BEGIN { print a + b }')
	curl -fsS -X PUT "http://$3/deploy?version=$4&error_rate=${5:-0}&latency_ms=$latency&jitter_ms=${jitter:-0}"
	;;
*)
	echo "usage: demo-deploy.sh copy FROM TO" >&2
	echo "       demo-deploy.sh deploy FROM TO VERSION [ERROR_RATE [EXTRA_LATENCY_MS]]" >&2
	exit 2
	;;
esac
