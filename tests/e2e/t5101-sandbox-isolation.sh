#!/bin/bash
# The sandbox (docs/sandbox.md): what a step cannot see or do. Each check
# is made from inside a step (the probe template runs the shell text it is
# given) and, where it matters, confirmed from the host.
. "$(dirname "$0")/test-lib.sh"

vend_up --concurrency 4
URL=$(cat "$VEND_DATA/server.url")

# probe TEMPLATE CMD [ARG]: runs CMD in a step; leaves the run id in $id
# and its raw log in ./log; succeeds if the step did.
probe() {
	id=$(vend run "$1" -p cmd="$2" -p arg="${3:-}" -o json | jq .id) && test -n "$id" &&
		wait_for 60 run_finished "$id" &&
		vend logs "$id" --raw >log
	cat log
	test "$(run_field "$id" .state)" = succeeded
}

test_expect_success 'a step cannot read the data directory, even knowing its path' '
	test -s "$VEND_DATA/admin.token" && { test_backend postgres || test -s "$VEND_DATA/vend.db"; } &&
	probe probe "
		for f in \"\$PARAM_ARG/admin.token\" \"\$PARAM_ARG/vend.db\" \"\$PARAM_ARG/work\"; do
			if test -e \"\$f\"; then echo \"visible: \$f\"; exit 1; fi
		done
		cat \"\$PARAM_ARG/admin.token\" && exit 1
		ls /proc/1/root\$PARAM_ARG 2>/dev/null && exit 1
		echo unseen" "$VEND_DATA" &&
	grep -qx unseen log &&
	! grep -qF "$(cat "$VEND_DATA/admin.token")" log
'

test_expect_success 'a step cannot see another step, by path or through /proc' '
	a=$(vend run probe -p cmd="echo \"\$PARAM_ARG\" >secret-of-a; sleep 3033.$$" \
		-p arg=S3CR3T-$$ -o json | jq .id) &&
	wait_for 20 pgrep -f "^sleep 3033.$$" &&
	wait_for 10 sh -c "ls \"$VEND_DATA\"/work/jobs/*/work/secret-of-a" &&
	adir=$(dirname "$(ls "$VEND_DATA"/work/jobs/*/work/secret-of-a)") &&
	probe probe "
		test -e \"\$PARAM_ARG/secret-of-a\" && { echo by-path; exit 1; }
		find / -path /proc -prune -o -name secret-of-a -print 2>/dev/null | grep . && exit 1
		for p in /proc/[0-9]*; do tr \"\\0\" \" \" <\$p/cmdline; echo; done >/tmp/cmdlines
		grep \"^sleep 3033.$$\" /tmp/cmdlines && exit 1
		ls -d /proc/[0-9]* | wc -l
		echo alone" "$adir" &&
	grep -qx alone log &&
	pgrep -f "^sleep 3033.$$" >/dev/null &&
	vend cancel "$a" >/dev/null &&
	wait_for 10 sh -c "! pgrep -f \"^sleep 3033.$$\" >/dev/null"
'

test_expect_success 'no network without network: true (the server is unreachable)' '
	! probe probe "curl -sS -m 5 \"\$PARAM_ARG/healthz\"" "$URL" &&
	grep -q "curl: (7)" log
'

test_expect_success 'network: true reaches the server' '
	probe probe-net "curl -sS -m 5 \"\$PARAM_ARG/healthz\"" "$URL" &&
	grep -qi "ok" log
'

test_expect_success '/tmp is private to each step, and not the host'"'"'s' '
	probe probe "echo mine >/tmp/tmpmark-$$ && test \"\$TMPDIR\" = /tmp && echo wrote" &&
	grep -qx wrote log &&
	! test -e /tmp/tmpmark-$$ &&
	probe probe "test ! -e /tmp/tmpmark-$$ && echo clean" &&
	grep -qx clean log
'

test_expect_success 'a step sees the host'"'"'s /etc/hosts and CA certificates, read-only, and its own /etc/passwd' '
	probe probe "
		cat /etc/hosts
		test -e /etc/ssl/certs && echo certs-there
		(: >>/etc/hosts) 2>/dev/null && echo hosts-writable
		grep -c . /etc/passwd
		echo \"user \$(id -un) group \$(id -gn)\"" &&
	grep -qxF "$(head -1 /etc/hosts)" log &&
	grep -qx "user vend group vend" log &&
	{ test ! -e /etc/ssl/certs || grep -qx certs-there log; } &&
	! grep -q hosts-writable log &&
	grep -qx 3 log
'

test_expect_success 'a step writes only its directory, /tmp and :rw binds' '
	probe probe "
		for p in /usr/probe-x /etc/probe-x /probe-x /dev/probe-x /proc/probe-x \"\$PARAM_ARG\"; do
			if touch \"\$p\" 2>/dev/null && test -e \"\$p\"; then echo wrote \$p; fi
		done
		touch /vend/work/ok /tmp/ok $SHARE/ok && echo own-ok" "$TEST_DIR/host-probe" &&
	! grep -q "^wrote /usr\|^wrote /etc\|^wrote /probe-x\|^wrote /dev\|^wrote /proc" log &&
	grep -qx own-ok log &&
	! test -e "$TEST_DIR/host-probe" && test -e "$SHARE/ok"
'

test_expect_success 'no capabilities, no_new_privs, not root, no user namespaces' '
	probe probe "
		grep -E \"^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):\" /proc/self/status
		id -u
		unshare -U true 2>/dev/null && echo nested-userns
		sleep 3034.$$ & until test -e \"\$PARAM_ARG\"; do sleep 0.1; done; kill \$!" \
		"$SHARE/go-3034" >/dev/null &
	prober=$! &&
	wait_for 30 pgrep -f "^sleep 3034.$$" &&
	uid=$(ps -o uid= -p "$(pgrep -f "^sleep 3034.$$" | head -1)" | tr -d " ") &&
	: >"$SHARE/go-3034" &&
	wait $prober &&
	say "the step runs as host uid $uid" &&
	test "$uid" != 0 &&
	(for c in CapInh CapPrm CapEff CapBnd CapAmb; do
		grep -q "^$c:[[:space:]]*0000000000000000$" log || exit 1
	done) &&
	grep -q "^NoNewPrivs:[[:space:]]*1$" log &&
	! grep -qx 0 log &&
	! grep -q nested-userns log
'

test_expect_success 'the environment is exactly what the runner built' '
	probe probe "env | cut -d= -f1 | sort | tr \"\\n\" \" \"; echo; echo \"home=\$HOME out=\$VEND_OUTPUT pwd=\$(pwd)\"" &&
	grep -qx "HOME LANG PARAM_ARG PARAM_CMD PATH PWD TMPDIR TRACEPARENT VEND_ATTEMPT VEND_OUTPUT VEND_RUN_ID VEND_STEP VEND_TEMPLATE " log &&
	grep -qx "home=/vend/work out=/vend/output pwd=/vend/work" log
'

test_expect_success 'the template'"'"'s files are in the working directory; outputs work' '
	id=$(vend run outputs -p tag=9.9.9 -o json | jq .id) &&
	wait_state "$id" succeeded &&
	test "$(run_field "$id" ".steps[0].outputs.image")" = registry.local/app:9.9.9 &&
	id=$(vend run timeout -p pidfile="$SHARE/pids2" -p seconds=1 -o json | jq .id) &&
	wait_for 20 run_finished "$id" &&
	vend logs "$id" | grep -q "started tree"
'

test_expect_success 'a symlink as $VEND_OUTPUT is not followed by the runner' '
	probe probe "ln -sf \"\$PARAM_ARG\" /vend/output && echo linked" "$VEND_DATA/admin.token" &&
	grep -q "ignoring \$VEND_OUTPUT: not a regular file" log &&
	test "$(run_field "$id" ".steps[0].outputs | length")" = 0
'

# The limits of probe-limits: cpu 2s, memory 128Mi, files 64, processes 32.
test_expect_success 'a memory hog fails at its limit, and the log says why' '
	! probe probe-memory "x=\$(head -c 300000000 /dev/zero | tr \"\\0\" a); echo len \${#x}" &&
	! grep -q "^len" log &&
	grep -q "memory limit is 128Mi" log
'

test_expect_success 'processes stop at the process limit ("Cannot fork")' '
	! probe probe-limits "i=0; while [ \$i -lt 100 ]; do sleep 60 & i=\$((i+1)); done; echo started \$i" &&
	grep -q "Cannot fork" log &&
	! grep -q "^started" log
'

test_expect_success 'a fork bomb ends with its step; nothing of it is left' '
	probe probe-limits "f() { f | f & }; f; sleep 3; echo survived" || : &&
	grep -q "Cannot fork" log &&
	test "$(run_field "$id" .reason)" != "step probe failed: timed out" &&
	wait_for 10 sh -c "! pgrep -f \"# probe-limit[s]\" >/dev/null" &&
	vend run echo -p msg=after --wait >/dev/null
'

test_expect_success 'a busy loop stops at its CPU limit, and the log says why' '
	! probe probe-limits "while :; do :; done" &&
	grep -q "reached its CPU time limit (2s per process)" log
'

test_expect_success 'a step asking more than the runner allows gets the runner'"'"'s limits' '
	vend_stop &&
	vend_up --concurrency 4 --limits memory=64Mi &&
	URL=$(cat "$VEND_DATA/server.url") &&
	probe probe-limits "ulimit -v" &&
	grep -qx 65536 log &&
	grep -q "asks for more than this runner allows (memory 128Mi)" log
'

# A runner of its own, as on another machine: its token in a file of a
# directory only it (root) reads, its work directory beside it.
test_expect_success 'vend runner: steps cannot reach its token, its config or its work' '
	mkdir -m 0700 runner-conf &&
	vend token create remote-1 --role runner -o json | jq -r .token >runner-conf/token &&
	chmod 0600 runner-conf/token &&
	vend_runner --name remote-1 --labels remote --token-file "$TEST_DIR/runner-conf/token" \
		--work "$TEST_DIR/runner-work" &&
	probe probe-remote "
		for f in \"\$PARAM_ARG/runner-conf/token\" \"\$PARAM_ARG/runner-work\" \"\$PARAM_ARG/data\"; do
			test -e \"\$f\" && { echo \"visible: \$f\"; exit 1; }
		done
		cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | tr \"\\0\" \"\\n\" | grep \"vend[_]\" && exit 1
		echo unseen" "$TEST_DIR" &&
	grep -qx unseen log &&
	! grep -qF "$(cat runner-conf/token)" log &&
	test "$(run_field "$id" ".steps[0].runner")" = remote-1 &&
	grep -q "sandbox: bubblewrap" runner.log
'

test_expect_success 'a runner token calls nothing but the runner routes' '
	VEND_TOKEN=$(cat runner-conf/token) expect_exit 1 vend runs 2>err &&
	grep -qi "forbidden\|not allowed\|may not" err
'

test_expect_success 'without bubblewrap vend runner refuses to start, and says what to do' '
	mkdir -p empty-path &&
	PATH=$TEST_DIR/empty-path expect_exit 1 "$VEND_BIN" runner --server "$URL" \
		--token-file runner-conf/token --work runner-work-2 2>err &&
	cat err &&
	grep -q "bubblewrap (bwrap) is not installed" err &&
	grep -q -- "--sandbox none" err
'

test_expect_success 'vend runner --sandbox none says so in every step'"'"'s log' '
	kill -TERM "$RUNNER_PID" && wait "$RUNNER_PID"
	vend_runner --name remote-2 --labels remote --token-file "$TEST_DIR/runner-conf/token" \
		--work "$TEST_DIR/runner-work" --sandbox none &&
	(for i in 1 2; do
		probe probe-remote "echo step \$PARAM_ARG" $i &&
		grep -q "^vend: this step runs without a sandbox" log &&
		grep -qx "step $i" log || exit 1
	done) &&
	grep -q "no sandbox (--sandbox none)" runner.log
'

test_done
