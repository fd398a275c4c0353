/*
 * The audit log's rows: entries (the exact leaf bytes), the Merkle tree's
 * complete subtrees (audit/merkle.h says which exist; node_key how they
 * are keyed), signed checkpoints and the checkpoint key. Entries and
 * nodes are only ever inserted, by the engine, in the transaction of the
 * change they record; old checkpoints are thinned
 * (store_audit_checkpoints_thin).
 */
#include "store/store_int.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define HASH_LEN 32

static int check_index(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? -EINVAL : 0;
}

/*
 * A node's row in audit_tree: its key is the index of the last leaf under
 * it, times 64, plus its level. The nodes an append completes all end at
 * the new leaf, so their keys follow every key written before: each
 * transaction's nodes go to the end of one b-tree (a page or two of the
 * commit), where keyed by (level, idx) they went to the end of each
 * level's range, a page each. -EOVERFLOW past 2^57 leaves, which no log
 * reaches (10,000 entries a second would take 450,000 years).
 */
static int node_key(unsigned level, uint64_t idx, int64_t *key)
{
	const uint64_t max_leaves = (uint64_t)1 << 57;

	if (level > 56 || idx >= (max_leaves >> level))
		return -EOVERFLOW;
	*key = (int64_t)((((idx + 1) << level) - 1) * 64 + level);
	return 0;
}

int store_audit_size(struct store_tx *tx, uint64_t *n)
{
	struct store_stmt *s;
	int64_t v = 0;
	/* MAX on the primary key is one index lookup; COUNT(*) would scan. */
	int rc = store__stmt(tx, "SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_entries", &s, "");

	if (rc)
		return rc;
	rc = store__int1(tx, s, &v);
	if (rc)
		return rc == -ENOENT ? -EIO : rc;
	*n = (uint64_t)v;
	return 0;
}

int store_audit_entry_put(struct store_tx *tx, uint64_t idx, const void *data, size_t len)
{
	int rc = check_index(idx);

	if (!rc)
		rc = store__exec(tx, "INSERT INTO audit_entries (idx, data) VALUES (?, ?)", "ib",
				 (int64_t)idx, data, len);
	return rc < 0 ? rc : 0;
}

void audit_rows_free(struct audit_row *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		buf_release(&v[i].data);
	free(v);
}

int store_audit_entries(struct store_tx *tx, uint64_t start, uint64_t end, int limit,
			struct audit_row **out, size_t *n)
{
	struct store_stmt *s;
	struct audit_row *v = NULL;
	size_t len = 0, cap = 0;
	int rc;

	if (check_index(start) || check_index(end) || limit <= 0)
		return -EINVAL;
	/* LEFT JOIN: a missing leaf node is a finding, not an absent entry. */
	rc = store__stmt(tx,
			 "SELECT e.idx, e.data, n.hash FROM audit_entries e LEFT JOIN audit_tree n "
			 "ON n.key = e.idx * 64 WHERE e.idx >= ? AND e.idx < ? "
			 "ORDER BY e.idx LIMIT ?",
			 &s, "iii", (int64_t)start, (int64_t)end, (int64_t)limit);
	if (rc)
		return rc;
	while ((rc = store__step(tx, s)) == 1) {
		struct audit_row *r;
		const void *p;
		size_t bl;

		if (len == cap) {
			cap = cap ? 2 * cap : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		r = &v[len++];
		memset(r, 0, sizeof(*r));
		r->idx = (uint64_t)store__int(tx, s, 0);
		buf_init(&r->data, 0);
		p = tx->st->ops->col_blob(s, 1, &bl);
		buf_add(&r->data, p, bl);
		if (!tx->st->ops->col_null(s, 2)) {
			p = tx->st->ops->col_blob(s, 2, &bl);
			if (bl == HASH_LEN) {
				memcpy(r->leaf, p, HASH_LEN);
				r->has_leaf = true;
			}
		}
	}
	store__done(tx, s);
	if (rc < 0) {
		audit_rows_free(v, len);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

int store_audit_node_get(struct store_tx *tx, unsigned level, uint64_t idx, uint8_t out[32])
{
	struct store_stmt *s;
	int64_t key;
	int rc = node_key(level, idx, &key);

	if (rc == -EOVERFLOW)
		return -ENOENT; /* never written */
	if (!rc)
		rc = store__stmt(tx, "SELECT hash FROM audit_tree WHERE key = ?", &s, "i", key);
	if (rc)
		return rc;
	rc = store__step(tx, s);
	if (rc == 1) {
		size_t len;
		const void *p = tx->st->ops->col_blob(s, 0, &len);
		if (len == HASH_LEN) {
			memcpy(out, p, HASH_LEN);
			rc = 0;
		} else {
			rc = -EIO; /* a damaged row: not a hash */
		}
	} else if (rc == 0) {
		rc = -ENOENT;
	}
	store__done(tx, s);
	return rc;
}

int store_audit_node_put(struct store_tx *tx, unsigned level, uint64_t idx,
			 const uint8_t hash[32])
{
	int64_t key;
	int rc = node_key(level, idx, &key);

	if (!rc)
		rc = store__exec(tx, "INSERT INTO audit_tree (key, hash) VALUES (?, ?)", "ib", key,
				 hash, (size_t)HASH_LEN);
	return rc < 0 ? rc : 0;
}

int store_audit_checkpoint_put(struct store_tx *tx, uint64_t size, const char *note)
{
	int rc = check_index(size);

	if (!rc)
		rc = store__exec(tx, "INSERT INTO audit_checkpoints (size, note, created_at) "
				 "VALUES (?, ?, ?) ON CONFLICT (size) DO NOTHING",
				 "isi", (int64_t)size, note, now_ms());
	return rc < 0 ? rc : 0;
}

int store_audit_checkpoints_thin(struct store_tx *tx, int64_t now)
{
	/* The last hour: every checkpoint; the last day: the newest of each
	 * minute; before that: the newest of each hour. */
	static const int64_t tiers[][2] = { { 3600000, 60000 }, { 86400000, 3600000 } };
	int rc = 0;

	for (size_t i = 0; i < sizeof(tiers) / sizeof(tiers[0]) && !rc; i++) {
		int64_t before = now - tiers[i][0], bucket = tiers[i][1];
		rc = store__exec(tx, "DELETE FROM audit_checkpoints WHERE created_at < ? AND "
				 "size NOT IN (SELECT MAX(size) FROM audit_checkpoints "
				 "WHERE created_at < ? GROUP BY created_at / ?)",
				 "iii", before, before, bucket);
		rc = rc < 0 ? rc : 0; /* else the number of rows deleted */
	}
	return rc;
}

static void read_cp(struct store_tx *tx, struct store_stmt *s, void *out)
{
	struct audit_cp_row *r = out;

	r->size = (uint64_t)store__int(tx, s, 0);
	r->note = store__str(tx, s, 1);
}

static void free_cp(void *row)
{
	struct audit_cp_row *r = row;
	free(r->note);
}

void audit_cp_rows_free(struct audit_cp_row *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].note);
	free(v);
}

int store_audit_checkpoint_latest(struct store_tx *tx, uint64_t *size, char **note)
{
	struct store_stmt *s;
	struct audit_cp_row r = { 0 };
	int rc = store__stmt(tx, "SELECT size, note FROM audit_checkpoints "
				 "ORDER BY size DESC LIMIT 1", &s, "");

	if (!rc)
		rc = store__one(tx, s, read_cp, &r);
	if (rc)
		return rc;
	*size = r.size;
	*note = r.note;
	return 0;
}

int store_audit_checkpoints(struct store_tx *tx, uint64_t after, int limit,
			    struct audit_cp_row **out, size_t *n)
{
	struct store_stmt *s;
	int rc = check_index(after);

	if (!rc)
		rc = store__stmt(tx, "SELECT size, note FROM audit_checkpoints WHERE size > ? "
				 "ORDER BY size LIMIT ?", &s, "ii", (int64_t)after, (int64_t)limit);
	return rc ? rc : store__all(tx, s, sizeof(**out), read_cp, free_cp, (void **)out, n);
}

int store_audit_key_get(struct store_tx *tx, const char *name, char **verifier,
			struct buf *sealed)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT verifier, sealed FROM audit_keys WHERE name = ?", &s,
			     "s", name);

	if (rc)
		return rc;
	rc = store__step(tx, s);
	if (rc == 1) {
		*verifier = store__str(tx, s, 0);
		if (!tx->st->ops->col_null(s, 1)) {
			size_t len;
			const void *p = tx->st->ops->col_blob(s, 1, &len);
			buf_add(sealed, p, len);
		}
		rc = 0;
	} else if (rc == 0) {
		rc = -ENOENT;
	}
	store__done(tx, s);
	return rc;
}

int store_audit_key_put(struct store_tx *tx, const char *name, const char *verifier,
			const void *sealed, size_t len)
{
	int rc = sealed
		? store__exec(tx, "INSERT INTO audit_keys (name, verifier, sealed, created_at) "
			      "VALUES (?, ?, ?, ?)", "ssbi", name, verifier, sealed, len, now_ms())
		: store__exec(tx, "INSERT INTO audit_keys (name, verifier, sealed, created_at) "
			      "VALUES (?, ?, NULL, ?)", "ssi", name, verifier, now_ms());
	return rc < 0 ? rc : 0;
}

int store_audit_key_first(struct store_tx *tx, char **name)
{
	struct store_stmt *s;
	int rc = store__stmt(tx, "SELECT name FROM audit_keys ORDER BY created_at, name LIMIT 1",
			     &s, "");

	if (rc)
		return rc;
	rc = store__step(tx, s);
	if (rc == 1) {
		*name = store__str(tx, s, 0);
		rc = 0;
	} else if (rc == 0) {
		rc = -ENOENT;
	}
	store__done(tx, s);
	return rc;
}
