#!/bin/sh
# Stands in for a cloud API: writes the database's description under
# $PARAM_TARGET/dbs. Idempotent: provisioning the same name again updates it.
set -eu
dir="$PARAM_TARGET/dbs"
mkdir -p "$dir"
printf '{"name": "%s", "size": "%s", "replicas": %s}\n' \
	"$PARAM_NAME" "$PARAM_SIZE" "$PARAM_REPLICAS" >"$dir/$PARAM_NAME.json.tmp"
mv "$dir/$PARAM_NAME.json.tmp" "$dir/$PARAM_NAME.json"
echo "database $PARAM_NAME: $PARAM_REPLICAS x $PARAM_SIZE at $dir/$PARAM_NAME.json"
