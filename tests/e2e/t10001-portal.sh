#!/bin/bash
# The web portal in a real browser: headless Debian chromium driven by
# playwright-core (npm, installed here into tests/browser/node_modules).
# Signs in, submits a form with a client-side error, then a server-side
# one, then a valid run followed to succeeded with its log; approves a
# pending run as a second user; a queued run says which runner labels it
# waits for; opens Runners, Audit (an entry's proof checked in the
# browser) and Insights; looks at it on a 360 px phone in the dark.
# `<img src=x onerror=alert(1)>` in a parameter and in a log line must stay
# text. Screenshots go to tests/out/portal/ (portal@pg/ on PostgreSQL).
. "$(dirname "$0")/test-lib.sh"

BROWSER="$TOP/tests/browser"
OUT="$TOP/tests/out/portal${VEND_TEST_PG:+@pg}"
mkdir -p "$OUT"
CHROMIUM=""
for c in /usr/lib/chromium/chromium /usr/bin/chromium; do
	[ -x "$c" ] && CHROMIUM=$c && break
done

write_file catalog/templates/greet.yaml <<'YAML'
apiVersion: vend/v1
kind: Template
metadata:
  name: greet
  title: Greet someone
  description: Prints a message, a coloured line, and which options were chosen.
  tags: [example, portal]
spec:
  parameters:
    message: {type: string, required: true, description: What to say}
    team: {type: string, required: true, pattern: '^[[:alpha:]]+$', description: Letters only (a PCRE class the browser cannot check)}
    count: {type: integer, minimum: 1, maximum: 5, default: 2, description: How many times}
    color: {type: string, enum: [red, blue], default: blue, description: Which colour}
    loud: {type: boolean, default: false, description: Shout it}
    api_key: {type: secret, description: A secret that is never shown}
  steps:
    - name: say
      run: printf '%s\n' "$PARAM_MESSAGE"; printf '\033[31mred alert\033[0m\n'; echo "key $PARAM_API_KEY"
    - name: shout
      run: echo "shout done $PARAM_COUNT $PARAM_COLOR $PARAM_LOUD"
YAML
write_file catalog/templates/release.yaml <<'YAML'
apiVersion: vend/v1
kind: Template
metadata: {name: release, title: Release to production}
spec:
  environment: prod
  steps:
    - name: ship
      run: echo shipped
YAML
write_file catalog/templates/gpu.yaml <<'YAML'
apiVersion: vend/v1
kind: Template
metadata: {name: gpu}
spec:
  labels: [gpu]
  steps:
    - name: train
      run: echo trained
YAML
write_file catalog/templates/nap.yaml <<'YAML'
apiVersion: vend/v1
kind: Template
metadata: {name: nap}
spec:
  steps:
    - name: sleep
      run: sleep 60
YAML
write_file catalog/environments/prod.yaml <<'YAML'
apiVersion: vend/v1
kind: Environment
metadata: {name: prod}
spec:
  protected: true
  approvers: [role:sre]
  count: 1
YAML

vend_up --catalog "$TEST_DIR/catalog" || exit 1
URL=$(cat "$VEND_DATA/server.url")
ADMIN=$(cat "$VEND_DATA/admin.token")
SRE=$(vend token create sam --role approver --role sre 2>/dev/null)

browse() {
	VEND_URL=$URL OUT=$OUT CHROMIUM=$CHROMIUM timeout 600 node "$BROWSER/portal.mjs" "$@"
}

test_expect_success 'the portal is served at / with a strict CSP, nosniff and an ETag' '
	curl -s -D headers -o page.html "$URL/" &&
	grep -q "<main" page.html &&
	grep -qi "^Content-Security-Policy: default-src .self.;.*frame-ancestors .none." headers &&
	! grep -i "^Content-Security-Policy" headers | grep -q "unsafe-inline" &&
	grep -qi "^X-Content-Type-Options: nosniff" headers &&
	etag=$(sed -n "s/^[Ee][Tt][Aa][Gg]: *//p" headers | tr -d "\r") &&
	test -n "$etag" &&
	test "$(curl -s -o /dev/null -w "%{http_code}" -H "If-None-Match: $etag" "$URL/")" = 304 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$URL/ui/app.js")" = 200 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$URL/ui/nope.js")" = 404 &&
	! grep -q "<script>" page.html && ! grep -q " style=" page.html
'

test_expect_success 'the runs list streams as server-sent events (GET /api/v1/runs?watch=1)' '
	{ timeout 5 curl -sN -H "Authorization: Bearer $ADMIN" "$URL/api/v1/runs?watch=1" >watch.out || true; } &&
	grep -q "^event: runs" watch.out &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$URL/api/v1/runs?watch=1")" = 401
'

have_browser=""
if [ -z "$CHROMIUM" ]; then
	test_expect_success 'chromium is installed (scripts/deps.sh installs it)' 'false'
elif ! command -v npm >/dev/null 2>&1 && ! { [ "$(id -u)" = 0 ] &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm >/dev/null 2>&1; }; then
	test_skip 'the portal in a browser' 'npm is missing and could not be installed'
elif ! (cd "$BROWSER" && flock 9 && { [ -d node_modules/playwright-core ] ||
	timeout 300 npm ci --no-audit --no-fund --silent >"$TEST_DIR/npm.log" 2>&1; }) 9>"$BROWSER/.npm.lock"; then
	sed 's/^/# npm: /' "$TEST_DIR/npm.log" | tail -5
	test_skip 'the portal in a browser' 'npm install of playwright-core failed (no registry?)'
else
	have_browser=1
fi

if [ -n "$have_browser" ]; then
	test_expect_success 'sign in, a form with errors then a valid run, followed to succeeded with its log; XSS stays text' '
		TOKEN=$ADMIN browse run
	'

	pending=$(vend run release -o json | jq .id)
	test_expect_success 'a second user approves a pending run from the Approvals inbox' '
		wait_state "$pending" awaiting_approval &&
		TOKEN=$SRE RUN_ID=$pending browse approve &&
		wait_state "$pending" succeeded &&
		run_json "$pending" | jq -e ".approvals[0].votes[0] | .by == \"sam\" and .comment == \"ship it\""
	'

	stuck=$(vend run gpu -o json | jq .id)
	test_expect_success 'a run whose step no connected runner can take says what it waits for' '
		TOKEN=$ADMIN RUN_ID=$stuck browse waiting &&
		vend cancel "$stuck" >/dev/null
	'

	test_expect_success 'Runners: the embedded runner, idle, with its labels; an admin cordons and uncordons it' '
		TOKEN=$ADMIN browse runners &&
		TOKEN=$ADMIN browse runners_cordon &&
		vend runners -o json | jq -e ".runners[0].cordon == null" &&
		vend audit export | jq -c "select(.entry) | .entry" >entries &&
		jq -se "[.[] | select(.action == \"runner.cordon\")][0] |
			.actor == \"admin\" and .details.reason == \"patching\"" entries &&
		jq -se "[.[] | select(.action == \"runner.uncordon\")] | length == 1" entries
	'

	test_expect_success 'Audit: the signed tree head, filters, an entry verified in the browser' '
		TOKEN=$ADMIN browse audit
	'

	test_expect_success 'Insights: figures and SVG charts' '
		TOKEN=$ADMIN browse insights
	'

	test_expect_success 'a 360 px phone in dark mode: every page fits; keyboard reaches the skip link' '
		TOKEN=$ADMIN RUN_ID=$pending browse mobile
	'
fi

test_done
