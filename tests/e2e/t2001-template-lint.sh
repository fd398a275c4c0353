#!/bin/bash
# vend template lint: every problem as file:line:col: message; exit 2.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'the example and test catalogs are clean' '
	vend template lint "$TOP"/examples/templates/*.yaml &&
	vend template lint "$E2E"/catalog/templates/*.yaml
'

test_expect_success 'problems are reported with their positions' '
	cat >bad.yaml <<-\YAML &&
	apiVersion: vend/v1
	kind: Template
	metadata:
	  name: Bad_Name
	spec:
	  parameters:
	    n: {type: integr}
	  colour: blue
	  steps:
	    - name: s
	      run: echo ${{ params.n }}
	      timeout: soon
	YAML
	expect_exit 2 vend template lint bad.yaml >out 2>err &&
	cat out &&
	grep -q "^bad.yaml:4:9: " out &&
	grep -q "^bad.yaml:7:15: " out &&
	grep -q "^bad.yaml:8:3: .*colour" out &&
	grep -q "^bad.yaml:11:.*not allowed in run" out &&
	grep -q "^bad.yaml:12:.*timeout" out &&
	test "$(wc -l <out)" -ge 5
'

test_expect_success 'a missing file is reported, not a crash' '
	expect_exit 2 vend template lint nosuch.yaml >out 2>&1 &&
	grep -q nosuch.yaml out
'

test_expect_success 'not YAML at all' '
	printf "key: [unclosed\n" >broken.yaml &&
	expect_exit 2 vend template lint broken.yaml >out 2>&1 &&
	grep -q "^broken.yaml:[0-9]*:[0-9]*:" out
'

test_done
