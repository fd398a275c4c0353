#!/bin/sh
# The one list of what vend needs from Debian 12, for building and for tests.
# As root, installs whatever is missing; otherwise prints the apt-get line.
#
#   scripts/deps.sh          build and test dependencies
#   scripts/deps.sh --print  print the package list and exit
set -eu

BUILD_PKGS="gcc make pkg-config
	libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev libyaml-dev
	libsqlite3-dev libpq-dev libsodium-dev libssl-dev libpcre2-dev"
# Used by the test suite and at run time: the sandbox, a throwaway
# PostgreSQL, minisign for signature interop, sqlite3 for inspecting stores,
# the tz database (/usr/share/zoneinfo) for time zones in CEL and cron,
# Prometheus (and promtool) for the analysis provider and /metrics checks,
# Chromium for the portal's browser tests (driven by playwright-core from
# npm, which tests/e2e/t10001-portal.sh installs into tests/browser/),
# Alertmanager for alert-driven runbooks (its webhook posts to vend).
TEST_PKGS="bubblewrap sqlite3 curl jq tzdata postgresql minisign prometheus chromium
	prometheus-alertmanager"

ALL=$(echo $BUILD_PKGS $TEST_PKGS)
if [ "${1:-}" = "--print" ]; then
	echo "$ALL"
	exit 0
fi

missing=""
for p in $ALL; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 &&
		  apt-get install -y -q --no-install-recommends $missing >/dev/null; }
else
	echo "deps: missing packages; install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
