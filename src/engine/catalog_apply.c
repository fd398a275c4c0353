/*
 * Applying a catalog: load every document of a file set (all valid or
 * nothing changes), store each template version with its files, and make
 * exactly the catalog's templates current, in one transaction.
 */
#include <ctype.h>

#include "engine/catalog_apply.h"
#include "engine/keys.h"
#include "engine/engine_int.h"
#include "engine/governance.h"
#include "engine/ops.h"
#include "template/catalog.h"
#include "util/json_text.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

static json_t *files_json(const struct catalog_template *ct)
{
	json_t *a = json_array();
	for (size_t i = 0; i < ct->n_files; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:i}", "path", ct->files[i].path,
						   "hash", ct->files[i].hash, "mode",
						   (int)ct->files[i].mode));
	return a;
}

/* What a sync changes, for the audit log: documents (templates by their
 * current version, the others by their JSON) added, changed or removed,
 * as [{kind, name, change, version?}]. Reads the store before the sync. */
static int catalog_changes(struct store_tx *tx, const struct catalog *cat,
			   const struct doc_row *rows, json_t *out)
{
	struct template_row *tv = NULL;
	struct doc_row *dv = NULL;
	size_t nt = 0, nd = 0, i, k;
	int rc = store_template_list(tx, &tv, &nt);

	if (!rc)
		rc = store_docs_list(tx, &dv, &nd);
	for (i = 0; !rc && i < cat->n_templates; i++) {
		const struct template *t = cat->templates[i].tpl;
		for (k = 0; k < nt && strcmp(tv[k].name, t->name); k++)
			;
		if (k == nt || strcmp(tv[k].version, t->version))
			json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s}", "kind", "Template",
							     "name", t->name, "change",
							     k == nt ? "added" : "changed", "version",
							     t->version));
	}
	for (k = 0; !rc && k < nt; k++) {
		for (i = 0; i < cat->n_templates && strcmp(tv[k].name, cat->templates[i].tpl->name); i++)
			;
		if (i == cat->n_templates)
			json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "kind", "Template",
							     "name", tv[k].name, "change", "removed"));
	}
	for (i = 0; !rc && i < cat->n_docs; i++) {
		for (k = 0; k < nd && (strcmp(dv[k].kind, rows[i].kind) ||
				       strcmp(dv[k].name, rows[i].name)); k++)
			;
		if (k == nd || strcmp(dv[k].doc, rows[i].doc))
			json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "kind", rows[i].kind,
							     "name", rows[i].name, "change",
							     k == nd ? "added" : "changed"));
	}
	for (k = 0; !rc && k < nd; k++) {
		for (i = 0; i < cat->n_docs && (strcmp(dv[k].kind, rows[i].kind) ||
						strcmp(dv[k].name, rows[i].name)); i++)
			;
		if (i == cat->n_docs)
			json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "kind", dv[k].kind,
							     "name", dv[k].name, "change", "removed"));
	}
	for (k = 0; k < nt; k++)
		template_row_free(&tv[k]);
	free(tv);
	doc_rows_free(dv, nd);
	return rc;
}

/* One entry per changed document ("template.change", "policy.change",
 * "environment.change", "trustedkey.change") and one for the sync. */
static int audit_changes(struct vend_ctx *ctx, struct store_tx *tx, const struct principal *who,
			 json_t *changes, size_t n_templates, size_t n_docs)
{
	size_t i;
	json_t *c;
	int rc = 0;

	json_array_foreach(changes, i, c) {
		char action[80];
		const char *kind = json_string_value(json_object_get(c, "kind"));
		size_t k;

		for (k = 0; kind[k] && k < sizeof(action) - 8; k++)
			action[k] = (char)tolower((unsigned char)kind[k]);
		snprintf(action + k, sizeof(action) - k, ".change");
		if (!rc)
			rc = engine__audit(ctx, tx, who, action,
					   json_string_value(json_object_get(c, "name")),
					   json_string_value(json_object_get(c, "change")), 0, NULL,
					   json_incref(c));
	}
	if (!rc)
		rc = engine__audit(ctx, tx, who, "catalog.sync", "catalog", "ok", 0, NULL,
				   json_pack("{s:I, s:I, s:I}", "templates", (json_int_t)n_templates,
					     "documents", (json_int_t)n_docs, "changes",
					     (json_int_t)json_array_size(changes)));
	return rc;
}

/* The file set's bytes for a hash (the template's files are a subset). */
static const struct catalog_file *by_hash(const struct catalog_files *fs, const char *hash)
{
	for (size_t i = 0; i < fs->n; i++)
		if (!strcmp(fs->v[i].hash, hash))
			return &fs->v[i];
	return NULL;
}

int engine_catalog_apply(struct vend_ctx *ctx, const struct principal *who,
			 const struct catalog_files *fs, struct diags *d, json_t **summary,
			 struct vend_err *err)
{
	struct catalog *cat = NULL;
	struct store_tx *tx = NULL;
	struct governance *gov = NULL;
	struct doc_row *rows = NULL;
	const char **names = NULL, **versions = NULL;
	json_t *added = json_array(), *list = json_array(), *changes = json_array();
	int rc;

	rc = catalog_load(fs, &cat, d);
	if (rc) {
		err_set(err, -EINVAL, "the catalog has %zu problem%s; nothing was changed", d->n,
			d->n == 1 ? "" : "s");
		goto out;
	}
	/* The other documents must make a valid snapshot before anything is
	 * stored: all valid, or nothing changes. */
	rows = XNEW(struct doc_row, cat->n_docs + 1);
	for (size_t i = 0; i < cat->n_docs; i++) {
		rows[i].kind = cat->docs[i].kind;
		rows[i].name = cat->docs[i].name;
		rows[i].path = cat->docs[i].path;
		rows[i].doc = json_text(cat->docs[i].doc);
	}
	rc = governance_build(rows, cat->n_docs, &gov, d);
	if (rc) {
		err_set(err, -EINVAL, "the catalog has %zu problem%s; nothing was changed", d->n,
			d->n == 1 ? "" : "s");
		goto out;
	}
	rc = store_begin(ctx->store, STORE_WRITE, &tx);
	if (rc) {
		err_set(err, rc, "store unavailable");
		goto out;
	}
	/* A name is a catalog key or an API key, never both (engine/keys.h). */
	for (size_t i = 0; i < cat->n_docs; i++)
		if (!strcmp(rows[i].kind, "TrustedKey") && engine_keys_api_has(tx, rows[i].name))
			diags_add(d, rows[i].path, 1, 1,
				  "TrustedKey %s: a key of that name was added with vend key add; "
				  "delete it (vend key delete %s) or rename this one",
				  rows[i].name, rows[i].name);
	if (d->n) {
		rc = err_set(err, -EINVAL, "the catalog has %zu problem%s; nothing was changed",
			     d->n, d->n == 1 ? "" : "s");
		goto out;
	}
	rc = catalog_changes(tx, cat, rows, changes);
	if (!rc)
		rc = store_docs_replace(tx, rows, cat->n_docs);
	if (rc) {
		err_set(err, rc, "cannot store the catalog: %s", strerror(-rc));
		goto out;
	}
	names = XNEW(const char *, cat->n_templates + 1);
	versions = XNEW(const char *, cat->n_templates + 1);
	for (size_t i = 0; i < cat->n_templates && !rc; i++) {
		const struct catalog_template *ct = &cat->templates[i];
		struct template_row row = { 0 }, old;
		json_t *fj = files_json(ct);
		bool is_new;

		is_new = store_template_get(tx, ct->tpl->name, ct->tpl->version, &old) == -ENOENT;
		if (!is_new)
			template_row_free(&old);
		for (size_t f = 0; f < ct->n_files && !rc; f++) {
			const struct catalog_file *cf = by_hash(fs, ct->files[f].hash);
			rc = cf ? store_blob_put(tx, cf->hash, cf->data, cf->len) : -ENOENT;
		}
		row.name = ct->tpl->name;
		row.version = ct->tpl->version;
		row.source = ct->tpl->source;
		row.path = ct->tpl->path;
		row.dir = ct->tpl->dir;
		row.files = json_text(fj);
		row.manifest = ct->manifest;
		row.created_at = now_ms();
		if (!rc)
			rc = store_template_put(tx, &row);
		free(row.files);
		json_decref(fj);
		names[i] = ct->tpl->name;
		versions[i] = ct->tpl->version;
		json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "name", ct->tpl->name,
						      "version", ct->tpl->version, "new", is_new));
		if (is_new)
			json_array_append_new(added, json_string(ct->tpl->name));
	}
	if (!rc)
		rc = store_templates_set_current(tx, names, versions, cat->n_templates);
	if (!rc)
		rc = engine__schedules_sync(tx, cat);
	if (!rc)
		rc = audit_changes(ctx, tx, who, changes, cat->n_templates, cat->n_docs);
	/* Other servers on the database reload their snapshot (daemon.c). */
	store_notify(tx, CHAN_CATALOG);
	if (rc) {
		err_set(err, rc, "cannot store the catalog: %s", strerror(-rc));
		goto out;
	}
	rc = store_commit(tx);
	tx = NULL;
	if (rc) {
		err_set(err, rc, "cannot store the catalog: %s", strerror(-rc));
		goto out;
	}
	governance_install(ctx, gov);
	gov = NULL;
	log_info("catalog applied: %zu templates (%zu new versions), %zu other documents",
		 cat->n_templates, json_array_size(added), cat->n_docs);
	if (summary)
		*summary = json_pack("{s:o, s:I, s:I}", "templates", json_incref(list), "files",
				     (json_int_t)fs->n, "documents", (json_int_t)cat->n_docs);
out:
	store_rollback(tx);
	governance_release(ctx, gov);
	for (size_t i = 0; rows && i < cat->n_docs; i++)
		free(rows[i].doc);
	free(rows);
	free(names);
	free(versions);
	json_decref(added);
	json_decref(list);
	json_decref(changes);
	catalog_free(cat);
	return rc;
}
