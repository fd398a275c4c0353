#!/bin/sh
# A parent, a child and a grandchild, all sleeping; pids to $1.
sh -c 'sleep 300 & echo $! >>"$1"; sleep 300' sh "$1" &
echo $! >>"$1"
sleep 300 &
echo $! >>"$1"
echo "started tree"
wait
