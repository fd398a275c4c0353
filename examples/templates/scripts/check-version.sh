#!/bin/sh
# Preflight: refuse to go backwards. The version must be newer than what
# the environment runs now (a downgrade is a rollback, not a deploy), or
# the same one: a redeploy, e.g. `vend drift reconcile deploy-app` after a
# replica drifted.
set -eu
live="$PARAM_TARGET/$PARAM_ENVIRONMENT/$PARAM_SERVICE/current/VERSION"
if [ ! -f "$live" ]; then
	echo "first deploy of $PARAM_SERVICE to $PARAM_ENVIRONMENT"
	exit 0
fi
now=$(cat "$live")
newest=$(printf '%s\n%s\n' "$now" "$PARAM_VERSION" | sort -t. -k1,1n -k2,2n -k3,3n | tail -1)
if [ "$PARAM_VERSION" = "$now" ]; then
	echo "redeploy of $now"
	exit 0
fi
if [ "$newest" != "$PARAM_VERSION" ]; then
	echo "refusing: $PARAM_ENVIRONMENT runs $now, and $PARAM_VERSION is not newer" >&2
	exit 1
fi
echo "upgrade $now -> $PARAM_VERSION"
