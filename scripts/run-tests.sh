#!/bin/sh
# Runs every test that `make check` knows and ends with "N passed, N failed".
#
# Each test program prints TAP; a program that exits non-zero without any
# "not ok" line counts as one failure. Outputs go to tests/out/. Set
# VEND_BIN to test another binary (the sanitizer build) and UNIT_DIR for
# its unit tests. TESTS="t0001 test_buf" runs only matching programs.
#
# The PostgreSQL pass: the store's and the engine's unit tests and every
# e2e script run a second time on a throwaway PostgreSQL cluster
# (scripts/pg.sh, started once here and stopped by pid at exit), each with
# a database of its own; their outputs are named NAME@pg. PG_PASS=0 leaves
# it out; PG_URL=postgres://... uses a running server instead of starting
# one (the tests create and drop databases on it).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
: "${VEND_BIN:=$top/vend}"
: "${UNIT_DIR:=$top/build/tests}"
: "${TESTS:=}"
: "${JOBS:=4}"
: "${PG_PASS:=1}"
: "${PG_URL:=}"
export VEND_BIN UNIT_DIR
out="$top/tests/out"
rm -rf "$out"
mkdir -p "$out"

list="$out/.list"
: >"$list"
for t in "$UNIT_DIR"/test_* "$UNIT_DIR"/replay_* "$UNIT_DIR"/celconf; do
	[ -x "$t" ] && echo "$t" >>"$list"
done
for t in tests/lint/*.sh tests/e2e/t[0-9]*.sh; do
	[ -f "$t" ] && echo "$top/$t" >>"$list"
done
# The PostgreSQL pass: what runs on a store, once more.
if [ "$PG_PASS" != 0 ]; then
	for t in "$UNIT_DIR"/test_store "$UNIT_DIR"/test_engine "$UNIT_DIR"/test_audit_log; do
		[ -x "$t" ] && echo "$t@pg" >>"$list"
	done
	for t in tests/e2e/t[0-9]*.sh; do
		[ -f "$t" ] && echo "$top/$t@pg" >>"$list"
	done
fi
if [ -n "$TESTS" ]; then
	pat=$(echo "$TESTS" | tr ' ' '|')
	grep -E "$pat" "$list" >"$list.f" || true
	mv "$list.f" "$list"
fi

pg_dir=""
stop_pg() {
	[ -n "$pg_dir" ] && "$top/scripts/pg.sh" stop "$pg_dir"
	pg_dir=""
}
trap stop_pg EXIT
trap 'stop_pg; exit 130' INT TERM
if grep -q '@pg$' "$list" && [ -z "$PG_URL" ]; then
	start=$(date +%s)
	if pg_dir=$("$top/scripts/pg.sh" start 2>"$out/postgresql.err"); then
		PG_URL=$("$top/scripts/pg.sh" url "$pg_dir")
		echo "PostgreSQL pass on $PG_URL (started in $(($(date +%s) - start))s)"
	else
		pg_dir=""
		echo "not ok - the PostgreSQL cluster did not start" >"$out/postgresql.tap"
		cat "$out/postgresql.err" >&2
	fi
fi
export PG_URL

# Run up to $JOBS programs at once; each writes its own TAP file.
export out top
xargs -P "$JOBS" -n 1 "$top/scripts/run-one.sh" <"$list"
stop_pg
[ -f "$out/postgresql.tap" ] && echo "$out/postgresql" >>"$list"

passed=0
failed=0
while read -r t; do
	case "$t" in
	*@pg) name=$(basename "${t%@pg}" .sh)@pg ;;
	*) name=$(basename "$t" .sh) ;;
	esac
	tap="$out/$name.tap"
	rc=$(cat "$out/$name.rc" 2>/dev/null || echo 1)
	p=$(grep -c '^ok ' "$tap" 2>/dev/null); p=${p:-0}
	f=$(grep -c '^not ok ' "$tap" 2>/dev/null); f=${f:-0}
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$tap"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	status=ok
	[ "$f" != 0 ] && status=FAIL
	printf '%-40s %4d passed %3d failed %4ss  %s\n' "$name" "$p" "$f" "$(cat "$out/$name.secs" 2>/dev/null)" "$status"
	if [ "$f" != 0 ]; then
		grep -E '^(not ok|#)' "$tap" | head -40 | sed 's/^/    /'
		tail -n 15 "$out/$name.err" 2>/dev/null | sed 's/^/    stderr: /'
	fi
	grep '^# summary:' "$tap" 2>/dev/null | sed 's/^# summary:/   /'
done <"$list"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
