#!/bin/sh
# Runs one test program for run-tests.sh: its TAP goes to $out/NAME.tap,
# stderr to NAME.err, exit status to NAME.rc, wall seconds to NAME.secs.
t=$1
name=$(basename "$t" .sh)
start=$(date +%s)
case "$t" in
*.sh) timeout 300 bash "$t" >"$out/$name.tap" 2>"$out/$name.err" ;;
*/replay_fuzz_*)
	corpus="$top/tests/fuzz/corpus/${name#replay_fuzz_}"
	timeout 300 "$t" "$corpus" >"$out/$name.tap" 2>"$out/$name.err" ;;
*) timeout 300 "$t" >"$out/$name.tap" 2>"$out/$name.err" ;;
esac
echo $? >"$out/$name.rc"
echo "$(($(date +%s) - start))" >"$out/$name.secs"
