#!/bin/sh
# Runs every test that `make check` knows and ends with "N passed, N failed".
#
# Each test program prints TAP; a program that exits non-zero without any
# "not ok" line counts as one failure. Outputs go to tests/out/. Set
# VEND_BIN to test another binary (the sanitizer build) and UNIT_DIR for
# its unit tests. TESTS="t0001 test_buf" runs only matching programs.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
: "${VEND_BIN:=$top/vend}"
: "${UNIT_DIR:=$top/build/tests}"
: "${TESTS:=}"
: "${JOBS:=4}"
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
if [ -n "$TESTS" ]; then
	pat=$(echo "$TESTS" | tr ' ' '|')
	grep -E "$pat" "$list" >"$list.f" || true
	mv "$list.f" "$list"
fi

# Run up to $JOBS programs at once; each writes its own TAP file.
export out top
xargs -P "$JOBS" -n 1 "$top/scripts/run-one.sh" <"$list"

passed=0
failed=0
while read -r t; do
	name=$(basename "$t" .sh)
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
