#!/bin/sh
# Release to every replica: unpack beside the live release, then switch
# the `current` link atomically (rename), so a replica never serves half a
# release. Safe to run again: it converges on the same state.
set -eu
echo "$DIGEST  $ARTIFACT" | sha256sum -c --quiet - || { echo "artifact digest mismatch" >&2; exit 1; }
i=1
while [ "$i" -le "$PARAM_REPLICAS" ]; do
	dir="$PARAM_TARGET/$PARAM_ENVIRONMENT/$PARAM_SERVICE/replica-$i"
	rel="$dir/releases/$PARAM_VERSION"
	mkdir -p "$rel"
	tar -C "$rel" -xzf "$ARTIFACT"
	if [ -L "$dir/current" ]; then
		readlink "$dir/current" >"$dir/previous"
	fi
	ln -sfn "$rel" "$dir/current.new" && mv -T "$dir/current.new" "$dir/current"
	echo "replica-$i now serves $PARAM_VERSION"
	i=$((i + 1))
done
# The environment's view: what its replicas serve.
ln -sfn "$PARAM_TARGET/$PARAM_ENVIRONMENT/$PARAM_SERVICE/replica-1/current" \
	"$PARAM_TARGET/$PARAM_ENVIRONMENT/$PARAM_SERVICE/current.new"
mv -T "$PARAM_TARGET/$PARAM_ENVIRONMENT/$PARAM_SERVICE/current.new" \
	"$PARAM_TARGET/$PARAM_ENVIRONMENT/$PARAM_SERVICE/current"
