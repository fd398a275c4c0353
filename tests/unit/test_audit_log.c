/*
 * Unit tests for the audit log over the store: the merkle_store_ops
 * adapter (engine_audit_tree) against the in-memory store, appends that
 * roll back with their transaction (fail closed), the key file, signed
 * checkpoints, and the start-up check finding a changed row. They run on
 * SQLite and, with VEND_TEST_PG, on PostgreSQL (scripts/run-tests.sh).
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/checkpoint.h"
#include "engine/audit_log.h"
#include "engine/engine_int.h"
#include "store/store_int.h"
#include "tap.h"
#include "testdb.h"
#include "util/fsutil.h"

static struct store *open_store(void)
{
	char *url = testdb_url();
	struct store *st;
	struct vend_err err = VEND_ERR_INIT;

	CHECK_INT(store_open(url, &st, &err), 0);
	free(url);
	return st;
}

static void leaf_of(uint64_t i, uint8_t out[32])
{
	char s[32];
	int n = snprintf(s, sizeof(s), "leaf %llu", (unsigned long long)i);
	merkle_leaf_hash(s, (size_t)n, out);
}

/* The tree of leaves [0, n) in memory, to compare the store's with. */
static void memory_tree(struct merkle_mem *mem, struct merkle_tree *m, uint64_t n)
{
	merkle_tree_init(m, &merkle_mem_ops, mem, 0);
	for (uint64_t i = 0; i < n; i++) {
		uint8_t leaf[32];
		leaf_of(i, leaf);
		CHECK_INT(merkle_append(m, leaf, NULL), 0);
	}
}

/* Appends leaves [from, to) in one write transaction, through the adapter. */
static void append_range(struct store *st, uint64_t from, uint64_t to)
{
	struct store_tx *tx;
	struct merkle_tree t;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	for (uint64_t i = from; i < to; i++) {
		uint8_t leaf[32];
		uint64_t idx;
		CHECK_INT(engine_audit_tree(tx, &t), 0); /* re-reads the size each time */
		CHECK(t.size == i);
		leaf_of(i, leaf);
		CHECK_INT(merkle_append(&t, leaf, &idx), 0);
		CHECK(idx == i);
		/* The size is the entries table's: an entry per leaf. */
		CHECK_INT(store_audit_entry_put(tx, idx, "{}", 2), 0);
	}
	CHECK_INT(store_commit(tx), 0);
}

/*
 * A database of schema 10 kept the nodes in audit_nodes (level, idx, hash);
 * migration 11 moves them to audit_tree, keyed by where each ends. Here a
 * tree is written, put back in the old table as an older server left it,
 * and the store opened again: the same roots, proofs and rows.
 */
TEST(migration_11_keeps_the_tree)
{
	char *url = testdb_url();
	struct vend_err err = VEND_ERR_INIT;
	struct merkle_mem *mem = merkle_mem_new();
	struct merkle_tree m, t;
	struct store *st;
	struct store_tx *tx;
	const uint64_t n = 45;
	bool pg = testdb_pg();

	CHECK_INT(store_open(url, &st, &err), 0);
	memory_tree(mem, &m, n);
	append_range(st, 0, 20);
	append_range(st, 20, n);
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK(store__exec(tx, pg ? "CREATE TABLE audit_nodes (level BIGINT NOT NULL, "
				       "idx BIGINT NOT NULL, hash BYTEA NOT NULL, "
				       "PRIMARY KEY (level, idx))"
				     : "CREATE TABLE audit_nodes (level INTEGER NOT NULL, "
				       "idx INTEGER NOT NULL, hash BLOB NOT NULL, "
				       "PRIMARY KEY (level, idx))", "") >= 0);
	CHECK(store__exec(tx, pg ? "INSERT INTO audit_nodes SELECT key % 64, "
				   "((key / 64 + 1) >> (key % 64)::int) - 1, hash FROM audit_tree"
				 : "INSERT INTO audit_nodes SELECT key % 64, "
				   "((key / 64 + 1) >> (key % 64)) - 1, hash FROM audit_tree", "") ==
	      (int)(2 * n - (uint64_t)__builtin_popcountll(n)));
	CHECK(store__exec(tx, "DROP TABLE audit_tree", "") >= 0);
	/* ... and without what later migrations added: a version 10 database */
	CHECK(store__exec(tx, "DROP TABLE runner_cordons", "") >= 0);
	CHECK_INT(store__exec(tx, "UPDATE meta SET value = '10' WHERE key = 'schema_version'", ""),
		  1);
	CHECK_INT(store_commit(tx), 0);
	store_close(st);

	CHECK_INT(store_open(url, &st, &err), 0);
	free(url);
	append_range(st, n, n + 1); /* and it grows as before */
	{
		uint8_t leaf[32];
		leaf_of(n, leaf);
		CHECK_INT(merkle_append(&m, leaf, NULL), 0);
	}
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(engine_audit_tree(tx, &t), 0);
	CHECK(t.size == n + 1);
	for (uint64_t size = 1; size <= n + 1; size++) {
		uint8_t a[32], b[32], p1[MERKLE_MAX_PROOF][32], p2[MERKLE_MAX_PROOF][32];
		size_t l1, l2;
		CHECK_INT(merkle_root(&t, size, a), 0);
		CHECK_INT(merkle_root(&m, size, b), 0);
		CHECK(!memcmp(a, b, 32));
		CHECK_INT(merkle_inclusion_proof(&t, size / 2, size, p1, &l1), 0);
		CHECK_INT(merkle_inclusion_proof(&m, size / 2, size, p2, &l2), 0);
		CHECK(l1 == l2 && !memcmp(p1, p2, l1 * 32));
	}
	{
		struct store_stmt *s;
		int64_t rows = 0;
		CHECK_INT(store__stmt(tx, "SELECT COUNT(*) FROM audit_tree", &s, ""), 0);
		CHECK_INT(store__int1(tx, s, &rows), 0);
		CHECK(rows == (int64_t)(2 * (n + 1) - (uint64_t)__builtin_popcountll(n + 1)));
	}
	store_rollback(tx);
	merkle_mem_free(mem);
	store_close(st);
}

TEST(adapter_roots_and_proofs_match_the_memory_store)
{
	struct store *st = open_store();
	struct merkle_mem *mem = merkle_mem_new();
	struct merkle_tree m, t;
	struct store_tx *tx;
	const uint64_t n = 70;

	memory_tree(mem, &m, n);
	/* In three transactions of different sizes, as a server appends. */
	append_range(st, 0, 1);
	append_range(st, 1, 33);
	append_range(st, 33, n);
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(engine_audit_tree(tx, &t), 0);
	CHECK(t.size == n);
	for (uint64_t size = 0; size <= n; size++) {
		uint8_t a[32], b[32];
		uint8_t p1[MERKLE_MAX_PROOF][32], p2[MERKLE_MAX_PROOF][32];
		size_t l1, l2;

		CHECK_INT(merkle_root(&t, size, a), 0);
		CHECK_INT(merkle_root(&m, size, b), 0);
		CHECK(!memcmp(a, b, 32));
		for (uint64_t i = 0; i < size; i += 7) {
			uint8_t leaf[32];
			CHECK_INT(merkle_inclusion_proof(&t, i, size, p1, &l1), 0);
			CHECK_INT(merkle_inclusion_proof(&m, i, size, p2, &l2), 0);
			CHECK(l1 == l2 && !memcmp(p1, p2, l1 * 32));
			leaf_of(i, leaf);
			CHECK_INT(merkle_verify_inclusion(leaf, i, size,
							  (const uint8_t (*)[32])p1, l1, a), 0);
		}
		for (uint64_t first = 0; first <= size; first += 5) {
			uint8_t r1[32];
			CHECK_INT(merkle_consistency_proof(&t, first, size, p1, &l1), 0);
			CHECK_INT(merkle_root(&t, first, r1), 0);
			CHECK_INT(merkle_verify_consistency(first, size, r1, a,
							    (const uint8_t (*)[32])p1, l1), 0);
		}
	}
	/* Rows: 2n - popcount(n), as audit/merkle.h says. */
	{
		struct store_stmt *s;
		int64_t rows = 0;
		CHECK_INT(store__stmt(tx, "SELECT COUNT(*) FROM audit_tree", &s, ""), 0);
		CHECK_INT(store__int1(tx, s, &rows), 0);
		CHECK(rows == (int64_t)(2 * n - (uint64_t)__builtin_popcountll(n)));
	}
	store_rollback(tx);
	merkle_mem_free(mem);
	store_close(st);
}

TEST(adapter_missing_node_is_enoent_and_put_twice_fails)
{
	struct store *st = open_store();
	struct store_tx *tx;
	uint8_t h[32] = { 1 }, out[32];

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(engine_audit_tree_ops.get(tx, 0, 5, out), -ENOENT);
	CHECK_INT(engine_audit_tree_ops.put(tx, 0, 5, h), 0);
	CHECK_INT(engine_audit_tree_ops.get(tx, 0, 5, out), 0);
	CHECK(!memcmp(out, h, 32));
	store_rollback(tx);
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(engine_audit_tree_ops.get(tx, 0, 5, out), -ENOENT); /* rolled back */
	CHECK_INT(engine_audit_tree_ops.put(tx, 0, 5, h), 0);
	CHECK(engine_audit_tree_ops.put(tx, 0, 5, h) < 0); /* a row never changes */
	store_rollback(tx);
	store_close(st);
}

TEST(an_entry_rolls_back_with_its_change)
{
	struct store *st = open_store();
	struct vend_ctx *ctx = vend_ctx_new(st);
	struct principal who = { 1, "alice", ROLE_ADMIN, NULL, NULL, "req-1", NULL };
	struct store_tx *tx;
	struct audit_row *rows;
	uint64_t n;
	size_t k;

	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(engine__audit(ctx, tx, &who, "test.first", "x", "ok", 7, "abc",
				json_pack("{s:s}", "k", "v")), 0);
	CHECK_INT(store_commit(tx), 0);
	CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
	CHECK_INT(engine__audit(ctx, tx, NULL, "test.undone", NULL, "ok", 0, NULL, NULL), 0);
	store_rollback(tx); /* the change failed: so did its entry */
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(store_audit_size(tx, &n), 0);
	CHECK(n == 1);
	CHECK_INT(store_audit_entries(tx, 0, 10, 10, &rows, &k), 0);
	CHECK(k == 1 && rows[0].has_leaf);
	CHECK_CONTAINS(rows[0].data.data, "\"action\":\"test.first\",\"actor\":\"alice\"");
	CHECK_CONTAINS(rows[0].data.data, "\"request_id\":\"req-1\"");
	CHECK_CONTAINS(rows[0].data.data, "\"run_id\":7");
	{
		uint8_t leaf[32];
		merkle_leaf_hash(rows[0].data.data, rows[0].data.len, leaf);
		CHECK(!memcmp(leaf, rows[0].leaf, 32));
	}
	audit_rows_free(rows, k);
	store_rollback(tx);
	vend_ctx_free(ctx);
}

/* A transaction's entries are written at its commit as one batch: in the
 * order recorded, each leaf the hash of its stored bytes, the tree's root
 * that of appending them one by one; transactions of 1, 5 and 11 entries
 * so that batches start and end at every kind of tree position. */
TEST(a_transactions_entries_are_appended_in_order_at_commit)
{
	struct store *st = open_store();
	struct vend_ctx *ctx = vend_ctx_new(st);
	struct merkle_mem *mem = merkle_mem_new();
	struct merkle_tree m, t;
	struct store_tx *tx;
	struct audit_row *rows;
	const int sizes[] = { 1, 5, 11 };
	uint8_t a[32], b[32];
	uint64_t n;
	size_t k;
	int seq = 0;

	merkle_tree_init(&m, &merkle_mem_ops, mem, 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CHECK_INT(store_begin(st, STORE_WRITE, &tx), 0);
		for (int j = 0; j < sizes[i]; j++) {
			char target[16];
			snprintf(target, sizeof(target), "t%d", seq++);
			CHECK_INT(engine__audit(ctx, tx, NULL, "test.batch", target, "ok", 0, NULL,
						NULL), 0);
		}
		/* Nothing is in the tree before the commit. */
		CHECK_INT(store_audit_size(tx, &n), 0);
		CHECK(n == (uint64_t)(seq - sizes[i]));
		CHECK_INT(store_commit(tx), 0);
	}
	CHECK_INT(store_begin(st, STORE_READ, &tx), 0);
	CHECK_INT(store_audit_entries(tx, 0, (uint64_t)seq, seq, &rows, &k), 0);
	CHECK(k == (size_t)seq);
	for (size_t i = 0; i < k; i++) {
		char want[40];
		uint8_t leaf[32];
		snprintf(want, sizeof(want), "\"target\":\"t%zu\"", i);
		CHECK_CONTAINS(rows[i].data.data, want);
		merkle_leaf_hash(rows[i].data.data, rows[i].data.len, leaf);
		CHECK(rows[i].has_leaf && !memcmp(leaf, rows[i].leaf, 32));
		CHECK_INT(merkle_append(&m, leaf, NULL), 0);
	}
	CHECK_INT(engine_audit_tree(tx, &t), 0);
	CHECK(t.size == (uint64_t)seq);
	for (uint64_t size = 1; size <= t.size; size++) {
		CHECK_INT(merkle_root(&t, size, a), 0);
		CHECK_INT(merkle_root(&m, size, b), 0);
		CHECK(!memcmp(a, b, 32));
	}
	audit_rows_free(rows, k);
	store_rollback(tx);
	merkle_mem_free(mem);
	vend_ctx_free(ctx);
}

static char *temp_dir(void)
{
	char tmpl[] = "/tmp/vend-audit-test.XXXXXX";
	char *d = mkdtemp(tmpl);
	CHECK(d != NULL);
	return strdup(d);
}

/* A server's start on the database of url with data directory dir. */
static struct vend_ctx *start(const char *url, const char *dir)
{
	struct vend_err err = VEND_ERR_INIT;
	struct store *st;
	struct vend_ctx *ctx;

	CHECK_INT(store_open(url, &st, &err), 0);
	ctx = vend_ctx_new(st);
	CHECK_INT(engine_audit_open(ctx, dir, &err), 0);
	err_free(&err);
	return ctx;
}

/* Appends one entry in a transaction of its own; returns engine__audit's. */
static int append_entry(struct vend_ctx *ctx)
{
	struct store_tx *tx;
	int rc;

	CHECK_INT(store_begin(ctx->store, STORE_WRITE, &tx), 0);
	rc = engine__audit(ctx, tx, NULL, "test.x", "t", "ok", 0, NULL, NULL);
	if (rc)
		store_rollback(tx);
	else
		CHECK_INT(store_commit(tx), 0);
	return rc;
}

TEST(key_file_checkpoints_and_a_changed_row)
{
	char *url = testdb_url(), *dir = temp_dir(), path[512];
	struct vend_ctx *ctx = start(url, dir);
	struct vend_err err = VEND_ERR_INIT;
	struct store_tx *tx;
	struct stat sb;
	json_t *head = NULL, *key = NULL;
	char why[512];

	CHECK(!engine_audit_broken(ctx, NULL, 0));
	snprintf(path, sizeof(path), "%s/audit.key", dir);
	CHECK_INT(stat(path, &sb), 0);
	CHECK_INT(sb.st_mode & 0777, 0600);
	for (int i = 0; i < 5; i++)
		CHECK_INT(append_entry(ctx), 0);
	/* On demand: the head covers every entry (the key's own entry too). */
	CHECK_INT(engine_audit_tree_head(ctx, &head, &err), 0);
	CHECK_INT(json_integer_value(json_object_get(head, "size")), 6);
	CHECK_INT(engine_audit_public_key(ctx, &key, &err), 0);
	{
		struct note_verifier v;
		struct checkpoint cp;
		const char *vk = json_string_value(json_object_get(key, "key"));
		const char *note = json_string_value(json_object_get(head, "checkpoint"));
		CHECK_INT(note_verifier_decode(vk, strlen(vk), &v, NULL), 0);
		CHECK_INT(checkpoint_open(note, strlen(note), &v, NULL, &cp, NULL), 0);
		CHECK(cp.size == 6);
	}
	vend_ctx_free(ctx);

	/* Reopened untouched: intact, same key. */
	ctx = start(url, dir);
	CHECK(!engine_audit_broken(ctx, NULL, 0));
	/* A row changed behind vend's back. */
	CHECK_INT(store_begin(ctx->store, STORE_WRITE, &tx), 0);
	CHECK_INT(store__exec(tx, "UPDATE audit_entries SET data = ? WHERE idx = 3", "b",
			      "{\"x\":1}", (size_t)7), 1);
	CHECK_INT(store_commit(tx), 0);
	vend_ctx_free(ctx);

	ctx = start(url, dir);
	CHECK(engine_audit_broken(ctx, why, sizeof(why)));
	CHECK_CONTAINS(why, "entry 3");
	/* Fail closed: nothing more is appended. */
	CHECK_INT(append_entry(ctx), -EAGAIN);
	vend_ctx_free(ctx);
	json_decref(head);
	json_decref(key);
	fs_remove_tree(dir);
	free(dir);
	free(url);
	err_free(&err);
}

/* The signer checks the last stored checkpoint before it signs the next,
 * and remembers the bytes it signed: a note changed since is verified
 * again, and its bad signature stops the log. */
TEST(a_changed_checkpoint_is_caught_at_the_next_signing)
{
	char *url = testdb_url(), *dir = temp_dir(), *note, why[512];
	struct vend_ctx *ctx = start(url, dir);
	struct store_tx *tx;
	uint64_t size;
	size_t len;
	int rc;

	CHECK_INT(append_entry(ctx), 0);
	CHECK_INT(engine_audit_sign(ctx), 0);
	CHECK_INT(append_entry(ctx), 0);
	CHECK_INT(engine_audit_sign(ctx), 0); /* the remembered note, unchanged */
	CHECK(!engine_audit_broken(ctx, NULL, 0));
	/* One character of the signature changed behind vend's back. */
	CHECK_INT(store_begin(ctx->store, STORE_WRITE, &tx), 0);
	CHECK_INT(store_audit_checkpoint_latest(tx, &size, &note), 0);
	len = strlen(note);
	CHECK(len > 20);
	note[len - 10] = note[len - 10] == 'A' ? 'B' : 'A';
	CHECK_INT(store__exec(tx, "UPDATE audit_checkpoints SET note = ? WHERE size = ?", "si",
			      note, (int64_t)size), 1);
	CHECK_INT(store_commit(tx), 0);
	free(note);
	CHECK_INT(append_entry(ctx), 0);
	rc = engine_audit_sign(ctx);
	CHECK_INT(rc, -EBADMSG);
	CHECK(engine_audit_broken(ctx, why, sizeof(why)));
	CHECK_CONTAINS(why, "checkpoint of size");
	CHECK_INT(append_entry(ctx), -EAGAIN);
	vend_ctx_free(ctx);
	fs_remove_tree(dir);
	free(dir);
	free(url);
}

TEST(a_missing_key_file_breaks_a_sqlite_log)
{
	char *dir, *url, path[512], why[512];

	if (testdb_pg())
		tap_skip("PostgreSQL: a server without the key verifies but does not sign");
	dir = temp_dir();
	url = testdb_url();
	vend_ctx_free(start(url, dir));
	snprintf(path, sizeof(path), "%s/audit.key", dir);
	CHECK_INT(unlink(path), 0);
	{
		struct vend_ctx *ctx = start(url, dir);
		CHECK(engine_audit_broken(ctx, why, sizeof(why)));
		CHECK_CONTAINS(why, "is missing");
		vend_ctx_free(ctx);
	}
	fs_remove_tree(dir);
	free(dir);
	free(url);
}

TEST(postgres_servers_share_the_key_sealed_with_the_master_key)
{
	char *d1, *d2, *url, mk[512];
	struct vend_ctx *ctx;

	if (!testdb_pg())
		tap_skip("SQLite: one server, the key stays in its file");
	d1 = temp_dir();
	d2 = temp_dir();
	url = testdb_url();
	snprintf(mk, sizeof(mk), "%s/master.key", d1);
	CHECK_INT(fs_write_file(mk, "0123456789abcdef0123456789abcdef\n", 33, 0600), 0);
	setenv("VEND_MASTER_KEY_FILE", mk, 1);
	vend_ctx_free(start(url, d1)); /* the first server makes it */

	/* A second server, with no audit.key of its own, signs with it. */
	ctx = start(url, d2);
	CHECK(!engine_audit_broken(ctx, NULL, 0));
	CHECK_INT(append_entry(ctx), 0);
	CHECK_INT(engine_audit_sign(ctx), 0);
	vend_ctx_free(ctx);

	/* With another master key it cannot open the sealed copy: it verifies
	 * but does not sign. */
	CHECK_INT(fs_write_file(mk, "another master key, not the one\n", 32, 0600), 0);
	ctx = start(url, d2);
	CHECK(!engine_audit_broken(ctx, NULL, 0));
	CHECK_INT(engine_audit_sign(ctx), -ENOKEY);
	vend_ctx_free(ctx);
	unsetenv("VEND_MASTER_KEY_FILE");
	fs_remove_tree(d1);
	fs_remove_tree(d2);
	free(d1);
	free(d2);
	free(url);
}
