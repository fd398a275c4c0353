#!/bin/bash
# vend catalog sync: atomic, versioned by content (document and files).
. "$(dirname "$0")/test-lib.sh"

vend_up --no-catalog

make_catalog() {
	rm -rf cat && mkdir -p cat/templates/scripts &&
	cat >cat/templates/greet.yaml <<-\YAML &&
	apiVersion: vend/v1
	kind: Template
	metadata: {name: greet, title: Greet}
	spec:
	  steps:
	    - name: hi
	      run: ./scripts/hi.sh
	YAML
	printf "#!/bin/sh\necho \"script says $1\"\n" >cat/templates/scripts/hi.sh &&
	chmod +x cat/templates/scripts/hi.sh
}

test_expect_success 'an empty server has no templates' '
	vend template list -o json | jq -e ".templates == []"
'

test_expect_success 'sync a catalog; the step sees its script files' '
	make_catalog v1 &&
	vend catalog sync cat >out &&
	grep -q "greet" out &&
	v1=$(vend template show greet -o json | jq -r .version) &&
	id=$(vend run greet --wait -o json | jq .id) &&
	vend logs "$id" --raw | grep -q "script says v1"
'

test_expect_success 'changing only a script makes a new version' '
	make_catalog v2 &&
	vend catalog sync cat >/dev/null &&
	v2=$(vend template show greet -o json | jq -r .version) &&
	test "$v1" != "$v2" &&
	vend run greet --wait >/dev/null &&
	id2=$(vend runs -o json | jq ".runs[0].id") &&
	vend logs "$id2" --raw | grep -q "script says v2"
'

test_expect_success 'an old run keeps its version; the old version can still run' '
	test "$(run_field "$id" .version)" = "$v1" &&
	id3=$(vend run greet --version "${v1:0:12}" --wait -o json | jq .id) &&
	vend logs "$id3" --raw | grep -q "script says v1"
'

test_expect_success 'syncing the same content again changes nothing' '
	vend catalog sync cat -o json >same.json &&
	jq -e ".templates[0].new == false" same.json &&
	test "$(vend template show greet -o json | jq -r .version)" = "$v2"
'

test_expect_success 'an invalid catalog changes nothing and says why' '
	cp -r cat bad &&
	printf "apiVersion: vend/v1\nkind: Template\nmetadata: {name: other}\nspec:\n  stepz: []\n" >bad/templates/other.yaml &&
	expect_exit 2 vend catalog sync bad 2>err &&
	grep -q "other.yaml:5:3:" err &&
	grep -q "nothing was changed" err &&
	vend template list -o json | jq -e "[.templates[].name] == [\"greet\"]"
'

test_expect_success 'a template removed from the catalog can no longer be run' '
	rm -rf cat2 && mkdir -p cat2/templates &&
	cp "$E2E/catalog/templates/echo.yaml" cat2/templates/ &&
	vend catalog sync cat2 >/dev/null &&
	expect_exit 1 vend run greet 2>err &&
	grep -q "no template named greet" err &&
	test "$(run_field "$id" .state)" = succeeded
'

test_expect_success 'template versions are listed' '
	vend template show echo -o json | jq -e ".current == true" &&
	curl -s -H "Authorization: Bearer $(cat "$VEND_DATA/admin.token")" \
		"$(cat "$VEND_DATA/server.url")/api/v1/templates/greet/versions" |
		jq -e ".versions | length == 2"
'

test_done
