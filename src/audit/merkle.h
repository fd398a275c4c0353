/*
 * The Merkle tree of vend's audit log: RFC 9162 (Certificate Transparency
 * 2.0) section 2.1, with the hashes kept so that every question about the
 * tree costs O(log n) reads of stored hashes, never a rebuild.
 *
 * Storage. The caller owns the storage and lends it through struct
 * merkle_store_ops: one map from (level, index) to a 32-byte hash, which is
 * one table of rows in a database (vend's store keys each row by the last
 * leaf under the node and its level, so that the rows an append writes
 * follow every row before them: store_audit.c):
 *
 *     CREATE TABLE audit_tree (key INTEGER PRIMARY KEY, hash BLOB NOT NULL);
 *     -- key = (((index + 1) << level) - 1) * 64 + level
 *
 * Node (level, index) is the root of the complete subtree of 2^level leaves
 * that starts at leaf index * 2^level; level 0 holds the leaf hashes. A node
 * is written once, when its last leaf is appended, and never changes. With
 * n leaves appended, exactly the complete subtrees of the first n leaves are
 * stored: 2n - popcount(n) rows.
 *
 * Cost of each operation, in calls to get and put (n = leaves appended):
 *
 *   merkle_append            1 + t puts and t gets, t = trailing one bits
 *                            of the new leaf's index (on average 2 puts,
 *                            1 get; at most 64 puts, 63 gets)
 *   merkle_append_batch(k)   the same puts for each leaf, and at most 63
 *                            gets for the whole batch
 *   merkle_root(m)           popcount(m) gets (1 if m is a power of two)
 *   merkle_inclusion_proof   at most 2 * ceil(log2 m) gets
 *   merkle_consistency_proof at most 2 * ceil(log2 n) gets
 *
 * Sizes are uint64_t. A stored tree holds at most MERKLE_MAX_SIZE leaves so
 * that every index fits a signed 64-bit database column. Nothing here
 * asserts on input: bad sizes and indices return -EINVAL.
 *
 * Verification (merkle_verify_*, struct merkle_stream) needs no storage.
 */
#ifndef VEND_AUDIT_MERKLE_H
#define VEND_AUDIT_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN 32
/* The longest proof accepted or produced: enough for any uint64_t size. */
#define MERKLE_MAX_PROOF 64
/* The most leaves a stored tree holds: indices fit an int64 column. */
#define MERKLE_MAX_SIZE ((uint64_t)INT64_MAX)

/* ---- hashing (RFC 9162 2.1.1) ---------------------------------------- */

/* SHA-256(0x00 || data). */
void merkle_leaf_hash(const void *data, size_t len, uint8_t out[MERKLE_HASH_LEN]);
/* SHA-256(0x01 || left || right). out may alias left or right. */
void merkle_node_hash(const uint8_t left[MERKLE_HASH_LEN],
		      const uint8_t right[MERKLE_HASH_LEN], uint8_t out[MERKLE_HASH_LEN]);
/* The root of the empty tree: SHA-256 of the empty string. */
void merkle_empty_root(uint8_t out[MERKLE_HASH_LEN]);

/* ---- a stored tree ----------------------------------------------------- */

/*
 * What the caller's storage must do. Both are called only from inside the
 * merkle_* call that needs them; ctx is the caller's (a transaction, say).
 *
 * get: copies the hash of node (level, index) into out. Returns 0, -ENOENT
 *      if there is no such row, or another negative errno (passed on).
 * put: stores the hash of node (level, index); the row is new (merkle never
 *      writes a node twice while the store and the size agree). Returns 0
 *      or a negative errno (passed on).
 */
struct merkle_store_ops {
	int (*get)(void *ctx, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN]);
	int (*put)(void *ctx, unsigned level, uint64_t index,
		   const uint8_t hash[MERKLE_HASH_LEN]);
};

/* A tree over a store. Borrows ops and ctx; holds no memory, needs no free. */
struct merkle_tree {
	const struct merkle_store_ops *ops;
	void *ctx;
	uint64_t size; /* leaves appended; the caller's store agrees */
};

/* Points t at a store that already holds a tree of size leaves (0 for a new
 * one). The caller knows the size (e.g. a row count); merkle does not
 * search for it. Returns 0, or -EINVAL if size > MERKLE_MAX_SIZE. */
int merkle_tree_init(struct merkle_tree *t, const struct merkle_store_ops *ops, void *ctx,
		     uint64_t size);

/*
 * Appends one leaf (its leaf hash, see merkle_leaf_hash): stores the leaf
 * and every complete subtree it completes. On success *index (if not NULL)
 * is the leaf's index and t->size grows by one. Returns 0, -EOVERFLOW if
 * the tree is full, or a store error. On error t->size is unchanged but the
 * store may hold some of the new rows: roll the caller's transaction back.
 */
int merkle_append(struct merkle_tree *t, const uint8_t leaf_hash[MERKLE_HASH_LEN],
		  uint64_t *index);
/*
 * Appends count leaves in order, as count merkle_append calls would, but
 * reads each stored frontier node at most once (group commit). *first (if
 * not NULL) is the index of the first. count 0 is a no-op. Errors as for
 * merkle_append; -EINVAL if leaves is NULL with count > 0.
 */
int merkle_append_batch(struct merkle_tree *t, const uint8_t (*leaves)[MERKLE_HASH_LEN],
			size_t count, uint64_t *first);

/* The root hash of the tree of the first size leaves, size <= t->size (0
 * gives the empty root). Returns 0, -EINVAL (size > t->size), -EIO (a node
 * that must be stored is missing) or a store error. */
int merkle_root(const struct merkle_tree *t, uint64_t size, uint8_t out[MERKLE_HASH_LEN]);

/*
 * The inclusion proof of leaf index in the tree of size leaves (RFC 9162
 * 2.1.3.1), index < size <= t->size. Writes up to MERKLE_MAX_PROOF hashes
 * into proof (the caller's array of that many) and their number into *len,
 * leaf's sibling first. Errors as for merkle_root.
 */
int merkle_inclusion_proof(const struct merkle_tree *t, uint64_t index, uint64_t size,
			   uint8_t (*proof)[MERKLE_HASH_LEN], size_t *len);
/*
 * The consistency proof between the trees of size m and n (RFC 9162
 * 2.1.4.1), m <= n <= t->size. It is empty when m == 0 or m == n. Output
 * and errors as for merkle_inclusion_proof.
 */
int merkle_consistency_proof(const struct merkle_tree *t, uint64_t m, uint64_t n,
			     uint8_t (*proof)[MERKLE_HASH_LEN], size_t *len);

/*
 * An in-memory store (tests, benchmarks, tools): per level, an array of the
 * nodes in index order. put accepts only the next index of its level, as
 * merkle writes them (-EINVAL otherwise); get returns -ENOENT past the end.
 * merkle_mem_new returns new, free with merkle_mem_free (NULL is fine).
 */
struct merkle_mem;
extern const struct merkle_store_ops merkle_mem_ops;
struct merkle_mem *merkle_mem_new(void);
void merkle_mem_free(struct merkle_mem *m);
uint64_t merkle_mem_rows(const struct merkle_mem *m); /* rows stored */

/* ---- verification: pure functions ---------------------------------------- */

/*
 * Checks that leaf_hash is leaf index of the tree of size leaves whose root
 * is root, by proof (RFC 9162 2.1.3.2). Returns 0 if it is, -EINVAL if
 * index >= size or len > MERKLE_MAX_PROOF, -EBADMSG if the proof does not
 * prove it.
 */
int merkle_verify_inclusion(const uint8_t leaf_hash[MERKLE_HASH_LEN], uint64_t index,
			    uint64_t size, const uint8_t (*proof)[MERKLE_HASH_LEN], size_t len,
			    const uint8_t root[MERKLE_HASH_LEN]);
/*
 * Checks that the tree of size m with root root1 is a prefix of the tree of
 * size n with root root2, by proof (RFC 9162 2.1.4.2). For m == n the proof
 * must be empty and the roots equal; for m == 0 the proof must be empty and
 * root1 the empty root (and root2 too if n == 0). Returns 0, -EINVAL if m > n or len >
 * MERKLE_MAX_PROOF, -EBADMSG if the proof does not prove it.
 */
int merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t root1[MERKLE_HASH_LEN],
			      const uint8_t root2[MERKLE_HASH_LEN],
			      const uint8_t (*proof)[MERKLE_HASH_LEN], size_t len);

/*
 * The root from leaves, streaming: push leaf hashes in order and read the
 * root of the tree of the leaves pushed so far at any point. Memory is the
 * struct itself (one hash per set bit of the size); each push costs one
 * leaf's worth of node hashes amortised (at most 63). No free needed.
 */
struct merkle_stream {
	uint64_t size;
	uint8_t peak[64][MERKLE_HASH_LEN]; /* peak[l]: the subtree of bit l of size */
};

void merkle_stream_init(struct merkle_stream *s);
/* Appends a leaf hash. Returns 0, or -EOVERFLOW past UINT64_MAX leaves. */
int merkle_stream_push(struct merkle_stream *s, const uint8_t leaf_hash[MERKLE_HASH_LEN]);
/* Hashes data as a leaf (merkle_leaf_hash) and pushes it. */
int merkle_stream_push_data(struct merkle_stream *s, const void *data, size_t len);
/* The root of the s->size leaves pushed so far (the empty root for none). */
void merkle_stream_root(const struct merkle_stream *s, uint8_t out[MERKLE_HASH_LEN]);

#endif
