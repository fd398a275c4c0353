/*
 * The governance snapshot: what the catalog's non-template documents say
 * (environments; policies), parsed and compiled once per catalog and
 * shared read-only by every request until the next catalog replaces it.
 */
#ifndef VEND_ENGINE_GOVERNANCE_H
#define VEND_ENGINE_GOVERNANCE_H

#include <jansson.h>

#include "engine/ctx.h"
#include "policy/environment.h"
#include "policy/policy.h"
#include "store/store.h"
#include "util/diag.h"

struct governance {
	struct environment **envs;
	size_t n_envs;
	struct policy_bundle *policies; /* every Policy document, compiled */
	struct notify_spec *hooks; /* the Webhooks documents' spec.notify: global */
	size_t n_hooks;
	json_t *docs;         /* [{kind, name, path}] of every document */
	int refs;             /* guarded by the context's lock */
};

/* Builds a snapshot from stored document rows; every problem goes to d.
 * -EINVAL if any document is invalid. New in *out. */
int governance_build(const struct doc_row *docs, size_t n, struct governance **out,
		     struct diags *d);
/* The environment of that name, or NULL (no rules apply). Borrowed. */
const struct environment *governance_env(const struct governance *g, const char *name);

/* The current snapshot, referenced: give it back with governance_release.
 * Never NULL (an empty catalog is an empty snapshot). */
struct governance *governance_acquire(struct vend_ctx *ctx);
void governance_release(struct vend_ctx *ctx, struct governance *g);
/* Makes g current (takes it); the old one goes when its last user does. */
void governance_install(struct vend_ctx *ctx, struct governance *g);
/* Loads the stored documents into a new current snapshot (at start). */
int governance_load(struct vend_ctx *ctx, struct diags *d);

#endif
