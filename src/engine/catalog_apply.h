/* Applying a catalog file set to the store (see catalog_apply.c). */
#ifndef VEND_ENGINE_CATALOG_APPLY_H
#define VEND_ENGINE_CATALOG_APPLY_H

#include <jansson.h>

#include "engine/auth.h"
#include "engine/ctx.h"
#include "template/catalog.h"
#include "util/diag.h"
#include "util/err.h"

/*
 * Loads fs and, if every document is valid, stores every template version
 * and makes the catalog's templates the current ones, atomically. On a
 * problem nothing changes: -EINVAL and each problem in d. *summary (may be
 * NULL) gets {"templates": [{"name","version","new"}], "files", "documents"}.
 */
int engine_catalog_apply(struct vend_ctx *ctx, const struct principal *who,
			 const struct catalog_files *fs, struct diags *d, json_t **summary,
			 struct vend_err *err);

#endif
