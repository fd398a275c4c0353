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

write_file "$TEST_DIR/catalog/templates/scribble/scribble.yaml" <<'EOF'
apiVersion: vend/v1
kind: Template
metadata: {name: scribble}
spec:
  steps:
    - name: scribble
      run: |
        if grep -q -x "# scribbled" scribble.yaml; then echo "saw the last run's change"; exit 1; fi
        test "$(stat -c %a scribble.yaml)" = 644 || { echo "mode $(stat -c %a scribble.yaml)"; exit 1; }
        echo "# scribbled" >>scribble.yaml
        chmod 0600 scribble.yaml
        echo "inode $(stat -c %i scribble.yaml)"
EOF
write_file "$TEST_DIR/catalog/templates/keeper/keeper.yaml" <<'EOF'
apiVersion: vend/v1
kind: Template
metadata: {name: keeper}
spec:
  steps:
    - name: keeper
      run: echo "inode $(stat -c %i keeper.yaml)"
EOF
write_file "$TEST_DIR/catalog/templates/tagger/tagger.yaml" <<'EOF'
apiVersion: vend/v1
kind: Template
metadata: {name: tagger}
spec:
  steps:
    - name: tagger
      run: |
        python3 -c 'import os; print("xattrs", os.listxattr("tagger.yaml"))'
        python3 -c 'import os; os.setxattr("tagger.yaml", "user.note", b"left")' 2>/dev/null &&
          echo tagged
        true
EOF
write_file "$TEST_DIR/catalog/templates/linker/linker.yaml" <<'EOF'
apiVersion: vend/v1
kind: Template
metadata: {name: linker}
spec:
  parameters:
    share: {type: string}
  steps:
    - name: linker
      run: |
        echo "links $(stat -c %h linker.yaml)"
        rm -f "$PARAM_SHARE/linker-link"
        ln linker.yaml "$PARAM_SHARE/linker-link" 2>/dev/null || ln linker.yaml ../extra-link
EOF
write_file "$TEST_DIR/catalog/templates/again/again.yaml" <<'EOF'
apiVersion: vend/v1
kind: Template
metadata: {name: again}
spec:
  steps:
    - name: again
      run: |
        test "$(ls -A)" = again.yaml || { echo "in work: $(ls -A)"; exit 1; }
        test ! -e "$TMPDIR/left" || { echo "left in tmp: $(ls -A "$TMPDIR")"; exit 1; }
        test -f "$VEND_OUTPUT" && ! test -s "$VEND_OUTPUT" || { echo "output not empty"; exit 1; }
        test "$(stat -c %a .)" = 700 || { echo "work mode $(stat -c %a .)"; exit 1; }
        test "$(stat -c %a "$VEND_OUTPUT")" = 600 || { echo "output mode $(stat -c %a "$VEND_OUTPUT")"; exit 1; }
        echo left >leftover && mkdir sub && echo left >"$TMPDIR/left"
        echo k=v >"$VEND_OUTPUT" && chmod 0644 "$VEND_OUTPUT"
        chmod 0755 .
        echo "found it new"
EOF

# Two runs of a template, one after the other: their ids in $a and $b.
twice() {
	a=$(vend run "$@" -o json | jq .id) &&
	wait_state "$a" succeeded 60 &&
	b=$(vend run "$@" -o json | jq .id) &&
	wait_state "$b" succeeded 60
}

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

test_expect_success 'one directory for the one worker, empty between jobs but for the template file' '
	ls "$VEND_DATA/work/jobs" >dirs &&
	grep -x -q w0 dirs &&
	test "$(grep -c -v -x probe dirs)" = 1 &&
	test "$(ls -A "$VEND_DATA/work/jobs/w0/work")" = look.yaml &&
	test -z "$(ls -A "$VEND_DATA/work/jobs/w0/tmp")"
'

# The last job's end lays the directory out for the next; a job of the
# same template then finds it as new without setting it up again.
test_expect_success 'the next job of the same template finds its directory as new' '
	twice again &&
	vend logs "$b" --raw | grep -q "found it new"
'

# An unchanged template file is kept between jobs (no new inode for each
# step); one a step changed is replaced, so the next run sees the
# template's bytes and mode again.
test_expect_success 'a template file a step changed is the template again for the next run' '
	twice scribble &&
	vend logs "$b" --raw | grep -q "^inode "
'

test_expect_success 'an unchanged template file is kept for the next run of its template' '
	twice keeper &&
	ia=$(vend logs "$a" --raw | sed -n "s/^inode //p") &&
	ib=$(vend logs "$b" --raw | sed -n "s/^inode //p") &&
	test -n "$ia" && test "$ia" = "$ib"
'

# An extended attribute a step sets (where the file system has them) is
# not left for the next step: that file is replaced.
test_expect_success 'a template file with an extended attribute is not kept' '
	twice tagger &&
	vend logs "$a" --raw | grep -x -q "xattrs \[\]" &&
	vend logs "$b" --raw | grep -x -q "xattrs \[\]"
'

# A file with a second link (here, or where the step could make one) is
# not kept: the next job gets a new inode of its own.
test_expect_success 'a template file with a second link is not kept' '
	twice linker -p share="$SHARE" &&
	vend logs "$b" --raw | grep -x -q "links 1"
'

test_done
