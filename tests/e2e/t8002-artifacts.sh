#!/bin/bash
# Signed artifacts (DESIGN §9, issue 8 point 5): Debian's minisign signs,
# vend verifies against the catalog's TrustedKeys when a run is checked,
# records signer and digest on the run, and the example prod policy
# refuses what is not signed, with its message.
. "$(dirname "$0")/test-lib.sh"

CAT=$TEST_DIR/catalog
T=$CAT/templates/ship
mkdir -p "$T/dist" "$CAT/policies"
cp "$TOP/examples/policies/prod-guardrails.yaml" "$CAT/policies/"
minisign -G -W -p release.pub -s release.key >/dev/null
minisign -G -W -p other.pub -s other.key >/dev/null
KEY=$(tail -1 release.pub)
# minisign prints the key id without leading zeros; vend always with 16 digits
KEY_ID=$(head -1 release.pub | awk '{printf "%016s\n", $NF}' | tr " " 0)

write_file "$CAT/keys.yaml" <<EOT
apiVersion: vend/v1
kind: TrustedKey
metadata: {name: release}
spec: {minisign: "$KEY"}
EOT
write_file "$T/ship.yaml" <<'EOT'
apiVersion: vend/v1
kind: Template
metadata: {name: ship}
spec:
  parameters:
    version: {type: string, required: true}
    environment: {type: string, enum: [staging, prod], default: staging}
  environment: "${{ params.environment }}"
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
# 1.1: signed, then one byte changed (its bits flipped: writing a fixed
# byte left the file as it was when the random byte was that one already)
head -c 5000 /dev/urandom >"$T/dist/app-1.1.tgz"
minisign -S -s release.key -m "$T/dist/app-1.1.tgz" >/dev/null
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(100); b = f.read(1)[0]
f.seek(100); f.write(bytes([b ^ 0xff]))' "$T/dist/app-1.1.tgz"
! minisign -V -q -p release.pub -m "$T/dist/app-1.1.tgz" 2>/dev/null ||
	{ echo "the changed file still verifies" >&2; exit 1; }
# 1.2: no signature at all; 1.3: signed by a key the catalog does not trust
echo unsigned >"$T/dist/app-1.2.tgz"
echo other >"$T/dist/app-1.3.tgz"
minisign -S -s other.key -m "$T/dist/app-1.3.tgz" >/dev/null
mkdir -p "$CAT/templates/fetch" www
write_file "$CAT/templates/fetch/fetch.yaml" <<'EOT'
apiVersion: vend/v1
kind: Template
metadata: {name: fetch}
spec:
  parameters:
    base: {type: string, required: true}
    file: {type: string, default: app-1.0.tgz}
  artifact:
    url: "${{ params.base }}/${{ params.file }}"
    signature: "${{ params.base }}/${{ params.file }}.minisig"
  steps:
    - name: deploy
      run: "true"
EOT
cp "$T"/dist/app-1.0.tgz* "$T"/dist/app-1.1.tgz* www/
PORT=$(free_port)
(cd www && exec python3 -m http.server --bind 127.0.0.1 "$PORT") >/dev/null 2>&1 &
VEND_PIDS+=($!)
BASE="http://127.0.0.1:$PORT"
DIGEST10="sha256:$(sha256sum "$T/dist/app-1.0.tgz" | cut -d" " -f1)"
DIGEST11="sha256:$(sha256sum "$T/dist/app-1.1.tgz" | cut -d" " -f1)"

test_expect_success 'template lint checks a TrustedKey' '
	vend template lint "$CAT/keys.yaml" &&
	printf "apiVersion: vend/v1\nkind: TrustedKey\nmetadata: {name: k}\nspec: {minisign: RWQnope}\n" >bad.yaml &&
	expect_exit 2 vend template lint bad.yaml >out 2>&1 ;
	grep -q "bad.yaml:4:18: spec.minisign is not a minisign public key" out
'

vend_up --catalog "$CAT"

test_expect_success 'a signed artifact is accepted: signer, key id and digest on the run' '
	id=$(vend run ship -p version=1.0 --wait -o json | jq .id) &&
	test "$(run_field "$id" .state)" = succeeded &&
	run_json "$id" >run.json &&
	jq -e ".artifact.signed == true and .artifact.signer == \"release\" and .artifact.reason == null" run.json &&
	jq -e ".artifact.key_id == \"$KEY_ID\" and .artifact.digest == \"$DIGEST10\"" run.json &&
	jq -e ".artifact.trusted_comment == \"app 1.0 by ci\" and .artifact.name == \"app-1.0\"" run.json &&
	vend show "$id" | grep -q "artifact: *signed by release (key $KEY_ID), $DIGEST10"
'

test_expect_success 'in prod a signed artifact passes the policy (and waits for an approver)' '
	id=$(vend run ship -p version=1.0 -p environment=prod -o json | jq .id) &&
	wait_state "$id" awaiting_approval &&
	test "$(run_field "$id" .artifact.signed)" = true
'

test_expect_success 'one changed byte: signed false with the reason; the prod policy denies' '
	expect_exit 1 vend run ship -p version=1.1 -p environment=prod --wait >out 2>&1 ;
	id=$(vend runs -o json | jq ".runs[0].id") &&
	run_json "$id" >run.json &&
	jq -e ".state == \"rejected\" and .artifact.signed == false and .artifact.signer == null" run.json &&
	jq -r .artifact.reason run.json | grep -q "^bad signature (key $KEY_ID, TrustedKey release)" &&
	jq -e ".artifact.digest == \"$DIGEST11\"" run.json &&
	test "$(jq -r .reason run.json)" = "denied by policy prod-guardrails: production needs a signed artifact: app-1.1 is not signed by a trusted key" &&
	vend show "$id" >show &&
	grep -q "artifact: *NOT signed: bad signature" show &&
	vend logs "$id" | grep -q "artifact not signed: bad signature"
'

test_expect_success 'outside prod the same run goes ahead, recorded as unsigned' '
	id=$(vend run ship -p version=1.1 --wait -o json | jq .id) &&
	test "$(run_field "$id" .state)" = succeeded &&
	test "$(run_field "$id" .artifact.signed)" = false
'

test_expect_success 'no signature: signed false, denied in prod' '
	expect_exit 1 vend run ship -p version=1.2 -p environment=prod --wait >out 2>&1 ;
	id=$(vend runs -o json | jq ".runs[0].id") &&
	run_json "$id" >run.json &&
	jq -e ".state == \"rejected\" and .artifact.signed == false" run.json &&
	jq -r .artifact.reason run.json | grep -q "^no signature: dist/app-1.2.tgz.minisig is not a file" &&
	jq -r .reason run.json | grep -q "production needs a signed artifact: app-1.2"
'

test_expect_success 'a key the catalog does not trust: signed false' '
	id=$(vend run ship -p version=1.3 --wait -o json | jq .id) &&
	run_field "$id" .artifact.reason | grep -q "which is not a TrustedKey"
'

test_expect_success 'url: artifacts are fetched and verified' '
	wait_for 5 curl -sf "$BASE/app-1.0.tgz" -o /dev/null &&
	id=$(vend run fetch -p base="$BASE" --wait -o json | jq .id) &&
	run_json "$id" | jq -e ".artifact.signed == true and .artifact.digest == \"$DIGEST10\"" &&
	id=$(vend run fetch -p base="$BASE" -p file=app-1.1.tgz --wait -o json | jq .id) &&
	run_field "$id" .artifact.reason | grep -q "^bad signature" &&
	id=$(vend run fetch -p base="$BASE" -p file=nope.tgz --wait -o json | jq .id) &&
	run_field "$id" .artifact.reason | grep -q "HTTP status 404" &&
	id=$(vend run fetch -p base="file:///etc" -p file=passwd --wait -o json | jq .id) &&
	run_field "$id" .artifact.reason | grep -q "not an http:// or https:// URL"
'

test_expect_success 'a dry run shows the artifact check' '
	vend run ship -p version=1.1 -p environment=prod --dry-run -o json >dry.json &&
	jq -e ".outcome == \"rejected\" and .artifact.signed == false" dry.json
'

test_done
