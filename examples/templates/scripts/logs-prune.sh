#!/bin/sh
# Delete compressed logs past retention; report what it saved.
set -eu
n=0
for f in $(find "$PARAM_DIR" -maxdepth 1 -type f -name '*.log.gz' -mtime +"$PARAM_KEEP_DAYS" | sort); do
	if [ "$PARAM_DRY_RUN" = true ]; then
		echo "would delete $f"
	else
		rm -f "$f"
		echo "deleted $f"
	fi
	n=$((n + 1))
done
after=$(du -sb "$PARAM_DIR" | cut -f1)
echo "$n old file(s); $BEFORE_BYTES bytes before, $after now"
