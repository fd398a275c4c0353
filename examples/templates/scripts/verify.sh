#!/bin/sh
# Verify: every replica serves exactly the version and bytes we built.
set -eu
bad=0
i=1
while [ "$i" -le "$PARAM_REPLICAS" ]; do
	cur="$PARAM_TARGET/$PARAM_ENVIRONMENT/$PARAM_SERVICE/replica-$i/current"
	got=$(cat "$cur/VERSION" 2>/dev/null || echo none)
	if [ "$got" != "$PARAM_VERSION" ]; then
		echo "replica-$i serves $got, not $PARAM_VERSION" >&2
		bad=1
	elif ! grep -q "$PARAM_SERVICE $PARAM_VERSION" "$cur/index.html"; then
		echo "replica-$i serves a broken page" >&2
		bad=1
	else
		echo "replica-$i ok"
	fi
	i=$((i + 1))
done
exit $bad
