#!/bin/sh
# Rollback: point each replica back at the release it served before.
set -eu
i=1
while [ "$i" -le "$PARAM_REPLICAS" ]; do
	dir="$PARAM_TARGET/$PARAM_ENVIRONMENT/$PARAM_SERVICE/replica-$i"
	if [ -f "$dir/previous" ]; then
		ln -sfn "$(cat "$dir/previous")" "$dir/current.new" && mv -T "$dir/current.new" "$dir/current"
		echo "replica-$i back on $(cat "$dir/current/VERSION")"
	fi
	i=$((i + 1))
done
