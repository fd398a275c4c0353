#!/bin/bash
# Outputs from $VEND_OUTPUT reach later steps as ${{ steps.X.outputs.Y }}.
. "$(dirname "$0")/test-lib.sh"

vend_up

test_expect_success 'a key=value output and a multi-line one flow to the next step' '
	id=$(vend run outputs -p tag=9.9 -o json | jq .id) &&
	wait_state "$id" succeeded &&
	vend logs "$id" --raw >log &&
	grep -q "^deploying registry.local/app:9.9$" log &&
	grep -q "^line one$" log && grep -q "^line two$" log
'

test_expect_success 'outputs are in the run JSON' '
	run_json "$id" >run.json &&
	jq -e ".steps[0].outputs == {image: \"registry.local/app:9.9\", notes: \"line one\nline two\"}" run.json
'

test_done
