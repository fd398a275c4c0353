/*
 * Audit entries and their canonical bytes: the bytes that are the Merkle
 * leaf, so one entry has exactly one byte spelling.
 *
 * Canonical JSON here is RFC 8785 (JSON Canonicalization Scheme, JCS)
 * restricted to a subset where JCS has no judgement calls left:
 *
 *  - values: null, true, false, strings, arrays, objects and integers in
 *    [-(2^53-1), 2^53-1] (the I-JSON range in which an integer is exact in
 *    every JSON implementation). No fractions or exponents: a real number
 *    is rejected, so 1, 1.0 and 1e0 cannot be three spellings of one entry;
 *  - no whitespace; object members sorted by their names compared as
 *    arrays of UTF-16 code units (RFC 8785 3.2.3), duplicate names rejected;
 *  - integers in plain decimal, "-" only for negatives (RFC 8785 3.2.2.3);
 *  - strings in UTF-8, escaping exactly as RFC 8785 3.2.2.2: \" \\ \b \f
 *    \n \r \t, the other characters below U+0020 as \u00xx (lower-case
 *    hex), everything else (including U+007F and non-ASCII) as itself;
 *  - at most AUDIT_JSON_DEPTH nested arrays/objects, AUDIT_ENTRY_MAX bytes.
 *
 * An audit entry is an object with exactly these members:
 *
 *   time        string, UTC with milliseconds as "2026-11-26T09:23:15.123Z"
 *   actor       non-empty string (who)
 *   action      non-empty string (what, e.g. "run.request")
 *   target      string (on what; may be empty)
 *   result      non-empty string (e.g. "ok", "denied", "error")
 *   run_id      non-negative integer, or null
 *   trace_id    string or null
 *   request_id  string or null
 *   details     object (action-specific; never secret values)
 *
 * Errors: -EINVAL with the member path and reason in the optional struct
 * vend_err; -E2BIG past a size limit.
 */
#ifndef VEND_AUDIT_ENTRY_H
#define VEND_AUDIT_ENTRY_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

#define AUDIT_ENTRY_MAX ((size_t)1 << 20) /* bytes of one canonical entry */
#define AUDIT_JSON_DEPTH 32               /* nesting of arrays and objects */
#define AUDIT_JSON_INT_MAX 9007199254740991LL /* 2^53 - 1 */

/* Appends the canonical form of any JSON value v (as above) to out.
 * Borrows v. Returns 0, -EINVAL (a real, an integer out of range, bad
 * UTF-8, too deep) or -E2BIG (out's cap). On error out is unchanged. */
int audit_jcs(const json_t *v, struct buf *out, struct vend_err *err);

/* Checks that entry is an audit entry and appends its canonical bytes to
 * out (at most AUDIT_ENTRY_MAX). Borrows entry. Returns 0, -EINVAL or
 * -E2BIG; on error out is unchanged. */
int audit_entry_encode(const json_t *entry, struct buf *out, struct vend_err *err);

/* An entry's members for audit_entry_write. */
struct audit_fields {
	int64_t time_ms;                   /* written as "time" (UTC, ms) */
	const char *actor, *action, *result; /* non-empty */
	const char *target;                /* NULL: "" */
	int64_t run_id;                    /* < 0: null */
	const char *trace_id, *request_id; /* NULL: null */
};

/* Appends the canonical bytes of the entry of f and details (an object;
 * borrowed) to out: what audit_entry_encode gives for the same entry, at
 * a fraction of its cost (no JSON tree for the entry, no sort of its
 * members). Returns 0, -EINVAL (with the member) or -E2BIG; on error out
 * is unchanged. */
int audit_entry_write(const struct audit_fields *f, const json_t *details, struct buf *out,
		      struct vend_err *err);

/* Parses data (len bytes) as an audit entry that must be in canonical form
 * byte for byte. On success *out is a new reference (caller decrefs).
 * Returns 0, -EINVAL (not JSON, not an entry, or not canonical) or -E2BIG. */
int audit_entry_decode(const void *data, size_t len, json_t **out, struct vend_err *err);

/* Checks, without building anything, that data (len bytes) is exactly the
 * canonical bytes of an audit entry: what audit_entry_decode accepts, at a
 * fraction of its cost. Returns 0, -EINVAL (with the byte offset and the
 * reason) or -E2BIG. */
int audit_entry_check(const void *data, size_t len, struct vend_err *err);

#endif
