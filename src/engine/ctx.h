/*
 * struct vend_ctx: what the control plane's parts share, passed explicitly
 * (no global server struct). One per server process; it owns the store and
 * the cache of parsed templates.
 */
#ifndef VEND_ENGINE_CTX_H
#define VEND_ENGINE_CTX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "template/template.h"

struct tpl_cache;
struct governance;
struct audit_log;
struct vault_key;

struct vend_ctx {
	struct store *store;
	struct tpl_cache *templates;
	int64_t lease_ms;         /* how long a claim lives without a heartbeat */
	atomic_bool stopping;     /* shutdown has begun: long polls return */
	pthread_mutex_t gov_lock; /* guards gov and its reference counts */
	struct governance *gov;   /* the catalog's rules; see governance.h */
	struct audit_log *audit;  /* the checkpoint key and signer; NULL until
				   * engine_audit_open (audit_log.h) */
	/* Seals secrets at rest (secrets/vault.h); NULL: this server has no
	 * master key, and secrets cannot be set or used. Owned. */
	struct vault_key *master_key;
};

/* Takes st. Returns new, caller frees with vend_ctx_free. */
struct vend_ctx *vend_ctx_new(struct store *st);
void vend_ctx_free(struct vend_ctx *ctx);

/*
 * The parsed template of a stored version (cached; templates are
 * immutable). version NULL: the current version of name. On success
 * *out is a reference the caller gives back with template_release.
 * -ENOENT if there is no such template or version.
 */
int template_acquire(struct vend_ctx *ctx, struct store_tx *tx, const char *name,
		     const char *version, const struct template **out);
void template_release(struct vend_ctx *ctx, const struct template *t);

#endif
