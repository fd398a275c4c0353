/* The governance snapshot (see governance.h). */
#include <pthread.h>

#include "engine/governance.h"
#include "util/xalloc.h"

static void governance_free(struct governance *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_envs; i++)
		environment_free(g->envs[i]);
	free(g->envs);
	policy_bundle_free(g->policies);
	notify_specs_free(g->hooks, g->n_hooks);
	json_decref(g->docs);
	free(g);
}

/* A Webhooks document's hooks join the global list (in catalog order). */
static void add_hooks(struct governance *g, json_t *list, const char *path, struct diags *d)
{
	struct notify_spec *v;
	size_t n;

	if (notify_specs_from_json(list, &v, &n) || !n) {
		notify_specs_free(v, n);
		diags_add(d, path, 0, 0, "spec.notify must be a list of webhooks ({url, secret, "
					 "events, allow_private})");
		return;
	}
	if (g->n_hooks + n > NOTIFY_MAX_HOOKS) {
		notify_specs_free(v, n);
		diags_add(d, path, 0, 0, "the Webhooks documents hold more than %d hooks in all",
			  NOTIFY_MAX_HOOKS);
		return;
	}
	g->hooks = xrealloc(g->hooks, (g->n_hooks + n) * sizeof(*g->hooks));
	memcpy(g->hooks + g->n_hooks, v, n * sizeof(*v));
	g->n_hooks += n;
	free(v); /* the members moved */
}

int governance_build(const struct doc_row *docs, size_t n, struct governance **out,
		     struct diags *d)
{
	struct governance *g = XNEW(struct governance, 1);
	struct policy_source *ps = XNEW(struct policy_source, n + 1);
	json_t **parsed = XNEW(json_t *, n + 1);
	size_t before = d->n, np = 0;

	g->envs = XNEW(struct environment *, n + 1);
	g->docs = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *doc = parsed[i] = json_loads(docs[i].doc, 0, NULL);
		json_array_append_new(g->docs, json_pack("{s:s, s:s, s:s}", "kind", docs[i].kind,
							 "name", docs[i].name, "path", docs[i].path));
		if (!strcmp(docs[i].kind, "Environment")) {
			struct environment *e;
			if (environment_from_json(doc, docs[i].path, &e, d) == 0)
				g->envs[g->n_envs++] = e;
		} else if (!strcmp(docs[i].kind, "Webhooks")) {
			add_hooks(g, json_object_get(json_object_get(doc, "spec"), "notify"),
				  docs[i].path, d);
		} else if (!strcmp(docs[i].kind, "Policy")) {
			ps[np].doc = doc;
			ps[np].path = docs[i].path;
			np++;
		}
	}
	/* Compiled once per catalog; every request evaluates this bundle. */
	policy_bundle_compile(ps, np, &g->policies, d);
	for (size_t i = 0; i < n; i++)
		json_decref(parsed[i]);
	free(parsed);
	free(ps);
	if (d->n > before) {
		governance_free(g);
		return -EINVAL;
	}
	g->refs = 1;
	*out = g;
	return 0;
}

const struct environment *governance_env(const struct governance *g, const char *name)
{
	for (size_t i = 0; name && i < g->n_envs; i++)
		if (!strcmp(g->envs[i]->name, name))
			return g->envs[i];
	return NULL;
}

struct governance *governance_acquire(struct vend_ctx *ctx)
{
	struct governance *g;

	pthread_mutex_lock(&ctx->gov_lock);
	if (!ctx->gov) {
		struct diags d = DIAGS_INIT;
		ctx->gov = XNEW(struct governance, 1);
		ctx->gov->docs = json_array();
		ctx->gov->refs = 1;
		policy_bundle_compile(NULL, 0, &ctx->gov->policies, &d); /* empty */
		diags_free(&d);
	}
	g = ctx->gov;
	g->refs++;
	pthread_mutex_unlock(&ctx->gov_lock);
	return g;
}

void governance_release(struct vend_ctx *ctx, struct governance *g)
{
	bool last;

	if (!g)
		return;
	pthread_mutex_lock(&ctx->gov_lock);
	last = --g->refs == 0;
	pthread_mutex_unlock(&ctx->gov_lock);
	if (last)
		governance_free(g);
}

void governance_install(struct vend_ctx *ctx, struct governance *g)
{
	struct governance *old;

	pthread_mutex_lock(&ctx->gov_lock);
	old = ctx->gov;
	ctx->gov = g;
	pthread_mutex_unlock(&ctx->gov_lock);
	governance_release(ctx, old);
}

int governance_load(struct vend_ctx *ctx, struct diags *d)
{
	struct store_tx *tx;
	struct doc_row *rows = NULL;
	struct governance *g;
	size_t n = 0;
	int rc = store_begin(ctx->store, STORE_READ, &tx);

	if (rc)
		return rc;
	rc = store_docs_list(tx, &rows, &n);
	store_rollback(tx);
	if (rc)
		return rc;
	rc = governance_build(rows, n, &g, d);
	doc_rows_free(rows, n);
	if (!rc)
		governance_install(ctx, g);
	return rc;
}
