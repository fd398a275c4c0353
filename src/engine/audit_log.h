/*
 * The audit log of a running control plane (DESIGN §8, docs/audit.md):
 * the RFC 9162 tree of src/audit/ over the store's audit tables, the
 * Ed25519 checkpoint key, the signer thread, the start-up check, and what
 * the API answers. Recording an entry is engine__audit (engine_int.h),
 * always inside the transaction of the change it records.
 *
 * Key handling: the key's public half (its signed-note verifier key) is in
 * the store (audit_keys), so every server and every client can check
 * checkpoints. The secret half lives in DATA/audit.key (mode 0600),
 * created on the first start. With PostgreSQL and VEND_MASTER_KEY_FILE,
 * it is also sealed into the database (XSalsa20-Poly1305 under a key
 * derived from the master key) so that every server sharing the database
 * signs with the same key; without a master key each server needs a copy
 * of audit.key, and a server without one verifies but does not sign.
 *
 * A broken log (the start-up check failed, or the signer found the stored
 * tree disagreeing with a signed checkpoint) refuses every further
 * append: engine__audit fails, so every mutation fails (fail closed), and
 * the HTTP layer answers mutations with 503 and engine_audit_broken's
 * reason.
 */
#ifndef VEND_ENGINE_AUDIT_LOG_H
#define VEND_ENGINE_AUDIT_LOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/merkle.h"
#include "engine/auth.h"
#include "engine/ctx.h"
#include "store/store.h"
#include "util/err.h"

#define AUDIT_PAGE_MAX 1000         /* entries per GET /audit/entries */
#define AUDIT_SIGN_INTERVAL_MS 50   /* the signer signs at most this often */
#define AUDIT_THIN_INTERVAL_MS 60000 /* and thins old checkpoints this often */

/* The tree over the store's audit_tree, inside tx (the adapter from
 * struct merkle_store_ops to the store transaction). */
extern const struct merkle_store_ops engine_audit_tree_ops;
/* Points t at the tree stored in tx (reads its size). Borrows tx. */
int engine_audit_tree(struct store_tx *tx, struct merkle_tree *t);

/*
 * Loads the checkpoint key (creating it on the first start: origin from
 * VEND_AUDIT_ORIGIN or "vend/audit/<random>"), then checks the stored log
 * against its checkpoints: every entry against its leaf, the roots
 * against every signed checkpoint, the stored tree against the entries.
 * A failed check does not fail the call: the log is marked broken (see
 * engine_audit_broken). Errors: the key cannot be read, made or stored.
 * data_dir holds audit.key.
 */
int engine_audit_open(struct vend_ctx *ctx, const char *data_dir, struct vend_err *err);
/* Starts the signer thread (after engine_audit_open). */
int engine_audit_start(struct vend_ctx *ctx);
/* Stops the signer and frees ctx->audit (NULL is fine). */
void engine_audit_close(struct vend_ctx *ctx);

/* Whether mutations must be refused; why (a sentence) into why. */
bool engine_audit_broken(struct vend_ctx *ctx, char *why, size_t size);

/* Signs a checkpoint of the current tree if the latest one is older
 * (on demand; the signer does the same). 0, -ENOKEY without a key, or an
 * error (also -EBADMSG when the stored tree disagrees with a signed
 * checkpoint: the log is then marked broken). */
int engine_audit_sign(struct vend_ctx *ctx);

/* ---- what the API answers (all JSON new in *out) ---- */

/* [{"index","data","entry","leaf_hash"}] for start <= index < end (end
 * 0: the size), at most AUDIT_PAGE_MAX; leaf_hash is the stored leaf node
 * (null if missing). -EINVAL for bad bounds. */
int engine_audit_entries(struct vend_ctx *ctx, uint64_t start, uint64_t end, json_t **out,
			 struct vend_err *err);
/* {"size","root_hash","checkpoint"}: the latest signed checkpoint, signing
 * one first if the tree has grown. */
int engine_audit_tree_head(struct vend_ctx *ctx, json_t **out, struct vend_err *err);
int engine_audit_inclusion(struct vend_ctx *ctx, uint64_t index, uint64_t size, json_t **out,
			   struct vend_err *err);
int engine_audit_consistency(struct vend_ctx *ctx, uint64_t first, uint64_t second,
			     json_t **out, struct vend_err *err);
/* {"key": verifier key, "origin"}; -ENOENT before the key exists. */
int engine_audit_public_key(struct vend_ctx *ctx, json_t **out, struct vend_err *err);
/* {"checkpoints": [{"size","checkpoint"}]} with size > after, smallest
 * first, at most AUDIT_PAGE_MAX. */
int engine_audit_checkpoints(struct vend_ctx *ctx, uint64_t after, json_t **out,
			     struct vend_err *err);

/* Records the use of who's token for a mutating request (method, path),
 * result "ok" or "forbidden", in a transaction of its own: before the
 * request runs (if it cannot be recorded the request must not run), or,
 * for a request that records it with its change (who->use), after it
 * when it changed nothing. */
int engine_audit_token_use(struct vend_ctx *ctx, const struct principal *who,
			   const char *method, const char *path, const char *result);

#endif
