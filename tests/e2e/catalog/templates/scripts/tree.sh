#!/bin/sh
# A parent, a child and a grandchild, all sleeping $2 seconds (300 by
# default); their pids (as the step sees them) to $1.
s=${2:-300}
sh -c 'sleep "$2" & echo $! >>"$1"; sleep "$2"' sh "$1" "$s" &
echo $! >>"$1"
sleep "$s" &
echo $! >>"$1"
echo "started tree"
wait
