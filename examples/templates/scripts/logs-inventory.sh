#!/bin/sh
# What is there: file counts and bytes, as outputs for the later steps.
set -eu
if [ ! -d "$PARAM_DIR" ]; then
	echo "no such directory: $PARAM_DIR" >&2
	exit 2
fi
logs=$(find "$PARAM_DIR" -maxdepth 1 -type f -name '*.log' | wc -l)
gz=$(find "$PARAM_DIR" -maxdepth 1 -type f -name '*.log.gz' | wc -l)
bytes=$(du -sb "$PARAM_DIR" | cut -f1)
echo "$PARAM_DIR: $logs log files, $gz compressed, $bytes bytes"
echo "bytes=$bytes" >>"$VEND_OUTPUT"
echo "logs=$logs" >>"$VEND_OUTPUT"
