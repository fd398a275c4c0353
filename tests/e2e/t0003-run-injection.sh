#!/bin/bash
# Parameter values are data: shell syntax in them executes nothing.
. "$(dirname "$0")/test-lib.sh"

vend_up

payloads=(
	'$(touch PWNED)'
	'`touch PWNED`'
	"'; touch PWNED; echo '"
	'"; touch PWNED; echo "'
	'; touch PWNED'
	'&& touch PWNED'
	'| touch PWNED'
	'$((1+1))$HOME${PATH}'
	$'line1\ntouch PWNED'
	'%s%n%x'
)

i=0
for p in "${payloads[@]}"; do
	i=$((i + 1))
	P=$p
	test_expect_success "payload $i is printed verbatim and runs nothing" '
		rm -f /tmp/PWNED "$TEST_DIR/PWNED" &&
		id=$(vend run echo -p "msg=$P" -o json | jq .id) &&
		wait_state "$id" succeeded &&
		vend logs "$id" --raw >got &&
		printf "%s\n" "$P" >want &&
		diff want got &&
		! test -e /tmp/PWNED && ! test -e "$TEST_DIR/PWNED" &&
		! find "$VEND_DATA" -name PWNED | grep -q .
	'
done

test_expect_success '${{ }} inside run: is refused when the catalog loads' '
	mkdir -p bad/templates &&
	cat >bad/templates/bad.yaml <<-\YAML &&
	apiVersion: vend/v1
	kind: Template
	metadata: {name: bad}
	spec:
	  parameters:
	    x: {type: string}
	  steps:
	    - name: s
	      run: echo ${{ params.x }}
	YAML
	expect_exit 2 vend catalog sync bad 2>err &&
	grep -q "bad.yaml:9:.*not allowed in run" err
'

test_done
