/*
 * RFC 9162 section 2.1 Merkle trees over caller-provided storage (see
 * merkle.h for the storage scheme and the cost of each operation).
 *
 * Everything about a tree of any size m is read from the complete subtrees
 * that the first m leaves contain: the RFC's recursion splits a range at the
 * largest power of two below its length, so the left part is always a
 * complete, aligned subtree (one stored node) and only the right edge is
 * "ragged"; a ragged range [lo, hi) is the right fold of the complete
 * subtrees given by the set bits of hi - lo, largest first.
 */
#include <sodium.h>

#include "audit/merkle.h"
#include "util/hash.h"

/* ---- hashing ------------------------------------------------------------- */

/* RFC 9162 2.1.1: MTH({d(0)}) = HASH(0x00 || d(0)) */
void merkle_leaf_hash(const void *data, size_t len, uint8_t out[MERKLE_HASH_LEN])
{
	static const uint8_t prefix = 0x00;
	const struct sha256_part parts[] = { { &prefix, 1 }, { data, len } };

	sha256v(parts, 2, out);
}

/* RFC 9162 2.1.1: MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])) */
void merkle_node_hash(const uint8_t left[MERKLE_HASH_LEN],
		      const uint8_t right[MERKLE_HASH_LEN], uint8_t out[MERKLE_HASH_LEN])
{
	/* One contiguous 65-byte message: a single update, no buffering. */
	uint8_t m[1 + 2 * MERKLE_HASH_LEN];

	m[0] = 0x01;
	memcpy(m + 1, left, MERKLE_HASH_LEN);
	memcpy(m + 1 + MERKLE_HASH_LEN, right, MERKLE_HASH_LEN);
	sha256(m, sizeof(m), out);
}

/* RFC 9162 2.1.1: MTH({}) = HASH() */
void merkle_empty_root(uint8_t out[MERKLE_HASH_LEN])
{
	sha256("", 0, out);
}

/* ---- helpers ------------------------------------------------------------- */

static unsigned log2_floor(uint64_t x) /* x > 0 */
{
	return 63u - (unsigned)__builtin_clzll(x);
}

/* The largest power of two strictly less than n (n >= 2): RFC 9162's k. */
static uint64_t split_point(uint64_t n)
{
	return (uint64_t)1 << log2_floor(n - 1);
}

static int get_node(const struct merkle_tree *t, unsigned level, uint64_t index,
		    uint8_t out[MERKLE_HASH_LEN])
{
	int rc = t->ops->get(t->ctx, level, index, out);
	/* A node the size says exists but the store lacks: the store is
	 * inconsistent, which is not the caller's "not found". */
	return rc == -ENOENT ? -EIO : rc;
}

/*
 * MTH(D[lo:hi]) for 0 <= lo < hi <= t->size where lo is a multiple of the
 * largest power of two <= hi - lo, which holds for every range the RFC's
 * recursion visits. popcount(hi - lo) gets.
 */
static int range_hash(const struct merkle_tree *t, uint64_t lo, uint64_t hi,
		      uint8_t out[MERKLE_HASH_LEN])
{
	uint8_t parts[64][MERKLE_HASH_LEN];
	uint64_t len = hi - lo, at = lo;
	int n = 0, rc;

	for (int level = 63; level >= 0; level--) {
		uint64_t w = (uint64_t)1 << level;
		if (!(len & w))
			continue;
		rc = get_node(t, (unsigned)level, at >> level, parts[n]);
		if (rc)
			return rc;
		n++;
		at += w;
	}
	/* n >= 1 since hi > lo. Right fold: larger subtrees are to the left. */
	for (int i = n - 2; i >= 0; i--)
		merkle_node_hash(parts[i], parts[i + 1], parts[i]);
	memcpy(out, parts[0], MERKLE_HASH_LEN);
	return 0;
}

/* ---- a stored tree ------------------------------------------------------- */

int merkle_tree_init(struct merkle_tree *t, const struct merkle_store_ops *ops, void *ctx,
		     uint64_t size)
{
	if (!t || !ops || !ops->get || !ops->put || size > MERKLE_MAX_SIZE)
		return -EINVAL;
	t->ops = ops;
	t->ctx = ctx;
	t->size = size;
	return 0;
}

int merkle_append_batch(struct merkle_tree *t, const uint8_t (*leaves)[MERKLE_HASH_LEN],
			size_t count, uint64_t *first)
{
	/* frontier[l] is the node most recently written at level l in this
	 * batch (bit l of have): the left sibling the next odd node at level l
	 * needs. Older left siblings are read from the store, once each. */
	uint8_t frontier[64][MERKLE_HASH_LEN];
	uint64_t have = 0, n = t->size;
	int rc;

	if (count == 0)
		goto done;
	if (!leaves)
		return -EINVAL;
	if (count > MERKLE_MAX_SIZE - n)
		return -EOVERFLOW;
	for (size_t j = 0; j < count; j++) {
		uint64_t i = n + j;
		unsigned level = 0;
		uint8_t h[MERKLE_HASH_LEN];

		memcpy(h, leaves[j], MERKLE_HASH_LEN);
		rc = t->ops->put(t->ctx, 0, i, h);
		if (rc)
			return rc;
		/* RFC 9162 2.1.1: node (l+1, i/2) = HASH(0x01 || (l, i-1) || (l, i))
		 * once (l, i) completes with i odd. */
		while (i & 1) {
			const uint8_t *left = frontier[level];
			uint8_t stored[MERKLE_HASH_LEN];
			if (!(have & ((uint64_t)1 << level))) {
				rc = get_node(t, level, i - 1, stored);
				if (rc)
					return rc;
				left = stored;
			}
			merkle_node_hash(left, h, h);
			level++;
			i >>= 1;
			rc = t->ops->put(t->ctx, level, i, h);
			if (rc)
				return rc;
		}
		memcpy(frontier[level], h, MERKLE_HASH_LEN);
		have |= (uint64_t)1 << level;
	}
	t->size = n + count;
done:
	if (first)
		*first = n;
	return 0;
}

int merkle_append(struct merkle_tree *t, const uint8_t leaf_hash[MERKLE_HASH_LEN],
		  uint64_t *index)
{
	if (t->size >= MERKLE_MAX_SIZE)
		return -EOVERFLOW;
	return merkle_append_batch(t, (const uint8_t (*)[MERKLE_HASH_LEN])leaf_hash, 1, index);
}

int merkle_root(const struct merkle_tree *t, uint64_t size, uint8_t out[MERKLE_HASH_LEN])
{
	if (size > t->size)
		return -EINVAL;
	if (size == 0) {
		merkle_empty_root(out);
		return 0;
	}
	return range_hash(t, 0, size, out);
}

/* A proof item: a range of leaves whose MTH goes into the proof. */
struct span {
	uint64_t lo, hi;
};

static int emit(const struct merkle_tree *t, const struct span *items, size_t n,
		uint8_t (*proof)[MERKLE_HASH_LEN], size_t *len)
{
	int rc;

	if (n > MERKLE_MAX_PROOF)
		return -EINVAL; /* cannot happen for size <= MERKLE_MAX_SIZE */
	for (size_t i = 0; i < n; i++) {
		rc = range_hash(t, items[i].lo, items[i].hi, proof[i]);
		if (rc)
			return rc;
	}
	*len = n;
	return 0;
}

int merkle_inclusion_proof(const struct merkle_tree *t, uint64_t index, uint64_t size,
			   uint8_t (*proof)[MERKLE_HASH_LEN], size_t *len)
{
	struct span items[MERKLE_MAX_PROOF], tmp;
	uint64_t lo = 0, hi = size;
	size_t n = 0;

	if (size > t->size || index >= size || !proof || !len)
		return -EINVAL;
	/* RFC 9162 2.1.3.1, PATH(m, D[lo:hi]) walked from the root down; the
	 * RFC lists the siblings from the leaf up, so reverse at the end. */
	while (hi - lo > 1) {
		uint64_t k = split_point(hi - lo);
		if (n == MERKLE_MAX_PROOF)
			return -EINVAL;
		if (index < lo + k) {
			/* PATH(m, D[0:k]) : MTH(D[k:n]) */
			items[n++] = (struct span){ lo + k, hi };
			hi = lo + k;
		} else {
			/* PATH(m - k, D[k:n]) : MTH(D[0:k]) */
			items[n++] = (struct span){ lo, lo + k };
			lo += k;
		}
	}
	for (size_t i = 0; i < n / 2; i++) {
		tmp = items[i];
		items[i] = items[n - 1 - i];
		items[n - 1 - i] = tmp;
	}
	return emit(t, items, n, proof, len);
}

int merkle_consistency_proof(const struct merkle_tree *t, uint64_t m, uint64_t n,
			     uint8_t (*proof)[MERKLE_HASH_LEN], size_t *len)
{
	struct span path[MERKLE_MAX_PROOF], items[MERKLE_MAX_PROOF];
	uint64_t lo = 0, hi = n;
	size_t np = 0, ni = 0;
	bool b = true;

	if (n > t->size || m > n || !proof || !len)
		return -EINVAL;
	if (m == 0 || m == n) {
		*len = 0;
		return 0;
	}
	/* RFC 9162 2.1.4.1, SUBPROOF(m, D[lo:hi], b) walked from the root
	 * down until m == hi (relative m == relative n). */
	while (m != hi) {
		uint64_t k = split_point(hi - lo);
		if (np == MERKLE_MAX_PROOF)
			return -EINVAL;
		if (m - lo <= k) {
			/* SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) */
			path[np++] = (struct span){ lo + k, hi };
			hi = lo + k;
		} else {
			/* SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]) */
			path[np++] = (struct span){ lo, lo + k };
			lo += k;
			b = false;
		}
	}
	/* SUBPROOF(m, D[m], false) = {MTH(D[m])}; with b true it is empty. */
	if (!b)
		items[ni++] = (struct span){ lo, hi };
	while (np > 0) {
		if (ni == MERKLE_MAX_PROOF)
			return -EINVAL;
		items[ni++] = path[--np];
	}
	return emit(t, items, ni, proof, len);
}

/* ---- verification ---------------------------------------------------------- */

int merkle_verify_inclusion(const uint8_t leaf_hash[MERKLE_HASH_LEN], uint64_t index,
			    uint64_t size, const uint8_t (*proof)[MERKLE_HASH_LEN], size_t len,
			    const uint8_t root[MERKLE_HASH_LEN])
{
	uint8_t r[MERKLE_HASH_LEN];
	uint64_t fn, sn;

	if (!leaf_hash || !root || index >= size || len > MERKLE_MAX_PROOF || (len && !proof))
		return -EINVAL;
	/* RFC 9162 2.1.3.2 */
	fn = index;
	sn = size - 1;
	memcpy(r, leaf_hash, MERKLE_HASH_LEN);
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return -EBADMSG; /* more hashes than the path is long */
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[i], r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			merkle_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return -EBADMSG; /* fewer hashes than the path is long */
	return sodium_memcmp(r, root, MERKLE_HASH_LEN) == 0 ? 0 : -EBADMSG;
}

int merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t root1[MERKLE_HASH_LEN],
			      const uint8_t root2[MERKLE_HASH_LEN],
			      const uint8_t (*proof)[MERKLE_HASH_LEN], size_t len)
{
	uint8_t fr[MERKLE_HASH_LEN], sr[MERKLE_HASH_LEN];
	uint64_t fn, sn;
	size_t i;

	if (!root1 || !root2 || m > n || len > MERKLE_MAX_PROOF || (len && !proof))
		return -EINVAL;
	if (m == 0) {
		/* The empty tree (whose root is the empty root) is a prefix of
		 * every tree; of size 0, only of itself. */
		uint8_t empty[MERKLE_HASH_LEN];
		if (len != 0)
			return -EBADMSG;
		merkle_empty_root(empty);
		if (sodium_memcmp(root1, empty, MERKLE_HASH_LEN) != 0)
			return -EBADMSG;
		return n > 0 || sodium_memcmp(root2, empty, MERKLE_HASH_LEN) == 0 ? 0 : -EBADMSG;
	}
	if (m == n) {
		if (len != 0)
			return -EBADMSG;
		return sodium_memcmp(root1, root2, MERKLE_HASH_LEN) == 0 ? 0 : -EBADMSG;
	}
	/* RFC 9162 2.1.4.2 */
	if (len == 0)
		return -EBADMSG; /* step 1 */
	/* Step 2: if first is an exact power of 2, prepend first_hash. Step 5:
	 * fr and sr start from the first value of the (extended) path. */
	if ((m & (m - 1)) == 0) {
		memcpy(fr, root1, MERKLE_HASH_LEN);
		i = 0;
	} else {
		memcpy(fr, proof[0], MERKLE_HASH_LEN);
		i = 1;
	}
	memcpy(sr, fr, MERKLE_HASH_LEN);
	/* Steps 3 and 4 */
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 6 */
	for (; i < len; i++) {
		const uint8_t *c = proof[i];
		if (sn == 0)
			return -EBADMSG;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(c, fr, fr);
			merkle_node_hash(c, sr, sr);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			merkle_node_hash(sr, c, sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 7: evaluate all three, so timing does not say which failed. */
	{
		int bad = sodium_memcmp(fr, root1, MERKLE_HASH_LEN) != 0;
		bad |= sodium_memcmp(sr, root2, MERKLE_HASH_LEN) != 0;
		bad |= sn != 0;
		return bad ? -EBADMSG : 0;
	}
}

/* ---- streaming root ----------------------------------------------------------- */

void merkle_stream_init(struct merkle_stream *s)
{
	s->size = 0;
}

int merkle_stream_push(struct merkle_stream *s, const uint8_t leaf_hash[MERKLE_HASH_LEN])
{
	uint8_t h[MERKLE_HASH_LEN];
	unsigned level = 0;

	if (s->size == UINT64_MAX)
		return -EOVERFLOW;
	memcpy(h, leaf_hash, MERKLE_HASH_LEN);
	/* A binary counter: each carry merges two equal subtrees. */
	while (s->size & ((uint64_t)1 << level)) {
		merkle_node_hash(s->peak[level], h, h);
		level++;
	}
	memcpy(s->peak[level], h, MERKLE_HASH_LEN);
	s->size++;
	return 0;
}

int merkle_stream_push_data(struct merkle_stream *s, const void *data, size_t len)
{
	uint8_t h[MERKLE_HASH_LEN];

	if (s->size == UINT64_MAX)
		return -EOVERFLOW;
	merkle_leaf_hash(data, len, h);
	return merkle_stream_push(s, h);
}

void merkle_stream_root(const struct merkle_stream *s, uint8_t out[MERKLE_HASH_LEN])
{
	uint8_t r[MERKLE_HASH_LEN];
	bool any = false;

	if (s->size == 0) {
		merkle_empty_root(out);
		return;
	}
	/* The subtrees of the set bits of size, smallest (rightmost) first. */
	for (unsigned level = 0; level < 64; level++) {
		if (!(s->size & ((uint64_t)1 << level)))
			continue;
		if (!any) {
			memcpy(r, s->peak[level], MERKLE_HASH_LEN);
			any = true;
		} else {
			merkle_node_hash(s->peak[level], r, r);
		}
	}
	memcpy(out, r, MERKLE_HASH_LEN);
}
