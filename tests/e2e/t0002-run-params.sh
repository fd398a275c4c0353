#!/bin/bash
# Every parameter rule: good values pass, bad ones get a 400 naming each field.
. "$(dirname "$0")/test-lib.sh"

vend_up

test_expect_success 'defaults are filled and types converted' '
	vend run rules -p service=payments -p replicas=5 -p dry=true -o json --wait >run.json &&
	jq -e ".params == {service:\"payments\", env:\"staging\", replicas:5, ratio:0.5, dry:true, note:\"hello\"}" run.json &&
	id=$(jq .id run.json) &&
	vend logs "$id" --raw | grep -q "service=payments env=staging replicas=5 ratio=0.5 dry=true note=hello"
'

# bad PARAMS... -> exit 2, and each field named in the problem+json
reject() {
	local field=$1 msg=$2
	shift 2
	expect_exit 2 vend run rules "$@" >out 2>err || return 1
	grep -q "$field" err || { echo "no $field in:"; cat err; return 1; }
	grep -q "$msg" err || { echo "no \"$msg\" in:"; cat err; return 1; }
}

test_expect_success 'required' 'reject params.service "required"'
test_expect_success 'pattern' 'reject params.service "match" -p service=Payments'
test_expect_success 'enum' 'reject params.env "staging, prod" -p service=ab -p env=dev'
test_expect_success 'integer type' 'reject params.replicas "integer" -p service=ab -p replicas=two'
test_expect_success 'integer rejects a float' 'reject params.replicas "integer" -p service=ab -p replicas=2.5'
test_expect_success 'minimum' 'reject params.replicas "at least 1" -p service=ab -p replicas=0'
test_expect_success 'maximum' 'reject params.replicas "at most 20" -p service=ab -p replicas=21'
test_expect_success 'number type' 'reject params.ratio "number" -p service=ab -p ratio=half'
test_expect_success 'number maximum' 'reject params.ratio "at most 1" -p service=ab -p ratio=1.5'
test_expect_success 'boolean' 'reject params.dry "true or false" -p service=ab -p dry=yes'
test_expect_success 'minLength' 'reject params.note "at least 3" -p service=ab -p note=hi'
test_expect_success 'maxLength counts code points' '
	vend run rules -p service=ab -p note=ääääääääää --wait >/dev/null &&
	reject params.note "at most 10" -p service=ab -p note=äääääääääää
'
test_expect_success 'unknown parameter, with a suggestion' 'reject params.servce "did you mean" -p service=ab -p servce=x'

test_expect_success 'every bad field is reported at once' '
	curl -s -o body -w "%{http_code} %{content_type}" \
		-H "Authorization: Bearer $(cat "$VEND_DATA/admin.token")" \
		-d "{\"template\":\"rules\",\"params\":{\"env\":\"dev\",\"replicas\":99,\"dry\":\"maybe\"}}" \
		"$(cat "$VEND_DATA/server.url")/api/v1/runs" >status &&
	test "$(cat status)" = "400 application/problem+json" &&
	jq -e "[.errors[].field] | sort == [\"params.dry\", \"params.env\", \"params.replicas\", \"params.service\"]" body &&
	jq -e ".status == 400 and .title == \"Bad Request\"" body
'

test_expect_success 'JSON-typed values are accepted as such' '
	curl -s -o body -w "%{http_code}" \
		-H "Authorization: Bearer $(cat "$VEND_DATA/admin.token")" \
		-d "{\"template\":\"rules\",\"params\":{\"service\":\"ab\",\"replicas\":3,\"ratio\":0.25,\"dry\":false}}" \
		"$(cat "$VEND_DATA/server.url")/api/v1/runs" >status &&
	test "$(cat status)" = 201 &&
	jq -e ".params.replicas == 3 and .params.ratio == 0.25 and .params.dry == false" body
'

test_expect_success 'a rejected request creates no run' '
	before=$(vend runs -o json | jq ".runs | length") &&
	vend run rules -p service=BAD 2>/dev/null; 
	after=$(vend runs -o json | jq ".runs | length") &&
	test "$before" = "$after"
'

test_expect_success 'unknown template: exit 1 and a clear message' '
	expect_exit 1 vend run nosuch 2>err &&
	grep -q "no template named nosuch" err
'

test_expect_success 'dry run validates and creates nothing' '
	before=$(vend runs -o json | jq ".runs | length") &&
	vend run rules -p service=ab --dry-run -o json >dry.json &&
	jq -e ".dry_run == true and .params.replicas == 2 and .steps[0].name == \"show\"" dry.json &&
	after=$(vend runs -o json | jq ".runs | length") &&
	test "$before" = "$after"
'

test_done
