/* Secrets: sealed values by scope, name and version (the store never sees
 * a plain value), the versions each run pinned, and runs' own keys. */
#include "store/store_int.h"
#include "util/xalloc.h"

void secret_row_free(struct secret_row *r)
{
	if (!r)
		return;
	free(r->scope);
	free(r->name);
	free(r->created_by);
	free(r->sealed);
	memset(r, 0, sizeof(*r));
}

void secret_rows_free(struct secret_row *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		secret_row_free(&v[i]);
	free(v);
}

static void free_secret(void *r)
{
	secret_row_free(r);
}

/* scope, name, version, created_by, created_at[, sealed] */
static void read_secret(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct secret_row *r = out;

	memset(r, 0, sizeof(*r));
	r->scope = store__str(tx, s, 0);
	r->name = store__str(tx, s, 1);
	r->version = store__int(tx, s, 2);
	r->created_by = store__str(tx, s, 3);
	r->created_at = store__int(tx, s, 4);
}

static void read_sealed(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct secret_row *r = out;
	const void *b;
	size_t len = 0;

	read_secret(tx, s, out);
	b = tx->st->ops->col_blob(s, 5, &len);
	r->sealed = xmalloc(len ? len : 1);
	if (len)
		memcpy(r->sealed, b, len);
	r->sealed_len = len;
}

int store_secret_put(struct store_tx *tx, const char *scope, const char *name,
		     const void *sealed, size_t len, const char *who, int64_t now,
		     int64_t *version)
{
	struct store_stmt *s;
	int64_t v = 0;
	int rc = store__stmt(tx, "SELECT COALESCE(MAX(version), 0) FROM secrets "
				 "WHERE scope = ? AND name = ?", &s, "ss", scope, name);

	if (!rc)
		rc = store__int1(tx, s, &v);
	if (rc)
		return rc;
	v++;
	rc = store__exec(tx, "INSERT INTO secrets (scope, name, version, sealed, created_by, "
			     "created_at) VALUES (?, ?, ?, ?, ?, ?)",
			 "ssibsi", scope, name, v, sealed, len, who, now);
	if (rc < 0)
		return rc;
	*version = v;
	return 0;
}

int store_secret_get(struct store_tx *tx, const char *scope, const char *name,
		     int64_t version, struct secret_row *out)
{
	struct store_stmt *s;
	int rc = version
		 ? store__stmt(tx, "SELECT scope, name, version, created_by, created_at, sealed "
				   "FROM secrets WHERE scope = ? AND name = ? AND version = ?",
			       &s, "ssi", scope, name, version)
		 : store__stmt(tx, "SELECT scope, name, version, created_by, created_at, sealed "
				   "FROM secrets WHERE scope = ? AND name = ? "
				   "ORDER BY version DESC LIMIT 1", &s, "ss", scope, name);
	return rc ? rc : store__one(tx, s, read_sealed, out);
}

int store_secret_list(struct store_tx *tx, const char *name, struct secret_row **out,
		      size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx,
			     "SELECT scope, name, version, created_by, created_at FROM secrets x "
			     "WHERE (? IS NULL OR name = ?) AND version = (SELECT MAX(version) "
			     "FROM secrets y WHERE y.scope = x.scope AND y.name = x.name) "
			     "ORDER BY name, scope", &s, "ss", name, name);

	return rc ? rc : store__all(tx, s, sizeof(**out), read_secret, free_secret,
				    (void **)out, n);
}

int store_secret_delete(struct store_tx *tx, const char *scope, const char *name)
{
	int rc = store__exec(tx, "DELETE FROM secrets WHERE scope = ? AND name = ?", "ss",
			     scope, name);
	return rc < 0 ? rc : rc == 0 ? -ENOENT : 0;
}

int store_run_secret_pin(struct store_tx *tx, int64_t run_id, const char *name,
			 const char *scope, int64_t version)
{
	int rc = store__exec(tx, "INSERT INTO run_secrets (run_id, name, scope, version) "
				 "VALUES (?, ?, ?, ?)", "issi", run_id, name, scope, version);
	return rc < 0 ? rc : 0;
}

int store_run_secret_pins(struct store_tx *tx, int64_t run_id, struct secret_row **out,
			  size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT scope, name, version, '', 0 FROM run_secrets "
				 "WHERE run_id = ? ORDER BY name", &s, "i", run_id);

	return rc ? rc : store__all(tx, s, sizeof(**out), read_secret, free_secret,
				    (void **)out, n);
}

int store_run_key_put(struct store_tx *tx, int64_t run_id, const void *key, size_t key_len,
		      const void *params, size_t params_len)
{
	int rc = store__exec(tx, "INSERT INTO run_keys (run_id, sealed_key, params) "
				 "VALUES (?, ?, ?)", "ibb", run_id, key, key_len, params,
			     params_len);
	return rc < 0 ? rc : 0;
}

static void read_key(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct buf *b = out;
	size_t len = 0;
	const void *p = tx->st->ops->col_blob(s, 0, &len);

	buf_add(&b[0], p, len);
	p = tx->st->ops->col_blob(s, 1, &len);
	buf_add(&b[1], p, len);
}

int store_run_key_get(struct store_tx *tx, int64_t run_id, struct buf *key,
		      struct buf *params)
{
	struct store_stmt *s;
	struct buf two[2] = { BUF_INIT, BUF_INIT };
	int rc = store__stmt(tx, "SELECT sealed_key, params FROM run_keys WHERE run_id = ?",
			     &s, "i", run_id);

	if (!rc)
		rc = store__one(tx, s, read_key, two);
	if (!rc) {
		buf_add(key, two[0].data, two[0].len);
		buf_add(params, two[1].data, two[1].len);
	}
	buf_release(&two[0]);
	buf_release(&two[1]);
	return rc;
}

int store_run_key_delete(struct store_tx *tx, int64_t run_id)
{
	int rc = store__exec(tx, "DELETE FROM run_keys WHERE run_id = ?", "i", run_id);
	return rc < 0 ? rc : 0;
}
