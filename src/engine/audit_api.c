/*
 * What the audit routes answer (DESIGN §8): pages of entries, the signed
 * tree head, inclusion and consistency proofs, the public key and the
 * checkpoints, each read in one read transaction from the stored tree
 * (O(log n) node reads per proof).
 */
#include <sodium.h>

#include "audit/checkpoint.h"
#include "engine/audit_log.h"
#include "engine/engine_int.h"
#include "util/xalloc.h"

static json_t *b64_json(const void *data, size_t len)
{
	size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *s = xmalloc(cap);
	json_t *j;

	sodium_bin2base64(s, cap, data, len, sodium_base64_VARIANT_ORIGINAL);
	j = json_string(s);
	free(s);
	return j;
}

static json_t *hashes_json(const uint8_t (*h)[MERKLE_HASH_LEN], size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, b64_json(h[i], MERKLE_HASH_LEN));
	return a;
}

int engine_audit_entries(struct vend_ctx *ctx, uint64_t start, uint64_t end, json_t **out,
			 struct vend_err *err)
{
	struct store_tx *tx;
	struct audit_row *rows = NULL;
	uint64_t size;
	size_t n = 0;
	json_t *list;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_audit_size(tx, &size);
	if (rc) {
		store_rollback(tx);
		return err_set(err, rc, "cannot read the audit log");
	}
	if (!end || end > size)
		end = size;
	if (start > size) {
		store_rollback(tx);
		return err_set(err, -EINVAL, "start %" PRIu64 " is past the log's %" PRIu64
			       " entries", start, size);
	}
	if (start < end)
		rc = store_audit_entries(tx, start, end, AUDIT_PAGE_MAX, &rows, &n);
	store_rollback(tx);
	if (rc)
		return err_set(err, rc, "cannot read the audit log");
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		/* The entry as stored: if a row was edited into something that is
		 * not JSON, "entry" is null and the data still shows it. */
		json_t *e = json_loadb(rows[i].data.data, rows[i].data.len, 0, NULL);
		json_array_append_new(list, json_pack("{s:I, s:o, s:o, s:o}", "index",
						      (json_int_t)rows[i].idx, "data",
						      b64_json(rows[i].data.data, rows[i].data.len),
						      "entry", e ? e : json_null(), "leaf_hash",
						      rows[i].has_leaf ? b64_json(rows[i].leaf, 32)
								       : json_null()));
	}
	audit_rows_free(rows, n);
	*out = list;
	return 0;
}

int engine_audit_tree_head(struct vend_ctx *ctx, json_t **out, struct vend_err *err)
{
	struct store_tx *tx;
	struct checkpoint cp;
	struct vend_err perr = VEND_ERR_INIT;
	uint64_t size;
	char *note = NULL;
	int rc;

	engine_audit_sign(ctx); /* on demand: cover the tree as it is now */
	rc = store_begin(ctx->store, STORE_READ, &tx);
	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_audit_checkpoint_latest(tx, &size, &note);
	store_rollback(tx);
	if (rc == -ENOENT)
		return err_set(err, rc, "no checkpoint has been signed yet");
	if (rc)
		return err_set(err, rc, "cannot read the audit log");
	/* Parsed, not verified: the client verifies with the public key. */
	{
		const char *sep = strstr(note, "\n\n");
		rc = sep ? checkpoint_parse(note, (size_t)(sep - note) + 1, &cp, &perr) : -EINVAL;
	}
	err_free(&perr);
	if (rc) {
		free(note);
		return err_set(err, -EIO, "the stored checkpoint of size %" PRIu64 " is damaged",
			       size);
	}
	*out = json_pack("{s:I, s:o, s:s}", "size", (json_int_t)cp.size, "root_hash",
			 b64_json(cp.root, sizeof(cp.root)), "checkpoint", note);
	free(note);
	return 0;
}

/* A proof of the stored tree: inclusion (a = index, b = size) or
 * consistency (a = first, b = second). */
static int proof(struct vend_ctx *ctx, bool inclusion, uint64_t a, uint64_t b, json_t **out,
		 struct vend_err *err)
{
	uint8_t hashes[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
	struct merkle_tree t;
	struct store_tx *tx;
	size_t n = 0;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = engine_audit_tree(tx, &t);
	if (!rc && b > t.size)
		rc = err_set(err, -EINVAL, "the log has %" PRIu64 " entries, fewer than %" PRIu64,
			     t.size, b);
	else if (!rc && inclusion && a >= b)
		rc = err_set(err, -EINVAL, "index %" PRIu64 " is not in a tree of size %" PRIu64,
			     a, b);
	else if (!rc && !inclusion && a > b)
		rc = err_set(err, -EINVAL, "first (%" PRIu64 ") is larger than second (%" PRIu64
			     ")", a, b);
	else if (!rc)
		rc = inclusion ? merkle_inclusion_proof(&t, a, b, hashes, &n)
			       : merkle_consistency_proof(&t, a, b, hashes, &n);
	store_rollback(tx);
	if (rc) {
		if (!err || !err->msg[0])
			err_set(err, rc == -EINVAL ? rc : -EIO, "cannot make the proof: %s",
				strerror(-rc));
		return rc == -EINVAL ? rc : -EIO;
	}
	*out = json_pack("{s:I, s:I, s:o}", inclusion ? "index" : "first", (json_int_t)a,
			 inclusion ? "size" : "second", (json_int_t)b, "hashes",
			 hashes_json((const uint8_t (*)[MERKLE_HASH_LEN])hashes, n));
	return 0;
}

int engine_audit_inclusion(struct vend_ctx *ctx, uint64_t index, uint64_t size, json_t **out,
			   struct vend_err *err)
{
	return proof(ctx, true, index, size, out, err);
}

int engine_audit_consistency(struct vend_ctx *ctx, uint64_t first, uint64_t second,
			     json_t **out, struct vend_err *err)
{
	return proof(ctx, false, first, second, out, err);
}

int engine_audit_public_key(struct vend_ctx *ctx, json_t **out, struct vend_err *err)
{
	struct store_tx *tx;
	struct buf sealed = BUF_INIT;
	char *name = NULL, *vkey = NULL;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return err_set(err, rc, "store unavailable");
	buf_init(&sealed, 8192);
	rc = store_audit_key_first(tx, &name);
	if (!rc)
		rc = store_audit_key_get(tx, name, &vkey, &sealed);
	store_rollback(tx);
	sodium_memzero(sealed.data, sealed.len);
	buf_release(&sealed);
	if (!rc)
		*out = json_pack("{s:s, s:s}", "key", vkey, "origin", name);
	free(name);
	free(vkey);
	if (rc == -ENOENT)
		return err_set(err, rc, "the audit log has no key yet");
	return rc ? err_set(err, rc, "cannot read the audit key") : 0;
}

int engine_audit_checkpoints(struct vend_ctx *ctx, uint64_t after, json_t **out,
			     struct vend_err *err)
{
	struct store_tx *tx;
	struct audit_cp_row *cps = NULL;
	size_t n = 0;
	json_t *list;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return err_set(err, rc, "store unavailable");
	rc = store_audit_checkpoints(tx, after, AUDIT_PAGE_MAX, &cps, &n);
	store_rollback(tx);
	if (rc)
		return err_set(err, rc, "cannot read the audit log");
	list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:I, s:s}", "size", (json_int_t)cps[i].size,
						      "checkpoint", cps[i].note));
	audit_cp_rows_free(cps, n);
	*out = json_pack("{s:o}", "checkpoints", list);
	return 0;
}
