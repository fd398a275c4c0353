/*
 * Trusted keys (DESIGN §9, §10 /api/v1/keys): the minisign public keys
 * that artifact signatures are checked against. Two sources, one list:
 * the catalog's `kind: TrustedKey` documents (changed with `vend catalog
 * sync`) and keys added through the API (`vend key add`, stored in the
 * api_keys table). A name belongs to one source: adding a key under a
 * catalog key's name is refused, and so is a catalog sync that brings a
 * TrustedKey under an API key's name. A key id is trusted under one name
 * only. Every change is audited as `trustedkey.change` in its
 * transaction.
 */
#ifndef VEND_ENGINE_KEYS_H
#define VEND_ENGINE_KEYS_H

#include <jansson.h>
#include <stdbool.h>

#include "artifact/artifact.h"
#include "engine/auth.h"
#include "engine/ctx.h"
#include "store/store.h"
#include "util/err.h"

/* Bytes of the key text a request may give (a .pub file is ~120). */
#define KEYS_MAX_TEXT 4096
#define KEYS_MAX_COMMENT 200

/* Adds (replace: or replaces) the API key name from text, a minisign
 * .pub file or its key line; comment may be NULL (then the .pub file's
 * untrusted comment, if any). Admins only. *out (new) is the key's JSON.
 * -EINVAL (bad name, text or comment), -EACCES, -EEXIST (the name is an
 * API key and !replace, or a catalog TrustedKey; the key id is trusted
 * under another name). */
int engine_key_add(struct vend_ctx *ctx, const struct principal *who, const char *name,
		   const char *text, const char *comment, bool replace, json_t **out,
		   struct vend_err *err);
/* {"keys": [{name, key_id, key, comment, created_by, created_at, source,
 * path}]}: catalog and API keys, by name. */
int engine_key_list(struct vend_ctx *ctx, const struct principal *who, json_t **out,
		    struct vend_err *err);
/* Deletes the API key name (admins only): -ENOENT, -EACCES, -EEXIST
 * when name is a catalog TrustedKey (change the catalog instead). */
int engine_key_delete(struct vend_ctx *ctx, const struct principal *who, const char *name,
		      struct vend_err *err);

/* Every trusted key within tx, catalog and API, for artifact_verify:
 * v[0..n) (names borrowed from the rows kept with them). Keys that do
 * not parse are left out. Free with engine_keys_free. Store errors. */
struct engine_keys {
	struct artifact_key *v;
	size_t n;
	struct doc_row *docs;
	size_t n_docs;
	struct key_row *api;
	size_t n_api;
};
int engine_keys_load(struct store_tx *tx, struct engine_keys *out);
void engine_keys_free(struct engine_keys *k);
/* Whether tx has an API key called name (the catalog's clash check). */
bool engine_keys_api_has(struct store_tx *tx, const char *name);

#endif
