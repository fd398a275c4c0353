#!/bin/sh
# Runs one test program for run-tests.sh: its TAP goes to $out/NAME.tap,
# stderr to NAME.err, exit status to NAME.rc, wall seconds to NAME.secs.
# PROGRAM@pg runs PROGRAM on PostgreSQL (VEND_TEST_PG=$PG_URL), as NAME@pg.
t=$1
unset VEND_TEST_PG
case "$t" in
*@pg)
	t=${t%@pg}
	name=$(basename "$t" .sh)@pg
	[ -n "${PG_URL:-}" ] || {
		echo "not ok - no PostgreSQL server for $name" >"$out/$name.tap"
		echo 1 >"$out/$name.rc"
		exit 0
	}
	export VEND_TEST_PG="$PG_URL" ;;
*) name=$(basename "$t" .sh) ;;
esac
start=$(date +%s)
case "$t" in
*.sh) timeout 600 bash "$t" >"$out/$name.tap" 2>"$out/$name.err" ;;
*/replay_fuzz_*)
	corpus="$top/tests/fuzz/corpus/${name#replay_fuzz_}"
	timeout 300 "$t" "$corpus" >"$out/$name.tap" 2>"$out/$name.err" ;;
*) timeout 300 "$t" >"$out/$name.tap" 2>"$out/$name.err" ;;
esac
echo $? >"$out/$name.rc"
echo "$(($(date +%s) - start))" >"$out/$name.secs"
