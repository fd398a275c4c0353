#!/bin/sh
# Benchmarks vend's CEL (build/bench/bench_cel) and, when node and npm are
# there, @marcbachmann/cel-js on the same expressions and inputs, and prints
# them side by side with ratios. cel-js is installed at bench time into
# build/cel-js/ (ignored by git), pinned by bench/cel-js/package.json.
#
#   scripts/bench-cel.sh [TRIALS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
trials=${1:-21}
make --no-print-directory build/bench/bench_cel >/dev/null
./build/bench/bench_cel --tsv --trials "$trials" >build/bench/cel-c.tsv

js=build/bench/cel-js.tsv
: >"$js"
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
	mkdir -p build/cel-js
	cp bench/cel-js/package.json bench/cel-js/bench.mjs build/cel-js/
	if (cd build/cel-js && npm install --no-audit --no-fund --silent >/dev/null 2>&1); then
		(cd build/cel-js && node bench.mjs "$trials") >"$js" || : >"$js"
	else
		echo "bench-cel: npm install of @marcbachmann/cel-js failed; vend only" >&2
	fi
else
	echo "bench-cel: node/npm not found; vend only" >&2
fi

awk -F'\t' -v jsfile="$js" '
BEGIN {
	while ((getline line < jsfile) > 0) {
		split(line, f, "\t"); je[f[1]] = f[2]; jc[f[1]] = f[3]; jn[f[1]] = f[4]
	}
	printf "%-8s %12s %12s %8s   %14s %14s %8s\n", "case", "vend ns/op", "cel-js ns/op", "ratio",
	       "vend compile", "cel-js compile", "ratio"
}
function ratio(a, b) { return (b == "" || b == "NA" || a == 0) ? "-" : sprintf("%.1fx", b / a) }
{
	e = ($1 in je) ? je[$1] : ""; c = ($1 in jc) ? jc[$1] : ""
	printf "%-8s %12.1f %12s %8s   %14.1f %14s %8s\n", $1, $2, (e == "" ? "-" : e), ratio($2, e),
	       $3, (c == "" ? "-" : c), ratio($3, c)
	if ($1 in jn && jn[$1] != "") notes = notes "  " $1 ": cel-js: " jn[$1] "\n"
}
END {
	print "ns per evaluation of a compiled expression / per compile; medians of trials."
	print "ratio = cel-js time / vend time (above 1: vend is faster)."
	if (notes != "") printf "%s", notes
}' build/bench/cel-c.tsv
