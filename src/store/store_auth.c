/* Principals: API tokens (stored as hashes) and registered runners. */
#include "store/store_int.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

void token_row_free(struct token_row *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->hash);
	free(r->roles);
	free(r->teams);
	memset(r, 0, sizeof(*r));
}

#define TOKEN_COLS "id, name, hash, roles, teams, created_at, expires_at, revoked_at"

static void read_token(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct token_row *r = out;

	memset(r, 0, sizeof(*r));
	r->id = store__int(tx, s, 0);
	r->name = store__str(tx, s, 1);
	r->hash = store__str(tx, s, 2);
	r->roles = store__str(tx, s, 3);
	r->teams = store__str(tx, s, 4);
	r->created_at = store__int(tx, s, 5);
	r->expires_at = store__int(tx, s, 6);
	r->revoked_at = store__int(tx, s, 7);
}

static void free_token(void *r)
{
	token_row_free(r);
}

int store_token_put(struct store_tx *tx, const struct token_row *r, int64_t *id)
{
	struct store_stmt *s;
	int64_t unused;
	int rc = store__stmt(tx,
			     "INSERT INTO tokens (name, hash, roles, teams, created_at, expires_at) "
			     "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
			     "hash = excluded.hash, roles = excluded.roles, teams = excluded.teams, "
			     "created_at = excluded.created_at, expires_at = excluded.expires_at, "
			     "revoked_at = NULL RETURNING id",
			     &s, "ssssii", r->name, r->hash, r->roles, r->teams,
			     r->created_at ? r->created_at : now_ms(), r->expires_at);
	if (rc)
		return rc;
	rc = store__int1(tx, s, id ? id : &unused);
	return rc == -ENOENT ? -EIO : rc;
}

int store_token_by_hash(struct store_tx *tx, const char *hash, struct token_row *out)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " TOKEN_COLS " FROM tokens WHERE hash = ?", &s, "s", hash);
	return rc ? rc : store__one(tx, s, read_token, out);
}

int store_token_by_name(struct store_tx *tx, const char *name, struct token_row *out)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " TOKEN_COLS " FROM tokens WHERE name = ?", &s, "s", name);
	return rc ? rc : store__one(tx, s, read_token, out);
}

int store_token_list(struct store_tx *tx, struct token_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT " TOKEN_COLS " FROM tokens ORDER BY name", &s, "");

	return rc ? rc : store__all(tx, s, sizeof(**out), read_token, free_token, (void **)out, n);
}

int store_token_revoke(struct store_tx *tx, const char *name, int64_t at)
{
	int rc = store__exec(tx, "UPDATE tokens SET revoked_at = ? WHERE name = ? AND "
				 "revoked_at IS NULL", "is", at, name);
	if (rc == 0)
		return -ENOENT;
	return rc < 0 ? rc : 0;
}

int store_runner_register(struct store_tx *tx, const char *name, const char *labels,
			  int64_t now, int64_t *id)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "INSERT INTO runners (name, labels, registered_at, last_seen) "
				 "VALUES (?, ?, ?, ?) RETURNING id",
			     &s, "ssii", name, labels, now, now);
	if (rc)
		return rc;
	rc = store__int1(tx, s, id);
	return rc == -ENOENT ? -EIO : rc;
}

int store_runner_seen(struct store_tx *tx, int64_t id, int64_t now)
{
	int rc = store__exec(tx, "UPDATE runners SET last_seen = ? WHERE id = ?", "ii", now, id);
	if (rc == 0)
		return -ENOENT;
	return rc < 0 ? rc : 0;
}

int store_runner_touch(struct store_tx *tx, int64_t id, int64_t now, int64_t before)
{
	int rc = store__exec(tx, "UPDATE runners SET last_seen = ? WHERE id = ? AND last_seen < ?",
			     "iii", now, id, before);
	return rc < 0 ? rc : rc > 0;
}

static void read_text(struct store_tx *tx, struct store_stmt *s, void *out)
{
	*(char **)out = store__str(tx, s, 0);
}

int store_runner_name(struct store_tx *tx, int64_t id, char **name)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT name FROM runners WHERE id = ?", &s, "i", id);

	return rc ? rc : store__one(tx, s, read_text, name);
}

/* Labels, or NULL for a cordoned runner. */
static void read_claim_labels(struct store_tx *tx, struct store_stmt *s, void *out)
{
	*(char **)out = store__int(tx, s, 1) ? NULL : store__str(tx, s, 0);
}

int store_runner_claim_labels(struct store_tx *tx, int64_t id, char **labels)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT r.labels, CASE WHEN " STORE_CORDONED("r.name")
				 " THEN 1 ELSE 0 END FROM runners r WHERE r.id = ?", &s, "i", id);

	return rc ? rc : store__one(tx, s, read_claim_labels, labels);
}

int store_runner_cordon(struct store_tx *tx, const char *name, const char *by,
			const char *reason, int64_t now)
{
	int rc = store__exec(tx, "INSERT INTO runner_cordons (name, cordoned_by, reason, "
				 "cordoned_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
			     "sssi", name, by, reason, now);
	return rc < 0 ? rc : rc == 1 ? 0 : -EEXIST;
}

int store_runner_uncordon(struct store_tx *tx, const char *name)
{
	int rc = store__exec(tx, "DELETE FROM runner_cordons WHERE name = ?", "s", name);
	return rc < 0 ? rc : rc == 1 ? 0 : -ENOENT;
}

int store_runner_known(struct store_tx *tx, const char *name)
{
	struct store_stmt *s;
	int64_t n = 0;
	int rc = store__stmt(tx, "SELECT COUNT(*) FROM runners WHERE name = ?", &s, "s", name);

	if (!rc)
		rc = store__int1(tx, s, &n);
	return rc ? rc : n > 0 ? 0 : -ENOENT;
}
