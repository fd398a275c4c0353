/*
 * Secrets in the control plane (DESIGN §9): the API's side of the secret
 * store (set, list, delete: metadata only, never a value), the server's
 * master key, and what the engine does with secrets during a run (see
 * secrets.c: pinning versions at request time, handing values to a runner
 * only inside a claimed job, a run's own key for its secret parameters).
 */
#ifndef VEND_ENGINE_SECRETS_H
#define VEND_ENGINE_SECRETS_H

#include <jansson.h>
#include <stdbool.h>

#include "engine/auth.h"
#include "engine/ctx.h"
#include "util/err.h"

/* Loads the master key into ctx: from VEND_MASTER_KEY_FILE when set
 * (which must exist: servers of a cluster share one key), else from
 * DATA_DIR/master.key, made (0600) on the first start. */
int engine_master_key_init(struct vend_ctx *ctx, const char *data_dir, struct vend_err *err);

/* Whether scope is global, team-X, env-Y or template-Z (X, Y, Z:
 * [a-z0-9][a-z0-9._-]{0,62}). */
bool engine_secret_scope_ok(const char *scope);

/* Stores a new version of scope/name (admins only). *out (new) is its
 * metadata {name, scope, version, created_by, created_at}. -EINVAL (bad
 * scope or name, value under 6 bytes or over 64 KiB), -EACCES,
 * -EOPNOTSUPP (no master key). */
int engine_secret_set(struct vend_ctx *ctx, const struct principal *who, const char *scope,
		      const char *name, const void *value, size_t len, json_t **out,
		      struct vend_err *err);
/* {"secrets": [metadata of the newest version of each]}. */
int engine_secret_list(struct vend_ctx *ctx, const struct principal *who, json_t **out,
		       struct vend_err *err);
/* The metadata of scope/name; -ENOENT. */
int engine_secret_get(struct vend_ctx *ctx, const struct principal *who, const char *scope,
		      const char *name, json_t **out, struct vend_err *err);
/* Deletes every version (admins only); -ENOENT. Runs that pinned it fail
 * the steps that use it. */
int engine_secret_delete(struct vend_ctx *ctx, const struct principal *who, const char *scope,
			 const char *name, struct vend_err *err);

#endif
