#!/bin/bash
# A runner worker reuses its job directory from job to job (docs/sandbox.md):
# nothing a step leaves there is seen by the next step, and a step that
# turns its working directory into a symlink or its $VEND_OUTPUT into a
# FIFO neither makes the runner clear what the link points to nor hangs it.
. "$(dirname "$0")/test-lib.sh"

cp -r "$E2E/catalog" "$TEST_DIR/catalog"
write_file "$TEST_DIR/catalog/templates/litter/litter.yaml" <<'EOF'
apiVersion: vend/v1
kind: Template
metadata: {name: litter}
spec:
  parameters:
    victim: {type: string}
  steps:
    - name: litter
      run: |
        set -e
        echo left >leftover
        mkdir -p sub/deeper && echo x >sub/deeper/y && chmod 0500 sub
        echo tmp >"$TMPDIR/left"
        echo k=v >"$VEND_OUTPUT"
        job=$(dirname "$PWD")
        cd /
        rm -rf "$job/work.old" && mv "$job/work" "$job/work.old"
        ln -s "$PARAM_VICTIM" "$job/work"
        rm -f "$VEND_OUTPUT" && mkfifo "$VEND_OUTPUT"
        echo littered
EOF
write_file "$TEST_DIR/catalog/templates/look/look.yaml" <<'EOF'
apiVersion: vend/v1
kind: Template
metadata: {name: look}
spec:
  steps:
    - name: look
      run: |
        test ! -L "$PWD" || { echo "working directory is a symlink"; exit 1; }
        test "$(ls -A)" = look.yaml || { echo "in work: $(ls -A)"; exit 1; }
        # (bwrap makes the mount points of --bind paths under /tmp there)
        test ! -e "$TMPDIR/left" || { echo "left in tmp: $(ls -A "$TMPDIR")"; exit 1; }
        test -z "$(ls -A "$(dirname "$PWD")" | grep -v -x -e work -e tmp -e output)" ||
          { echo "left in the job directory: $(ls -A "$(dirname "$PWD")")"; exit 1; }
        test -f "$VEND_OUTPUT" && ! test -s "$VEND_OUTPUT" || { echo "output not empty"; exit 1; }
        echo clean
EOF

# Each template in a directory of its own: its working directory holds
# only its own document. One worker: every job goes through the same directory.
vend_up --catalog "$TEST_DIR/catalog" --concurrency 1

test_expect_success 'a step that litters its job directory runs' '
	mkdir -p "$SHARE/victim" && echo keep >"$SHARE/victim/sentinel" &&
	chmod 0777 "$SHARE/victim" &&
	id=$(vend run litter -p victim="$SHARE/victim" -o json | jq .id) &&
	wait_state "$id" succeeded 60 &&
	vend logs "$id" --raw | grep -q littered
'

test_expect_success 'the next step in the same directory finds it empty' '
	id=$(vend run look -o json | jq .id) &&
	wait_state "$id" succeeded 60 &&
	vend logs "$id" --raw | grep -q clean
'

test_expect_success 'what the symlink pointed to is untouched' '
	test "$(cat "$SHARE/victim/sentinel")" = keep &&
	test "$(ls -A "$SHARE/victim")" = sentinel
'

test_expect_success 'one directory for the one worker, empty between jobs' '
	ls "$VEND_DATA/work/jobs" >dirs &&
	grep -x -q w0 dirs &&
	test "$(grep -c -v -x probe dirs)" = 1 &&
	test -z "$(ls -A "$VEND_DATA/work/jobs/w0/work")"
'

test_done
