#!/bin/sh
# Compress *.log files not written for a day (the live one keeps its handle).
set -eu
n=0
for f in $(find "$PARAM_DIR" -maxdepth 1 -type f -name '*.log' -mmin +1440 | sort); do
	if [ "$PARAM_DRY_RUN" = true ]; then
		echo "would compress $f"
	else
		gzip -f "$f"
		echo "compressed $f"
	fi
	n=$((n + 1))
done
echo "$n file(s) $( [ "$PARAM_DRY_RUN" = true ] && echo "to compress" || echo compressed)"
