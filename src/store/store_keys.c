/* Trusted minisign public keys added through the API (engine/keys.c):
 * one row per key, by name; the key id is unique so that one signature
 * never matches two names. */
#include "store/store_int.h"

static void key_row_release(void *p)
{
	struct key_row *r = p;

	free(r->name);
	free(r->key_line);
	free(r->key_id);
	free(r->comment);
	free(r->created_by);
	memset(r, 0, sizeof(*r));
}

void key_rows_free(struct key_row *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		key_row_release(&v[i]);
	free(v);
}

/* name, key_line, key_id, comment, created_by, created_at */
static void read_key(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct key_row *r = out;

	r->name = store__str(tx, s, 0);
	r->key_line = store__str(tx, s, 1);
	r->key_id = store__str(tx, s, 2);
	r->comment = store__str(tx, s, 3);
	r->created_by = store__str(tx, s, 4);
	r->created_at = store__int(tx, s, 5);
}

int store_key_put(struct store_tx *tx, const struct key_row *r, bool replace)
{
	struct store_stmt *s;
	int64_t n = 0;
	/* Checked first, not left to the constraint: on PostgreSQL a failed
	 * statement would end the whole transaction. */
	int rc = store__stmt(tx, "SELECT COUNT(*) FROM api_keys WHERE (name = ? AND ? = 0) OR "
				 "(key_id = ? AND name <> ?)", &s, "siss", r->name,
			     (int64_t)replace, r->key_id, r->name);

	if (!rc)
		rc = store__int1(tx, s, &n);
	if (rc)
		return rc;
	if (n)
		return -EEXIST;
	rc = store__exec(tx, "DELETE FROM api_keys WHERE name = ?", "s", r->name);
	if (rc >= 0)
		rc = store__exec(tx, "INSERT INTO api_keys (name, key_line, key_id, comment, "
				     "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
				 "sssssi", r->name, r->key_line, r->key_id, r->comment,
				 r->created_by, r->created_at);
	return rc < 0 ? rc : 0;
}

int store_key_list(struct store_tx *tx, struct key_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT name, key_line, key_id, comment, created_by, "
				 "created_at FROM api_keys ORDER BY name", &s, "");

	return rc ? rc : store__all(tx, s, sizeof(**out), read_key, key_row_release,
				    (void **)out, n);
}

int store_key_delete(struct store_tx *tx, const char *name)
{
	int rc = store__exec(tx, "DELETE FROM api_keys WHERE name = ?", "s", name);

	return rc < 0 ? rc : rc == 0 ? -ENOENT : 0;
}
