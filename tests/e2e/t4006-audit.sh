#!/bin/bash
# The tamper-evident audit log (DESIGN §8, docs/audit.md): every action is
# an entry; `vend audit verify` says the log is intact; an edited export and
# a row changed in the database are named; a broken log refuses changes.
. "$(dirname "$0")/test-lib.sh"

vend_up
SRE=$(vend token create sam --role approver --role sre 2>/dev/null)
VIEW=$(vend token create vic --role viewer 2>/dev/null)
OP=$(vend token create olivia --role operator 2>/dev/null)
as() { local t=$1; shift; VEND_TOKEN=$t "$VEND_BIN" "$@"; }
# entry_has SELECT TEST: some entry of ex.jsonl matching SELECT passes TEST.
entry_has() { jq -c "select(.entry) | .entry | select($1) | $2" ex.jsonl | grep -qx true; }
api() { curl -sS -H "Authorization: Bearer $(cat "$VEND_DATA/admin.token")" "$(cat "$VEND_DATA/server.url")$1"; }

test_expect_success 'a few runs, approvals, a cancel, a rollback, tokens, a sync' '
	id1=$(vend run echo -p msg=hi --wait -o json | jq .id) &&
	test "$(run_field "$id1" .state)" = succeeded &&
	expect_exit 2 vend run echo 2>/dev/null &&
	id2=$(vend run gated -o json | jq .id) && wait_state "$id2" awaiting_approval &&
	as "$SRE" approve "$id2" >/dev/null && wait_state "$id2" succeeded &&
	id3=$(vend run gated -o json | jq .id) && wait_state "$id3" awaiting_approval &&
	as "$SRE" reject "$id3" >/dev/null && wait_state "$id3" rejected &&
	id4=$(vend run slow -p seconds=30 -o json | jq .id) && wait_state "$id4" running &&
	vend cancel "$id4" >/dev/null && wait_state "$id4" canceled &&
	id5=$(vend run release -p log="$PWD/rel.log" --wait -o json | jq .id) &&
	vend rollback "$id5" >/dev/null && wait_state "$id5" rolled_back &&
	id6=$(vend run deploy -p environment=frozen --break-glass "fire drill" --wait -o json | jq .id) &&
	test "$(run_field "$id6" .state)" = succeeded &&
	vend token create tmp --role viewer >/dev/null 2>&1 && vend token revoke tmp >/dev/null &&
	vend catalog sync "$E2E/catalog" >/dev/null &&
	vend run gated --dry-run -o json | jq -e ".outcome == \"queued\"" >/dev/null
'

test_expect_success 'vend audit verify says the log is intact and how many entries it holds' '
	vend audit verify -o json >v.json &&
	n=$(jq .entries v.json) && test "$n" -gt 50 &&
	jq -e ".ok == true and .signed_size > 50 and .signed_size <= .entries and .checkpoints > 0" v.json &&
	vend audit verify >v.txt &&
	m=$(sed -n "s/^audit log intact: \([0-9]*\) entries, [0-9]* signed checkpoints verified.*/\1/p" v.txt) &&
	test "$m" -ge "$n"
'

test_expect_success 'every audited action is in the log, with who did it' '
	vend audit export >ex.jsonl &&
	head -1 ex.jsonl | jq -e ".checkpoint | startswith(\"vend/audit/\")" &&
	jq -r "select(.entry) | .entry.action" ex.jsonl | sort -u >actions &&
	for a in audit.key catalog.sync template.change environment.change token.create \
		token.revoke token.use run.request run.state policy.decision step.start step.end \
		approval.approve approval.reject run.cancel run.rollback run.break_glass \
		run.dry_run; do
		grep -qx "$a" actions || { say "no $a entry"; return 1; }
	done &&
	entry_has ".action == \"run.request\" and .run_id == $id1" \
		".actor == \"admin\" and .result == \"created\"" &&
	entry_has ".action == \"run.request\" and .result == \"invalid\"" \
		".details.errors[0].field == \"params.msg\"" &&
	entry_has ".action == \"run.dry_run\"" \
		".target == \"gated\" and .result == \"queued\" and .run_id == null" &&
	entry_has ".action == \"approval.approve\"" ".actor == \"sam\" and .run_id == $id2" &&
	entry_has ".action == \"approval.reject\"" ".actor == \"sam\" and .run_id == $id3" &&
	entry_has ".action == \"run.break_glass\"" ".details.reason == \"fire drill\" and .run_id == $id6" &&
	entry_has ".action == \"run.state\" and .run_id == $id4 and .result == \"canceled\"" \
		".details.reason == \"canceled by admin\"" &&
	entry_has ".action == \"token.use\" and .target == \"POST /api/v1/runs/$id4/cancel\"" \
		".actor == \"admin\" and .request_id != null" &&
	entry_has ".action == \"step.end\" and .run_id == $id1" ".result == \"succeeded\""
'

# Each POST /api/v1/runs that reached the engine: its token.use entry and
# right after it the request's own entry (created, invalid, dry run), with
# the same request id (both are written in one commit, docs/audit.md).
cat >use-then-request.jq <<'JQ'
[range(0; length - 1) as $i | .[$i] as $u | .[$i + 1] as $r
 | select($u.action == "token.use" and $u.target == "POST /api/v1/runs")
 | ($r.action == "run.request" or $r.action == "run.dry_run") and $r.request_id == $u.request_id
   and $r.actor == $u.actor]
| (length >= 5 and all)
JQ
uses() { vend audit export | jq -c 'select(.entry) | .entry' |
	jq -s '[.[] | select(.action == "token.use" and .target == "POST /api/v1/runs")] | length'; }

test_expect_success 'a run request records its token use right before what it did' '
	jq -c "select(.entry) | .entry" ex.jsonl | jq -s -e -f use-then-request.jq
'

test_expect_success 'a run request refused before it reached the engine records its token use after' '
	before=$(uses) &&
	curl -sS -o /dev/null -w "%{http_code}" -X POST -H "Content-Type: application/json" \
		-H "Authorization: Bearer $(cat "$VEND_DATA/admin.token")" -d "{not json" \
		"$(cat "$VEND_DATA/server.url")/api/v1/runs" >code && test "$(cat code)" = 400 &&
	test "$(uses)" = $((before + 1))
'

test_expect_success 'who may read the log: admins and viewers; the key is public' '
	as "$VIEW" audit verify >/dev/null &&
	expect_exit 1 as "$OP" audit export >/dev/null 2>err && grep -q "may not" err &&
	curl -sS "$(cat "$VEND_DATA/server.url")/api/v1/audit/public-key" | jq -e ".key | startswith(\"vend/audit/\")"
'

test_expect_success 'inclusion and consistency proofs from the API verify (RFC 9162, in Python)' '
	api /api/v1/audit/tree-head >head.json &&
	size=$(jq .size head.json) &&
	for i in 0 1 $((size / 2)) $((size - 1)); do
		api "/api/v1/audit/entries?start=$i&end=$((i + 1))" >"e$i.json" &&
		api "/api/v1/audit/proof/inclusion?index=$i&size=$size" >"p$i.json" || return 1
	done &&
	api "/api/v1/audit/proof/consistency?first=7&second=$size" >c.json &&
	api "/api/v1/audit/entries?start=0&end=7" >first7.json &&
	python3 - "$size" $((size / 2)) <<-\EOF
	import base64, hashlib, json, sys
	size, mid = int(sys.argv[1]), int(sys.argv[2])
	H = lambda b: hashlib.sha256(b).digest()
	leaf = lambda d: H(b"\x00" + d)
	node = lambda l, r: H(b"\x01" + l + r)
	def mth(leaves):  # RFC 9162 2.1.1, by the definition
	    if len(leaves) == 1: return leaves[0]
	    k = 1
	    while k * 2 < len(leaves): k *= 2
	    return node(mth(leaves[:k]), mth(leaves[k:]))
	def root_from_inclusion(i, n, h, proof):  # RFC 9162 2.1.3.2
	    fn, sn, r = i, n - 1, h
	    for p in proof:
	        if sn == 0: raise SystemExit("proof too long")
	        if fn & 1 or fn == sn:
	            r = node(p, r)
	            while not fn & 1 and fn != 0: fn >>= 1; sn >>= 1
	        else:
	            r = node(r, p)
	        fn >>= 1; sn >>= 1
	    assert sn == 0, "proof too short"
	    return r
	head = json.load(open("head.json"))
	root = base64.b64decode(head["root_hash"])
	for i in (0, 1, mid, size - 1):
	    e = json.load(open("e%d.json" % i))[0]
	    p = json.load(open("p%d.json" % i))
	    got = root_from_inclusion(i, size, leaf(base64.b64decode(e["data"])),
	                              [base64.b64decode(x) for x in p["hashes"]])
	    assert got == root, "inclusion of %d does not give the root" % i
	    bad = bytearray(base64.b64decode(p["hashes"][0])); bad[0] ^= 1
	    assert root_from_inclusion(i, size, leaf(base64.b64decode(e["data"])),
	        [bytes(bad)] + [base64.b64decode(x) for x in p["hashes"][1:]]) != root
	# Consistency 7 -> size (RFC 9162 2.1.4.2), old root from the entries.
	old = mth([leaf(base64.b64decode(e["data"])) for e in json.load(open("first7.json"))])
	proof = [base64.b64decode(x) for x in json.load(open("c.json"))["hashes"]]
	m, n = 7, size
	fn, sn = m - 1, n - 1
	while fn & 1: fn >>= 1; sn >>= 1
	fr = sr = proof[0]
	for c in proof[1:]:
	    assert sn != 0
	    if fn & 1 or fn == sn:
	        fr = node(c, fr); sr = node(c, sr)
	        while not fn & 1 and fn != 0: fn >>= 1; sn >>= 1
	    else:
	        sr = node(sr, c)
	    fn >>= 1; sn >>= 1
	assert sn == 0 and fr == old and sr == root, "consistency proof fails"
	print("proofs verify")
	EOF
'

test_expect_success 'one byte edited in an export: verify names that entry' '
	k=$(jq -r "select(.entry.action == \"token.use\") | .index" ex.jsonl | sed -n 3p) &&
	sed "/^{\"index\":$k,/s/\"actor\":\"admin\"/\"actor\":\"admim\"/" ex.jsonl >edited.jsonl &&
	! cmp -s ex.jsonl edited.jsonl &&
	vend audit verify --file ex.jsonl >ok.txt && grep -q "^audit log intact" ok.txt &&
	expect_exit 1 vend audit verify --file edited.jsonl >bad.txt &&
	grep -q "^audit log NOT intact: entry $k:" bad.txt &&
	expect_exit 1 vend audit verify --file edited.jsonl -o json >bad.json &&
	jq -e ".ok == false and .bad_index == $k" bad.json &&
	# a file is mapped, a pipe read line by line: the same verdicts
	cat ex.jsonl | vend audit verify --file - >ok-pipe.txt && cmp ok.txt ok-pipe.txt &&
	cat edited.jsonl | expect_exit 1 vend audit verify --file - >bad-pipe.txt &&
	cmp bad.txt bad-pipe.txt &&
	head -c -1 ex.jsonl >no-newline.jsonl &&
	vend audit verify --file no-newline.jsonl >ok-nonl.txt && cmp ok.txt ok-nonl.txt &&
	sed "s/\$/\r/" ex.jsonl >crlf.jsonl &&
	vend audit verify --file crlf.jsonl >ok-crlf.txt && cmp ok.txt ok-crlf.txt &&
	{ head -2 ex.jsonl; head -c 9000000 /dev/zero | tr "\0" a; echo; tail -1 ex.jsonl; } >long.jsonl &&
	expect_exit 1 vend audit verify --file long.jsonl >long.txt &&
	grep -q "line 3: longer than 8388608 bytes" long.txt
'

test_expect_success 'a dropped and a swapped line are named too; offline with a pinned key' '
	key=$(curl -sS "$(cat "$VEND_DATA/server.url")/api/v1/audit/public-key" | jq -r .key) &&
	grep -v "^{\"index\":9," ex.jsonl >dropped.jsonl &&
	expect_exit 1 vend audit verify --file dropped.jsonl --key "$key" --server http://127.0.0.1:1 >d.txt &&
	grep -q "entry 9" d.txt &&
	awk "/^{\"index\":4,/{h=\$0; next} {print} /^{\"index\":5,/{print h}" ex.jsonl >swapped.jsonl &&
	expect_exit 1 vend audit verify --file swapped.jsonl --key "$key" >s.txt &&
	grep -q "entry 4" s.txt
'

test_expect_success 'a row changed in the database: verify names it, and after a restart changes are refused (503)' '
	k=$(jq -r "select(.entry.action == \"token.use\") | .index" ex.jsonl | sed -n 2p) &&
	if test_backend sqlite; then
		sqlite3 "$VEND_DATA/vend.db" "UPDATE audit_entries SET data = CAST(replace(CAST(data AS TEXT), '\''\"actor\":\"admin\"'\'', '\''\"actor\":\"mallory\"'\'') AS BLOB) WHERE idx = $k"
	else
		db_query "UPDATE audit_entries SET data = convert_to(replace(convert_from(data, '\''UTF8'\''), '\''\"actor\":\"admin\"'\'', '\''\"actor\":\"mallory\"'\''), '\''UTF8'\'') WHERE idx = $k"
	fi &&
	expect_exit 1 vend audit verify >tampered.txt &&
	grep -q "NOT intact: entry $k: its bytes do not hash to the logged leaf" tampered.txt &&
	vend_stop && vend_up &&
	grep -q "AUDIT LOG FAILED ITS CHECK: entry $k" server.log &&
	expect_exit 3 vend run echo -p msg=again 2>err &&
	grep -q "audit log failed its check" err &&
	code=$(curl -sS -o problem.json -w "%{http_code}" -X POST -H "Authorization: Bearer $(cat "$VEND_DATA/admin.token")" \
		-H "Content-Type: application/json" -d "{\"template\":\"echo\",\"params\":{\"msg\":\"x\"}}" \
		"$(cat "$VEND_DATA/server.url")/api/v1/runs") &&
	test "$code" = 503 &&
	jq -e ".status == 503 and (.detail | contains(\"entry $k\"))" problem.json &&
	vend runs -o json >/dev/null
'

test_done
