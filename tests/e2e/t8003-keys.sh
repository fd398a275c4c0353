#!/bin/bash
# Trusted keys through the API (DESIGN §9, §10 /api/v1/keys; issue 8
# point 5): `vend key add` trusts a minisign public key, so an artifact
# signed by Debian's `minisign -S` passes a policy that wants signed
# artifacts; `vend key delete` takes the trust back and the run is refused
# with the reason. Names never clash with the catalog's TrustedKeys; every
# change is audited.
. "$(dirname "$0")/test-lib.sh"

CAT=$TEST_DIR/catalog
T=$CAT/templates/ship
mkdir -p "$T/dist" "$CAT/policies"
minisign -G -W -p release.pub -s release.key >/dev/null
minisign -G -W -p cat.pub -s cat.key >/dev/null
# minisign prints the key id without leading zeros; vend always with 16 digits
KEY_ID=$(head -1 release.pub | awk '{printf "%016s\n", $NF}' | tr " " 0)

write_file "$CAT/keys.yaml" <<EOT
apiVersion: vend/v1
kind: TrustedKey
metadata: {name: catkey}
spec: {minisign: "$(tail -1 cat.pub)", description: from the catalog}
EOT
write_file "$CAT/policies/signed.yaml" <<'EOT'
apiVersion: vend/v1
kind: Policy
metadata: {name: signed-only}
spec:
  rules:
    - deny: "artifact.name != '' && !artifact.signed"
      message: "unsigned artifact ${{ artifact.name }}"
EOT
write_file "$T/ship.yaml" <<'EOT'
apiVersion: vend/v1
kind: Template
metadata: {name: ship}
spec:
  parameters:
    version: {type: string, required: true}
  artifact:
    name: "app-${{ params.version }}"
    file: "dist/app-${{ params.version }}.tgz"
    signature: "dist/app-${{ params.version }}.tgz.minisig"
  steps:
    - name: deploy
      run: echo deploying "$PARAM_VERSION"
EOT
head -c 5000 /dev/urandom >"$T/dist/app-1.0.tgz"
minisign -S -s release.key -m "$T/dist/app-1.0.tgz" -t "app 1.0 by ci" >/dev/null

vend_up --catalog "$CAT"

test_expect_success 'before the key is trusted, the signed artifact is refused' '
	expect_exit 1 vend run ship -p version=1.0 --wait >out 2>&1 ;
	id=$(vend runs -o json | jq ".runs[0].id") &&
	run_json "$id" >run.json &&
	jq -e ".state == \"rejected\" and .artifact.signed == false" run.json &&
	jq -r .artifact.reason run.json | grep -q "signed by key $KEY_ID, which is not a TrustedKey"
'

test_expect_success 'vend key add --from-file trusts a minisign .pub file' '
	vend key add release --from-file release.pub >out &&
	grep -q "trusted key release added (key id $KEY_ID)" out &&
	vend key list -o json >keys.json &&
	jq -e ".keys | length == 2" keys.json &&
	jq -e ".keys[] | select(.name == \"release\") | .source == \"api\" and .key_id == \"$KEY_ID\" and .created_by == \"admin\" and .key == \"$(tail -1 release.pub)\"" keys.json &&
	jq -e ".keys[] | select(.name == \"release\") | .comment | startswith(\"minisign public key\")" keys.json &&
	jq -e ".keys[] | select(.name == \"catkey\") | .source == \"catalog\" and .comment == \"from the catalog\" and .path == \"keys.yaml\"" keys.json &&
	vend key list >table &&
	grep -q "^NAME  *KEY ID  *SOURCE" table &&
	grep -q "^release  *$KEY_ID  *api  *admin" table &&
	grep -q "^catkey  *[0-9A-F]*  *catalog  *-" table
'

test_expect_success 'with the key trusted, the run passes the policy and succeeds' '
	id=$(vend run ship -p version=1.0 --wait -o json | jq .id) &&
	run_json "$id" >run.json &&
	jq -e ".state == \"succeeded\" and .artifact.signed == true and .artifact.signer == \"release\"" run.json &&
	jq -e ".artifact.key_id == \"$KEY_ID\" and .artifact.trusted_comment == \"app 1.0 by ci\"" run.json
'

test_expect_success 'names and key ids do not clash; bad input is refused with the reason' '
	expect_exit 1 vend key add catkey --key "$(tail -1 release.pub)" 2>err &&
	grep -q "catkey is a TrustedKey of the catalog (keys.yaml)" err &&
	expect_exit 1 vend key add again --from-file release.pub 2>err &&
	grep -q "key $KEY_ID is already trusted as release" err &&
	expect_exit 1 vend key add release --from-file cat.pub 2>err &&
	grep -q "already a trusted key release; delete it first" err &&
	expect_exit 2 vend key add junk --key RWQnotakey 2>err &&
	grep -q "is not a minisign public key" err &&
	expect_exit 2 vend key add Bad_Name --from-file cat.pub 2>err &&
	grep -q "name: must be 1 to 63 of a-z, 0-9 and -" err &&
	expect_exit 2 vend key add x 2>err &&
	grep -q "give the key with --from-file FILE or --key" err &&
	expect_exit 1 vend key delete catkey 2>err &&
	grep -q "catkey is a TrustedKey of the catalog (keys.yaml); remove it there" err
'

test_expect_success 'only admins change keys; everyone may list them' '
	tok=$(vend token create bob --role operator -o json | jq -r .token) &&
	expect_exit 1 vend key add bobs --from-file cat.pub --token "$tok" 2>err &&
	grep -q "bob may not add a trusted minisign key" err &&
	expect_exit 1 vend key delete release --token "$tok" 2>err &&
	vend key list --token "$tok" | grep -q "^release "
'

test_expect_success 'a catalog sync refuses a TrustedKey under an API key'"'"'s name' '
	cp -r "$CAT" cat2 &&
	sed -i "s/name: catkey/name: release/" cat2/keys.yaml &&
	expect_exit 2 vend catalog sync cat2 2>err ;
	grep -q "^keys.yaml:1:1: TrustedKey release: a key of that name was added with vend key add" err &&
	vend key list -o json | jq -e "[.keys[].name] == [\"catkey\", \"release\"]"
'

test_expect_success 'after vend key delete the artifact is refused again, with the reason' '
	vend key delete release >out &&
	grep -q "trusted key release deleted" out &&
	expect_exit 1 vend run ship -p version=1.0 --wait >out 2>&1 ;
	id=$(vend runs -o json | jq ".runs[0].id") &&
	run_json "$id" >run.json &&
	jq -e ".state == \"rejected\" and .artifact.signed == false and .artifact.signer == null" run.json &&
	jq -r .artifact.reason run.json | grep -q "signed by key $KEY_ID, which is not a TrustedKey" &&
	jq -r .reason run.json | grep -q "unsigned artifact app-1.0" &&
	expect_exit 1 vend key delete release 2>err &&
	grep -q "there is no trusted key release" err
'

test_expect_success 'adding and deleting are in the audit log (trustedkey.change)' '
	vend audit export >audit.jsonl &&
	jq -c "select(.entry.action == \"trustedkey.change\") | [.entry.target, .entry.result]" audit.jsonl >changes &&
	grep -qx "\[\"release\",\"added\"\]" changes &&
	grep -qx "\[\"release\",\"removed\"\]" changes &&
	vend audit verify
'

test_expect_success 'the API: PUT replaces, POST with a bad body says what it wants' '
	url=$(cat "$VEND_DATA/server.url") && tok=$(cat "$VEND_DATA/admin.token") &&
	curl -s -X PUT -H "Authorization: Bearer $tok" -d "{\"key\": \"$(tail -1 cat.pub)\"}" "$url/api/v1/keys/x" >out ;
	grep -q "already trusted as catkey" out &&
	curl -s -X PUT -H "Authorization: Bearer $tok" -d "{\"key\": \"$(tail -1 release.pub)\", \"comment\": \"ci\"}" "$url/api/v1/keys/rel2" | jq -e ".source == \"api\" and .comment == \"ci\"" &&
	curl -s -X PUT -H "Authorization: Bearer $tok" -d "{\"key\": \"$(tail -1 release.pub)\", \"comment\": \"ci2\"}" "$url/api/v1/keys/rel2" | jq -e ".comment == \"ci2\"" &&
	curl -s -X POST -H "Authorization: Bearer $tok" -d "{}" "$url/api/v1/keys" | grep -q "the body must be"
'

test_done
