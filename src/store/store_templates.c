/* Template versions, the current version of each name, and file blobs. */
#include "store/store_int.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

int store_blob_put(struct store_tx *tx, const char *hash, const void *data, size_t len)
{
	int rc = store__exec(tx, "INSERT INTO blobs (hash, data) VALUES (?, ?) "
				 "ON CONFLICT (hash) DO NOTHING",
			     "sb", hash, data, len);
	return rc < 0 ? rc : 0;
}

int store_blob_get(struct store_tx *tx, const char *hash, struct buf *out)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT data FROM blobs WHERE hash = ?", &s, "s", hash);

	if (rc)
		return rc;
	rc = store__step(tx, s);
	if (rc == 1) {
		size_t len;
		const void *p = tx->st->ops->col_blob(s, 0, &len);
		rc = buf_add(out, p, len);
	} else if (rc == 0) {
		rc = -ENOENT;
	}
	store__done(tx, s);
	return rc;
}

void template_row_free(struct template_row *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->version);
	free(r->source);
	free(r->path);
	free(r->dir);
	free(r->files);
	free(r->manifest);
	memset(r, 0, sizeof(*r));
}

#define TEMPLATE_COLS \
	"v.name, v.version, v.source, v.path, v.dir, v.files, v.manifest, v.created_at, " \
	"(SELECT COUNT(*) FROM templates t WHERE t.name = v.name AND t.version = v.version)"

static void read_template(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct template_row *r = out;

	r->name = store__str(tx, s, 0);
	r->version = store__str(tx, s, 1);
	r->source = store__str(tx, s, 2);
	r->path = store__str(tx, s, 3);
	r->dir = store__str(tx, s, 4);
	r->files = store__str(tx, s, 5);
	r->manifest = store__str(tx, s, 6);
	r->created_at = store__int(tx, s, 7);
	r->current = store__int(tx, s, 8) > 0;
}

int store_template_put(struct store_tx *tx, const struct template_row *r)
{
	int rc = store__exec(tx,
			     "INSERT INTO template_versions (version, name, source, path, dir, "
			     "files, manifest, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
			     "ON CONFLICT (version) DO NOTHING",
			     "sssssssi", r->version, r->name, r->source, r->path, r->dir,
			     r->files, r->manifest, r->created_at ? r->created_at : now_ms());
	return rc < 0 ? rc : 0;
}

int store_templates_set_current(struct store_tx *tx, const char *const *names,
				const char *const *versions, size_t n)
{
	int64_t now = now_ms();
	int rc = store__exec(tx, "DELETE FROM templates", "");

	for (size_t i = 0; rc >= 0 && i < n; i++)
		rc = store__exec(tx, "INSERT INTO templates (name, version, updated_at) "
				     "VALUES (?, ?, ?)",
				 "ssi", names[i], versions[i], now);
	return rc < 0 ? rc : 0;
}

int store_template_get(struct store_tx *tx, const char *name, const char *version,
		       struct template_row *out)
{
	struct store_stmt *s;
	int rc;

	if (version) {
		/* The full hash, or a unique prefix of at least 7 digits (as git). */
		size_t len = strlen(version);
		if (len < 7)
			return -ENOENT;
		rc = store__stmt(tx, "SELECT " TEMPLATE_COLS " FROM template_versions v "
				     "WHERE v.name = ? AND substr(v.version, 1, CAST(? AS INTEGER)) = ?",
				 &s, "sis", name, (int64_t)len, version);
	} else {
		rc = store__stmt(tx, "SELECT " TEMPLATE_COLS " FROM template_versions v "
				     "JOIN templates t ON t.version = v.version WHERE t.name = ?",
				 &s, "s", name);
	}
	if (rc)
		return rc;
	rc = store__step(tx, s);
	if (rc == 1) {
		memset(out, 0, sizeof(*out));
		read_template(tx, s, out);
		rc = store__step(tx, s) == 1 ? -EEXIST : 0; /* ambiguous prefix */
		if (rc)
			template_row_free(out);
	} else if (rc == 0) {
		rc = -ENOENT;
	}
	store__done(tx, s);
	return rc;
}

static void free_template(void *r)
{
	template_row_free(r);
}

static int list(struct store_tx *tx, struct store_stmt *s, struct template_row **out, size_t *n)
{
	return store__all(tx, s, sizeof(**out), read_template, free_template, (void **)out, n);
}

int store_template_list(struct store_tx *tx, struct template_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " TEMPLATE_COLS " FROM template_versions v "
				 "JOIN templates t ON t.version = v.version ORDER BY v.name",
			     &s, "");
	return rc ? rc : list(tx, s, out, n);
}

int store_template_versions(struct store_tx *tx, const char *name,
			    struct template_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " TEMPLATE_COLS " FROM template_versions v "
				 "WHERE v.name = ? ORDER BY v.created_at DESC, v.version",
			     &s, "s", name);
	return rc ? rc : list(tx, s, out, n);
}

static void free_doc(void *row);

void doc_rows_free(struct doc_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free_doc(&v[i]);
	free(v);
}

int store_docs_replace(struct store_tx *tx, const struct doc_row *v, size_t n)
{
	int rc = store__exec(tx, "DELETE FROM catalog_docs", "");

	for (size_t i = 0; rc >= 0 && i < n; i++)
		rc = store__exec(tx, "INSERT INTO catalog_docs (kind, name, path, doc) "
				     "VALUES (?, ?, ?, ?)",
				 "ssss", v[i].kind, v[i].name, v[i].path, v[i].doc);
	return rc < 0 ? rc : 0;
}

static void read_doc(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct doc_row *d = out;

	d->kind = store__str(tx, s, 0);
	d->name = store__str(tx, s, 1);
	d->path = store__str(tx, s, 2);
	d->doc = store__str(tx, s, 3);
}

static void free_doc(void *row)
{
	struct doc_row *d = row;
	free(d->kind);
	free(d->name);
	free(d->path);
	free(d->doc);
}

int store_docs_list(struct store_tx *tx, struct doc_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT kind, name, path, doc FROM catalog_docs ORDER BY kind, name",
			     &s, "");

	return rc ? rc : store__all(tx, s, sizeof(**out), read_doc, free_doc, (void **)out, n);
}
