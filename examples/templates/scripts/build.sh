#!/bin/sh
# Build: a tarball of the site for this version, and its digest as outputs.
set -eu
mkdir -p site
cat >site/index.html <<HTML
<!doctype html><title>$PARAM_SERVICE</title>
<h1>$PARAM_SERVICE $PARAM_VERSION</h1>
HTML
echo "$PARAM_VERSION" >site/VERSION
store="$PARAM_TARGET/artifacts"
mkdir -p "$store"
artifact="$store/$PARAM_SERVICE-$PARAM_VERSION.tar.gz"
tar -C site -czf "$artifact.tmp" . && mv "$artifact.tmp" "$artifact"
digest=$(sha256sum "$artifact" | cut -d' ' -f1)
echo "built $artifact ($digest)"
echo "artifact=$artifact" >>"$VEND_OUTPUT"
echo "digest=$digest" >>"$VEND_OUTPUT"
