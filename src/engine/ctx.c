/*
 * The control plane's context and its cache of parsed templates. A stored
 * template version never changes, so a parsed one can be shared by every
 * thread for as long as anyone holds it; the cache keeps up to
 * TPL_CACHE_MAX unreferenced ones, dropping the least recently used.
 */
#include <pthread.h>

#include "engine/audit_log.h"
#include "engine/ctx.h"
#include "engine/governance.h"
#include "secrets/vault.h"
#include "util/xalloc.h"

#define TPL_CACHE_MAX 256

struct tpl_entry {
	struct template *tpl;
	int refs;
	uint64_t used;    /* tick of the last acquire, for LRU */
};

struct tpl_cache {
	pthread_mutex_t lock;
	struct tpl_entry *v;
	size_t n, cap;
	uint64_t tick;
};

struct vend_ctx *vend_ctx_new(struct store *st)
{
	struct vend_ctx *ctx = XNEW(struct vend_ctx, 1);
	ctx->store = st;
	ctx->lease_ms = 15000;
	ctx->templates = XNEW(struct tpl_cache, 1);
	pthread_mutex_init(&ctx->templates->lock, NULL);
	atomic_init(&ctx->stopping, false);
	pthread_mutex_init(&ctx->gov_lock, NULL);
	return ctx;
}

void vend_ctx_free(struct vend_ctx *ctx)
{
	if (!ctx)
		return;
	engine_audit_close(ctx);
	for (size_t i = 0; i < ctx->templates->n; i++)
		template_free(ctx->templates->v[i].tpl);
	free(ctx->templates->v);
	pthread_mutex_destroy(&ctx->templates->lock);
	free(ctx->templates);
	governance_release(ctx, ctx->gov);
	pthread_mutex_destroy(&ctx->gov_lock);
	store_close(ctx->store);
	if (ctx->master_key) {
		vault_key_wipe(ctx->master_key);
		free(ctx->master_key);
	}
	free(ctx);
}

static struct tpl_entry *find(struct tpl_cache *c, const char *version)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].tpl->version, version))
			return &c->v[i];
	return NULL;
}

static void evict(struct tpl_cache *c)
{
	while (c->n >= TPL_CACHE_MAX) {
		size_t victim = c->n;
		for (size_t i = 0; i < c->n; i++)
			if (c->v[i].refs == 0 && (victim == c->n || c->v[i].used < c->v[victim].used))
				victim = i;
		if (victim == c->n)
			return; /* all in use: grow past the cap rather than fail */
		template_free(c->v[victim].tpl);
		c->v[victim] = c->v[--c->n];
	}
}

int template_acquire(struct vend_ctx *ctx, struct store_tx *tx, const char *name,
		     const char *version, const struct template **out)
{
	struct tpl_cache *c = ctx->templates;
	struct template_row row;
	struct template *t = NULL;
	struct tpl_entry *e;
	struct diags d = DIAGS_INIT;
	int rc;

	/* A full version names one immutable template: once parsed, it is
	 * the cache's to give, without a read of its row. */
	if (version && strlen(version) == sizeof(t->version) - 1) {
		pthread_mutex_lock(&c->lock);
		e = find(c, version);
		if (e && !strcmp(e->tpl->name, name)) {
			e->refs++;
			e->used = ++c->tick;
			*out = e->tpl;
			pthread_mutex_unlock(&c->lock);
			return 0;
		}
		pthread_mutex_unlock(&c->lock);
	}
	rc = store_template_get(tx, name, version, &row);
	if (rc)
		return rc;
	pthread_mutex_lock(&c->lock);
	e = find(c, row.version);
	if (e) {
		e->refs++;
		e->used = ++c->tick;
		*out = e->tpl;
		pthread_mutex_unlock(&c->lock);
		template_row_free(&row);
		return 0;
	}
	pthread_mutex_unlock(&c->lock);

	/* Parse outside the lock; a racing thread may parse it too, and the
	 * loser's copy is dropped below. */
	rc = template_parse(row.path, row.source, strlen(row.source), &t, &d);
	diags_free(&d);
	if (rc) {
		template_row_free(&row);
		return -EBADMSG; /* stored source no longer parses: a vend bug */
	}
	free(t->dir);
	t->dir = xstrdup(row.dir);
	memcpy(t->version, row.version, sizeof(t->version) - 1);
	t->version[sizeof(t->version) - 1] = '\0';
	template_row_free(&row);

	pthread_mutex_lock(&c->lock);
	e = find(c, t->version);
	if (e) {
		template_free(t);
	} else {
		evict(c);
		XGROW(c->v, c->n + 1, c->cap);
		e = &c->v[c->n++];
		e->tpl = t;
		e->refs = 0;
	}
	e->refs++;
	e->used = ++c->tick;
	*out = e->tpl;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void template_release(struct vend_ctx *ctx, const struct template *t)
{
	struct tpl_cache *c = ctx->templates;

	if (!t)
		return;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].tpl == t) {
			c->v[i].refs--;
			break;
		}
	}
	pthread_mutex_unlock(&c->lock);
}
