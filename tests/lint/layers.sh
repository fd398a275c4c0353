#!/bin/bash
# The folders of src/ depend on each other one way (STYLE.md):
#
#   util <- cel <- template, store <- engine <- http <- daemon <- main
#   util <- audit <- engine, http, cli, daemon
#   util <- verify <- template, engine, http, runner, cli, daemon  (canary analysis)
#   policy sits beside template: it reads YAML nodes and catalogs from
#   template/, and template's linter calls back into policy for the
#   Policy and PolicyTest kinds (the one two-way pair).
#   client <- runner, cli    (they reach the server only through the API)
#   util <- secrets, artifact <- engine, http, runner, cli, daemon
#            (self-contained libraries: the redactor, minisign verification)
#
# Every #include "area/..." in src/AREA/ must name an area AREA may use.
# Prints TAP, one line per area.
cd "$(dirname "$0")/../.." || exit 1

declare -A allowed=(
	[util]="util"
	[cel]="util cel"
	[template]="util cel template policy verify artifact"
	[policy]="util cel template policy"
	[store]="util store"
	[audit]="util audit"
	[secrets]="util secrets"
	[artifact]="util artifact"
	[verify]="util verify"
	[engine]="util cel template policy store audit secrets artifact verify engine"
	[http]="util cel template policy store audit secrets artifact verify engine http"
	[client]="util client"
	[runner]="util client secrets artifact verify runner"
	[cli]="util cel template policy client audit secrets artifact verify cli"
	[daemon]="util cel template policy store audit secrets artifact verify engine http client runner daemon"
)

n=0
failed=0
for area in $(ls src | sort); do
	[ -d "src/$area" ] || continue
	n=$((n + 1))
	bad=""
	if [ -z "${allowed[$area]+x}" ]; then
		bad="src/$area is not in the layer table of tests/lint/layers.sh"
	else
		while IFS=: read -r file _ inc; do
			dep=$(echo "$inc" | sed -n 's/.*#include "\([a-z]*\)\/.*/\1/p')
			[ -z "$dep" ] && continue
			case " ${allowed[$area]} " in
			*" $dep "*) ;;
			*) bad="$bad $file includes $dep/;" ;;
			esac
		done < <(grep -n "#include \"" src/"$area"/*.[ch] 2>/dev/null)
	fi
	if [ -z "$bad" ]; then
		echo "ok $n - src/$area uses only: ${allowed[$area]}"
	else
		echo "not ok $n - src/$area breaks the layering"
		echo "# $bad"
		failed=$((failed + 1))
	fi
done
echo "1..$n"
[ "$failed" = 0 ]
