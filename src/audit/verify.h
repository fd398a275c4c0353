/*
 * Offline verification of the audit log: recompute every leaf and the
 * roots from the entries, check every signed checkpoint against the root of
 * the prefix it covers, and name the first entry that was changed, dropped,
 * inserted or reordered. No files: the caller feeds lines or rows, so the
 * CLI (an export file) and the server (its own store) share it.
 *
 * The export format, one JSON object per line (JSON lines):
 *
 *   {"index":0,"data":"<base64 of the exact leaf bytes>","entry":{...}}
 *   {"checkpoint":"<signed checkpoint note>"}
 *
 * Entry lines come in index order from 0. "entry" (optional) is the same
 * entry as a JSON object for people to read; when present, its canonical
 * form must be exactly the data bytes. A checkpoint line may appear
 * anywhere before the entry whose index equals the checkpoint's size (so,
 * at the latest, right after the last entry it covers); audit_export_*
 * write lines in this format.
 *
 * What is checked, in stream order, stopping at the first failure:
 *  - each line is JSON of one of the two forms above;
 *  - each entry's index is the next one expected (else: dropped, reordered
 *    or repeated);
 *  - each entry's data is a canonical audit entry, and equals its "entry"
 *    (else: edited), and, when the caller has it, hashes to the leaf hash
 *    the log stored (else: the entry bytes were changed in place);
 *  - each checkpoint's signature by the given key, and its origin;
 *  - each checkpoint's root equals the root of the first `size` entries
 *    (else: an entry since the previous good checkpoint was changed,
 *    inserted, dropped or reordered). All checkpoints are matched against
 *    prefixes of one and the same sequence of leaves, so every pair of
 *    them is consistent (a stronger check than an RFC 9162 consistency
 *    proof, which only shows that some such sequence exists); two
 *    checkpoints of one size with different roots are reported as a fork;
 *  - at the end, no checkpoint covers more entries than the export holds
 *    (else: dropped or truncated).
 *
 * Memory: O(log n) for the tree (struct merkle_stream) plus the
 * checkpoints read but not yet reached; feed checkpoints in order, near
 * their size, to keep that small.
 *
 * Failures return -EBADMSG (the input is not the log: tampered, damaged or
 * of the wrong form), -E2BIG (past a limit) or -EINVAL (a checkpoint but no
 * key to check it with; bad arguments), with a message for people in the optional
 * struct vend_err ("entry 41: its data and its entry differ (edited?)")
 * and, in struct audit_verify_result, the index of the first entry at
 * fault. After a failure the verifier refuses further input with the same
 * error.
 */
#ifndef VEND_AUDIT_VERIFY_H
#define VEND_AUDIT_VERIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/checkpoint.h"
#include "audit/merkle.h"
#include "util/buf.h"
#include "util/err.h"

#define AUDIT_LINE_MAX ((size_t)8 << 20)  /* bytes in one export line */
#define AUDIT_MAX_PENDING ((size_t)1 << 20) /* checkpoints read ahead */
#define AUDIT_NO_INDEX UINT64_MAX

struct audit_verify_result {
	uint64_t entries;      /* entries checked */
	uint64_t checkpoints;  /* checkpoints verified (signature and root) */
	uint64_t signed_size;  /* largest size a verified checkpoint covers; 0 if none */
	uint8_t root[MERKLE_HASH_LEN]; /* root of the entries checked */
	uint64_t bad_index;    /* on failure: first entry at fault, or AUDIT_NO_INDEX */
	uint64_t bad_line;     /* on failure: the line (1-based) where it showed; 0 if none */
};

struct audit_verifier;

/*
 * A new verifier. key (borrowed, copied) verifies checkpoints; NULL if the
 * input has none (a checkpoint then fails). origin (copied): the origin
 * checkpoints must carry; NULL means key's name. Returns new in *out,
 * caller frees with audit_verify_free. Returns 0 or -EINVAL.
 */
int audit_verify_new(const struct note_verifier *key, const char *origin,
		     struct audit_verifier **out);
void audit_verify_free(struct audit_verifier *v); /* NULL is fine */

/* Feeds one export line (len bytes, without its newline; empty lines are
 * skipped). Borrows line. Returns 0 or a failure (see above). */
int audit_verify_line(struct audit_verifier *v, const char *line, size_t len,
		      struct vend_err *err);
/*
 * Feeds one entry directly (the server's rows): its index, its leaf bytes
 * (borrowed), optionally its entry object (borrowed; NULL: data alone must
 * be a canonical audit entry) and optionally the leaf hash the log stored
 * for it (NULL if none). Returns 0 or a failure.
 */
int audit_verify_entry(struct audit_verifier *v, uint64_t index, const void *data,
		       size_t len, const json_t *entry, const uint8_t *stored_leaf,
		       struct vend_err *err);
/* Feeds one signed checkpoint note (borrowed). Returns 0 or a failure. */
int audit_verify_checkpoint(struct audit_verifier *v, const char *note, size_t len,
			    struct vend_err *err);
/* Ends the input: checks that no checkpoint covers more than was fed, and
 * fills *res (also on failure). Returns 0 if everything verified. */
int audit_verify_finish(struct audit_verifier *v, struct audit_verify_result *res,
			struct vend_err *err);

/* One line of input: sets *line and *len (borrowed until the next call)
 * and returns 1, returns 0 at the end, or a negative errno. */
typedef int (*audit_line_fn)(void *ctx, const char **line, size_t *len);
/* new + line for every line from next + finish + free. */
int audit_verify_stream(audit_line_fn next, void *ctx, const struct note_verifier *key,
			const char *origin, struct audit_verify_result *res,
			struct vend_err *err);

/* ---- writing the export format ---------------------------------------------- */

/* Appends the entry line for leaf bytes data (which must be a canonical
 * audit entry; it is also written, verbatim, as "entry"), without a
 * newline. Returns 0, -EINVAL or -E2BIG. */
int audit_export_entry(uint64_t index, const void *data, size_t len, struct buf *out,
		       struct vend_err *err);
/* Appends the checkpoint line for a signed note, without a newline. */
int audit_export_checkpoint(const char *note, size_t len, struct buf *out);

#endif
