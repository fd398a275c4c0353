#!/bin/sh
# make bench: every benchmark program, with a throwaway `vend up` for those
# that need a server (and a throwaway PostgreSQL for bench_store). They print measured figures; nothing here passes or
# fails on timing.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
dir=$(mktemp -d /tmp/vend-bench.XXXXXX)
export VEND_DATA="$dir/data"
./vend up --data "$VEND_DATA" --listen 127.0.0.1:0 --catalog bench/catalog --quiet \
	--log-format text 2>"$dir/server.log" &
pid=$!
# A second server whose runner does not sandbox, for bench_load's comparison.
export VEND_BENCH_NOSANDBOX_DATA="$dir/data-nosandbox"
./vend up --data "$VEND_BENCH_NOSANDBOX_DATA" --listen 127.0.0.1:0 --catalog bench/catalog \
	--quiet --log-format text --sandbox none 2>"$dir/server-nosandbox.log" &
pid2=$!
pg_dir=""
trap 'kill $pid $pid2 2>/dev/null; wait $pid $pid2 2>/dev/null; rm -rf "$dir";
      [ -n "$pg_dir" ] && scripts/pg.sh stop "$pg_dir"' EXIT
# bench_store measures PostgreSQL beside SQLite on a throwaway cluster.
if pg_dir=$(scripts/pg.sh start 2>"$dir/pg.err"); then
	VEND_BENCH_PG=$(scripts/pg.sh url "$pg_dir")
	export VEND_BENCH_PG
else
	pg_dir=""
	echo "(no PostgreSQL for bench_store: $(tail -1 "$dir/pg.err"))"
fi
i=0
while { [ ! -s "$VEND_DATA/server.url" ] || [ ! -s "$VEND_BENCH_NOSANDBOX_DATA/server.url" ]; } &&
	[ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
echo "machine: $(nproc) cores, $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
for b in build/bench/*; do
	[ -x "$b" ] || continue
	# CEL runs below, beside cel-js.
	[ "$(basename "$b")" = bench_cel ] && continue
	echo
	echo "== $(basename "$b")"
	"$b"
done
if [ -x scripts/bench-cel.sh ]; then
	echo
	echo "== CEL, side by side"
	scripts/bench-cel.sh || echo "(bench-cel.sh failed)"
fi
