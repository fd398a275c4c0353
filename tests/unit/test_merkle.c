/*
 * Tests of audit/merkle: RFC 9162 hashing, the stored tree, proofs and
 * their verification, against
 *  - the RFC 6962 / RFC 9162 reference vectors for the 8-leaf tree, as
 *    published in github.com/transparency-dev/merkle, testonly/constants.go
 *    (LeafInputs, NodeHashes, RootHashes) and proof/verify_test.go
 *    (inclusionProofs, consistencyProofs; their leaf numbers are 1-based);
 *  - an independent, naive implementation in this file of the RFC's
 *    recursive definitions (MTH, PATH, PROOF/SUBPROOF), over an array.
 */
#include <sodium.h>

#include "audit/merkle.h"
#include "tap.h"

#define H MERKLE_HASH_LEN
typedef uint8_t hash_t[H];

static void unhex(const char *s, uint8_t *out, size_t n)
{
	CHECK(strlen(s) == 2 * n);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		CHECK(sscanf(s + 2 * i, "%2x", &v) == 1);
		out[i] = (uint8_t)v;
	}
}

/* ---- the naive reference: RFC 9162 2.1.1, 2.1.3.1, 2.1.4.1 verbatim ---- */

static void naive_sha(const uint8_t *a, size_t n, uint8_t out[H])
{
	crypto_hash_sha256(out, a, n);
}

static uint64_t naive_k(uint64_t n) /* largest power of 2 < n */
{
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

/* MTH(D[n]) over leaf hashes (the leaves are hashed already). */
static void naive_mth(const hash_t *d, uint64_t n, uint8_t out[H])
{
	uint8_t m[1 + 2 * H];
	if (n == 0) {
		naive_sha((const uint8_t *)"", 0, out);
		return;
	}
	if (n == 1) {
		memcpy(out, d[0], H);
		return;
	}
	uint64_t k = naive_k(n);
	m[0] = 1;
	naive_mth(d, k, m + 1);
	naive_mth(d + k, n - k, m + 1 + H);
	naive_sha(m, sizeof(m), out);
}

/* PATH(m, D[n]) appended to p (count in *np). */
static void naive_path(uint64_t m, const hash_t *d, uint64_t n, hash_t *p, size_t *np)
{
	if (n <= 1)
		return;
	uint64_t k = naive_k(n);
	if (m < k) {
		naive_path(m, d, k, p, np);
		naive_mth(d + k, n - k, p[(*np)++]);
	} else {
		naive_path(m - k, d + k, n - k, p, np);
		naive_mth(d, k, p[(*np)++]);
	}
}

static void naive_subproof(uint64_t m, const hash_t *d, uint64_t n, bool b, hash_t *p,
			   size_t *np)
{
	if (m == n) {
		if (!b)
			naive_mth(d, n, p[(*np)++]);
		return;
	}
	uint64_t k = naive_k(n);
	if (m <= k) {
		naive_subproof(m, d, k, b, p, np);
		naive_mth(d + k, n - k, p[(*np)++]);
	} else {
		naive_subproof(m - k, d + k, n - k, false, p, np);
		naive_mth(d, k, p[(*np)++]);
	}
}

/* ---- a counting store over merkle_mem ------------------------------------ */

struct cstore {
	struct merkle_mem *mem;
	long gets, puts;
	long fail_put_at; /* the nth put (1-based) fails with -EIO; 0 never */
};

static int c_get(void *ctx, unsigned level, uint64_t index, uint8_t out[H])
{
	struct cstore *c = ctx;
	c->gets++;
	return merkle_mem_ops.get(c->mem, level, index, out);
}

static int c_put(void *ctx, unsigned level, uint64_t index, const uint8_t h[H])
{
	struct cstore *c = ctx;
	c->puts++;
	if (c->fail_put_at && c->puts == c->fail_put_at)
		return -EIO;
	return merkle_mem_ops.put(c->mem, level, index, h);
}

static const struct merkle_store_ops cstore_ops = { c_get, c_put };

/* Leaf i's data: distinct, of varying length. */
static void leaf_of(uint64_t i, uint8_t out[H])
{
	char data[64];
	int n = snprintf(data, sizeof(data), "entry %" PRIu64 " %.*s", i, (int)(i % 23),
			 "abcdefghijklmnopqrstuvwxyz");
	merkle_leaf_hash(data, (size_t)n, out);
}

/* A tree of n leaves built by merkle_append, and the same leaves in d. */
static void build(struct cstore *c, struct merkle_tree *t, hash_t *d, uint64_t n)
{
	memset(c, 0, sizeof(*c));
	c->mem = merkle_mem_new();
	CHECK_INT(merkle_tree_init(t, &cstore_ops, c, 0), 0);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t idx = 99;
		leaf_of(i, d[i]);
		CHECK_INT(merkle_append(t, d[i], &idx), 0);
		CHECK_INT(idx, i);
	}
	CHECK_INT(t->size, n);
}

static int ceil_log2(uint64_t n)
{
	int l = 0;
	while (((uint64_t)1 << l) < n)
		l++;
	return l;
}

/* ---- hashing and the reference vectors ---------------------------------- */

static const char *const ref_leaves[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

/* testonly/constants.go, RootHashes(): sizes 0..8. */
static const char *const ref_roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* testonly/constants.go, NodeHashes(): [level][index], the storage layout. */
static const char *const ref_nodes[4][8] = {
	{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
		"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		"4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
		"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
		"46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
	},
	{
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	},
	{
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	},
	{
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	},
};

/* A reference tree: leaves hashed from ref_leaves, stored in c. */
static void build_ref(struct cstore *c, struct merkle_tree *t, hash_t d[8])
{
	memset(c, 0, sizeof(*c));
	c->mem = merkle_mem_new();
	CHECK_INT(merkle_tree_init(t, &cstore_ops, c, 0), 0);
	for (int i = 0; i < 8; i++) {
		uint8_t data[16];
		size_t n = strlen(ref_leaves[i]) / 2;
		unhex(ref_leaves[i], data, n);
		merkle_leaf_hash(data, n, d[i]);
		CHECK_INT(merkle_append(t, d[i], NULL), 0);
	}
}

TEST(hashes_match_sha256_definitions)
{
	uint8_t h[H], want[H];
	merkle_empty_root(h);
	unhex(ref_roots[0], want, H);
	CHECK(memcmp(h, want, H) == 0);
	/* leaf("") = SHA-256(0x00) */
	merkle_leaf_hash("", 0, h);
	unhex(ref_roots[1], want, H);
	CHECK(memcmp(h, want, H) == 0);
	/* The leaf and node prefixes keep a leaf from posing as a node. */
	{
		uint8_t a[H], b[H], m[65], n1[H], n2[H];
		leaf_of(1, a);
		leaf_of(2, b);
		merkle_node_hash(a, b, n1);
		m[0] = 1;
		memcpy(m + 1, a, H);
		memcpy(m + 33, b, H);
		crypto_hash_sha256(n2, m, 65);
		CHECK(memcmp(n1, n2, H) == 0);
		merkle_leaf_hash(m + 1, 64, n2);
		CHECK(memcmp(n1, n2, H) != 0);
		/* out may alias an input */
		memcpy(n2, a, H);
		merkle_node_hash(n2, b, n2);
		CHECK(memcmp(n1, n2, H) == 0);
	}
}

TEST(rfc6962_reference_roots_and_stored_nodes)
{
	struct cstore c;
	struct merkle_tree t;
	hash_t d[8];
	uint8_t got[H], want[H];

	build_ref(&c, &t, d);
	for (uint64_t m = 0; m <= 8; m++) {
		CHECK_INT(merkle_root(&t, m, got), 0);
		unhex(ref_roots[m], want, H);
		if (memcmp(got, want, H))
			tap_fail(__FILE__, __LINE__, "root of size %" PRIu64 " differs", m);
	}
	/* Exactly the complete subtrees are stored, each as published. */
	for (unsigned level = 0; level < 4; level++)
		for (uint64_t i = 0; i < (8u >> level); i++) {
			CHECK_INT(merkle_mem_ops.get(c.mem, level, i, got), 0);
			unhex(ref_nodes[level][i], want, H);
			if (memcmp(got, want, H))
				tap_fail(__FILE__, __LINE__, "node (%u, %" PRIu64 ")", level, i);
		}
	CHECK_INT(merkle_mem_rows(c.mem), 15);
	CHECK_INT(merkle_mem_ops.get(c.mem, 4, 0, got), -ENOENT);
	merkle_mem_free(c.mem);
}

struct ref_proof {
	uint64_t a, b; /* (index, size) or (first, second) */
	int n;
	const char *h[3];
};

/* proof/verify_test.go, inclusionProofs, leaf numbers made 0-based. */
static const struct ref_proof ref_inclusion[] = {
	{ 0, 8, 3,
	  { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5, 8, 3,
	  { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 3, 1, { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
	{ 1, 5, 3,
	  { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
};

/* proof/verify_test.go, consistencyProofs. */
static const struct ref_proof ref_consistency[] = {
	{ 1, 8, 3,
	  { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 6, 8, 3,
	  { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 5, 2,
	  { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	{ 6, 7, 3,
	  { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
};

TEST(rfc6962_reference_proofs)
{
	struct cstore c;
	struct merkle_tree t;
	hash_t d[8], p[MERKLE_MAX_PROOF], want[3];
	uint8_t r1[H], r2[H];
	size_t n;

	build_ref(&c, &t, d);
	for (size_t v = 0; v < sizeof(ref_inclusion) / sizeof(ref_inclusion[0]); v++) {
		const struct ref_proof *rp = &ref_inclusion[v];
		CHECK_INT(merkle_inclusion_proof(&t, rp->a, rp->b, p, &n), 0);
		CHECK_INT(n, rp->n);
		for (int i = 0; i < rp->n; i++) {
			unhex(rp->h[i], want[i], H);
			CHECK(memcmp(p[i], want[i], H) == 0);
		}
		unhex(ref_roots[rp->b], r1, H);
		CHECK_INT(merkle_verify_inclusion(d[rp->a], rp->a, rp->b,
						  (const hash_t *)want, (size_t)rp->n, r1), 0);
	}
	for (size_t v = 0; v < sizeof(ref_consistency) / sizeof(ref_consistency[0]); v++) {
		const struct ref_proof *rp = &ref_consistency[v];
		CHECK_INT(merkle_consistency_proof(&t, rp->a, rp->b, p, &n), 0);
		CHECK_INT(n, rp->n);
		for (int i = 0; i < rp->n; i++) {
			unhex(rp->h[i], want[i], H);
			CHECK(memcmp(p[i], want[i], H) == 0);
		}
		unhex(ref_roots[rp->a], r1, H);
		unhex(ref_roots[rp->b], r2, H);
		CHECK_INT(merkle_verify_consistency(rp->a, rp->b, r1, r2, (const hash_t *)want,
						    (size_t)rp->n), 0);
	}
	merkle_mem_free(c.mem);
}

/* ---- against the naive implementation, every size up to 64 ------------- */

#define N 64

TEST(roots_of_every_size_match_naive_mth)
{
	static hash_t d[300];
	struct cstore c;
	struct merkle_tree t;
	uint8_t got[H], want[H];

	build(&c, &t, d, 300);
	for (uint64_t m = 0; m <= 300; m++) {
		c.gets = 0;
		CHECK_INT(merkle_root(&t, m, got), 0);
		naive_mth(d, m, want);
		if (memcmp(got, want, H))
			tap_fail(__FILE__, __LINE__, "root of size %" PRIu64, m);
		CHECK_INT(c.gets, __builtin_popcountll(m));
	}
	CHECK_INT(merkle_mem_rows(c.mem), 2 * 300 - __builtin_popcountll(300));
	merkle_mem_free(c.mem);
}

TEST(every_inclusion_proof_up_to_64_matches_naive_and_verifies)
{
	static hash_t d[N];
	struct cstore c;
	struct merkle_tree t;
	hash_t p[MERKLE_MAX_PROOF], q[MERKLE_MAX_PROOF];
	uint8_t root[H];
	size_t n, nq;
	long proofs = 0;

	build(&c, &t, d, N);
	for (uint64_t size = 1; size <= N; size++) {
		naive_mth(d, size, root);
		for (uint64_t i = 0; i < size; i++) {
			c.gets = 0;
			CHECK_INT(merkle_inclusion_proof(&t, i, size, p, &n), 0);
			CHECK(c.gets <= 2 * ceil_log2(size));
			nq = 0;
			naive_path(i, d, size, q, &nq);
			CHECK_INT(n, nq);
			CHECK(n == 0 || memcmp(p, q, n * H) == 0);
			CHECK_INT(merkle_verify_inclusion(d[i], i, size, (const hash_t *)p, n,
							  root), 0);
			proofs++;
		}
	}
	CHECK_INT(proofs, N * (N + 1) / 2);
	merkle_mem_free(c.mem);
}

TEST(every_consistency_proof_up_to_64_matches_naive_and_verifies)
{
	static hash_t d[N];
	struct cstore c;
	struct merkle_tree t;
	hash_t p[MERKLE_MAX_PROOF], q[MERKLE_MAX_PROOF];
	uint8_t r1[H], r2[H];
	size_t n, nq;

	build(&c, &t, d, N);
	for (uint64_t sn = 1; sn <= N; sn++) {
		naive_mth(d, sn, r2);
		for (uint64_t m = 0; m <= sn; m++) {
			naive_mth(d, m, r1);
			c.gets = 0;
			CHECK_INT(merkle_consistency_proof(&t, m, sn, p, &n), 0);
			CHECK(c.gets <= 2 * ceil_log2(sn));
			nq = 0;
			if (m > 0 && m < sn)
				naive_subproof(m, d, sn, true, q, &nq);
			CHECK_INT(n, nq);
			CHECK(n == 0 || memcmp(p, q, n * H) == 0);
			CHECK_INT(merkle_verify_consistency(m, sn, r1, r2, (const hash_t *)p, n), 0);
		}
	}
	merkle_mem_free(c.mem);
}

/*
 * Flipping bits. For sizes up to FLIP_ALL every bit of every hash is
 * flipped in turn (all 256 of each); above, every fourth byte has one bit
 * flipped, the byte and the bit moving with the size, so that across sizes
 * every position is hit. That keeps the run to seconds on a loaded machine.
 */
#define FLIP_ALL 16

static bool flip_this(uint64_t size, size_t byte, unsigned bit)
{
	return size <= FLIP_ALL || ((byte + size) % 4 == 0 && bit == (byte * 3 + size) % 8);
}

TEST(inclusion_proofs_with_any_bit_flipped_are_rejected)
{
	static hash_t d[N];
	struct cstore c;
	struct merkle_tree t;
	hash_t p[MERKLE_MAX_PROOF];
	uint8_t root[H], leaf[H];
	size_t n;
	long tried = 0;

	build(&c, &t, d, N);
	for (uint64_t size = 1; size <= N; size++) {
		naive_mth(d, size, root);
		for (uint64_t i = 0; i < size; i++) {
			CHECK_INT(merkle_inclusion_proof(&t, i, size, p, &n), 0);
			for (size_t k = 0; k < n * H * 8; k++) {
				if (!flip_this(size, k / 8 % H, k % 8))
					continue;
				p[k / 256][k / 8 % H] ^= (uint8_t)(1u << (k % 8));
				if (merkle_verify_inclusion(d[i], i, size, (const hash_t *)p, n,
							    root) != -EBADMSG)
					tap_fail(__FILE__, __LINE__, "(%" PRIu64 ", %" PRIu64
						 ") accepted with bit %zu flipped", i, size, k);
				p[k / 256][k / 8 % H] ^= (uint8_t)(1u << (k % 8));
				tried++;
			}
			/* the leaf and the root */
			for (size_t k = 0; k < H * 8; k++) {
				if (!flip_this(size, k / 8, k % 8))
					continue;
				memcpy(leaf, d[i], H);
				leaf[k / 8] ^= (uint8_t)(1u << (k % 8));
				CHECK_INT(merkle_verify_inclusion(leaf, i, size, (const hash_t *)p, n,
								  root), -EBADMSG);
				root[k / 8] ^= (uint8_t)(1u << (k % 8));
				CHECK_INT(merkle_verify_inclusion(d[i], i, size, (const hash_t *)p, n,
								  root), -EBADMSG);
				root[k / 8] ^= (uint8_t)(1u << (k % 8));
			}
			CHECK_INT(merkle_verify_inclusion(d[i], i, size, (const hash_t *)p, n, root),
				  0);
		}
	}
	CHECK(tried > 50000);
	merkle_mem_free(c.mem);
}

TEST(consistency_proofs_with_any_bit_flipped_are_rejected)
{
	static hash_t d[N];
	struct cstore c;
	struct merkle_tree t;
	hash_t p[MERKLE_MAX_PROOF];
	uint8_t r1[H], r2[H];
	size_t n;
	long tried = 0;

	build(&c, &t, d, N);
	for (uint64_t sn = 1; sn <= N; sn++) {
		naive_mth(d, sn, r2);
		for (uint64_t m = 0; m <= sn; m++) {
			naive_mth(d, m, r1);
			CHECK_INT(merkle_consistency_proof(&t, m, sn, p, &n), 0);
			for (size_t k = 0; k < n * H * 8; k++) {
				if (!flip_this(sn, k / 8 % H, k % 8))
					continue;
				p[k / 256][k / 8 % H] ^= (uint8_t)(1u << (k % 8));
				if (merkle_verify_consistency(m, sn, r1, r2, (const hash_t *)p, n) !=
				    -EBADMSG)
					tap_fail(__FILE__, __LINE__, "(%" PRIu64 ", %" PRIu64
						 ") accepted with bit %zu flipped", m, sn, k);
				p[k / 256][k / 8 % H] ^= (uint8_t)(1u << (k % 8));
				tried++;
			}
			for (size_t k = 0; k < H * 8; k++) {
				if (!flip_this(sn, k / 8, k % 8))
					continue;
				r1[k / 8] ^= (uint8_t)(1u << (k % 8));
				CHECK_INT(merkle_verify_consistency(m, sn, r1, r2, (const hash_t *)p, n),
					  -EBADMSG);
				r1[k / 8] ^= (uint8_t)(1u << (k % 8));
				r2[k / 8] ^= (uint8_t)(1u << (k % 8));
				/* (the empty tree is a prefix of any tree, whatever its root) */
				CHECK_INT(merkle_verify_consistency(m, sn, r1, r2, (const hash_t *)p, n),
					  m == 0 ? 0 : -EBADMSG);
				r2[k / 8] ^= (uint8_t)(1u << (k % 8));
			}
			CHECK_INT(merkle_verify_consistency(m, sn, r1, r2, (const hash_t *)p, n), 0);
		}
	}
	CHECK(tried > 50000);
	merkle_mem_free(c.mem);
}

/*
 * A proof names its index and size; claimed for another index or size (with
 * that size's true root) it must fail. And extra, missing, reordered or
 * duplicated hashes fail too (the probes of proof/verify_test.go).
 */
TEST(inclusion_proofs_for_the_wrong_index_or_size_are_rejected)
{
	static hash_t d[N], roots[N + 1];
	struct cstore c;
	struct merkle_tree t;
	hash_t p[MERKLE_MAX_PROOF + 1];
	size_t n;

	build(&c, &t, d, N);
	for (uint64_t s = 0; s <= N; s++)
		naive_mth(d, s, roots[s]);
	for (uint64_t size = 1; size <= N; size++)
		for (uint64_t i = 0; i < size; i++) {
			CHECK_INT(merkle_inclusion_proof(&t, i, size, p, &n), 0);
			for (uint64_t j = 0; j < size; j++) {
				if (j == i)
					continue;
				CHECK_INT(merkle_verify_inclusion(d[i], j, size, (const hash_t *)p,
								  n, roots[size]), -EBADMSG);
				/* leaf j's own hash at i's position */
				CHECK_INT(merkle_verify_inclusion(d[j], i, size, (const hash_t *)p,
								  n, roots[size]), -EBADMSG);
			}
			for (uint64_t s2 = i + 1; s2 <= N; s2++)
				if (s2 != size)
					CHECK_INT(merkle_verify_inclusion(d[i], i, s2, (const hash_t *)p,
									  n, roots[s2]), -EBADMSG);
			/* index >= size is not a question */
			CHECK_INT(merkle_verify_inclusion(d[i], size, size, (const hash_t *)p, n,
							  roots[size]), -EINVAL);
			/* one hash too many, too few; two swapped; one repeated */
			memcpy(p[n], roots[size], H);
			CHECK_INT(merkle_verify_inclusion(d[i], i, size, (const hash_t *)p, n + 1,
							  roots[size]), -EBADMSG);
			if (n > 0)
				CHECK_INT(merkle_verify_inclusion(d[i], i, size, (const hash_t *)p,
								  n - 1, roots[size]), -EBADMSG);
			if (n > 1) {
				hash_t tmp;
				memcpy(tmp, p[0], H);
				memcpy(p[0], p[1], H);
				memcpy(p[1], tmp, H);
				CHECK_INT(merkle_verify_inclusion(d[i], i, size, (const hash_t *)p,
								  n, roots[size]), -EBADMSG);
				memcpy(p[1], p[0], H);
				CHECK_INT(merkle_verify_inclusion(d[i], i, size, (const hash_t *)p,
								  n, roots[size]), -EBADMSG);
			}
		}
	merkle_mem_free(c.mem);
}

TEST(consistency_proofs_for_the_wrong_sizes_are_rejected)
{
	static hash_t d[N], roots[N + 1];
	struct cstore c;
	struct merkle_tree t;
	hash_t p[MERKLE_MAX_PROOF + 1];
	size_t n;

	build(&c, &t, d, N);
	for (uint64_t s = 0; s <= N; s++)
		naive_mth(d, s, roots[s]);
	for (uint64_t sn = 1; sn <= N; sn++)
		for (uint64_t m = 1; m < sn; m++) {
			CHECK_INT(merkle_consistency_proof(&t, m, sn, p, &n), 0);
			CHECK(n > 0);
			for (uint64_t m2 = 0; m2 <= sn; m2++)
				if (m2 != m)
					CHECK_INT(merkle_verify_consistency(m2, sn, roots[m2],
									    roots[sn],
									    (const hash_t *)p, n),
						  -EBADMSG);
			for (uint64_t n2 = m; n2 <= N; n2++)
				if (n2 != sn)
					CHECK_INT(merkle_verify_consistency(m, n2, roots[m],
									    roots[n2],
									    (const hash_t *)p, n),
						  -EBADMSG);
			/* swapped roots, empty proof, one too many, one too few */
			CHECK_INT(merkle_verify_consistency(m, sn, roots[sn], roots[m],
							    (const hash_t *)p, n), -EBADMSG);
			CHECK_INT(merkle_verify_consistency(m, sn, roots[m], roots[sn], NULL, 0),
				  -EBADMSG);
			memcpy(p[n], roots[m], H);
			CHECK_INT(merkle_verify_consistency(m, sn, roots[m], roots[sn],
							    (const hash_t *)p, n + 1), -EBADMSG);
			CHECK_INT(merkle_verify_consistency(m, sn, roots[m], roots[sn],
							    (const hash_t *)p, n - 1), -EBADMSG);
			/* time does not run backwards */
			CHECK_INT(merkle_verify_consistency(sn, m, roots[sn], roots[m],
							    (const hash_t *)p, n), -EINVAL);
		}
	merkle_mem_free(c.mem);
}

TEST(trivial_consistency_cases)
{
	uint8_t e[H], a[H], b[H];
	hash_t one[1];

	merkle_empty_root(e);
	leaf_of(1, a);
	leaf_of(2, b);
	memcpy(one[0], a, H);
	/* m == n: empty proof, equal roots */
	CHECK_INT(merkle_verify_consistency(5, 5, a, a, NULL, 0), 0);
	CHECK_INT(merkle_verify_consistency(5, 5, a, b, NULL, 0), -EBADMSG);
	CHECK_INT(merkle_verify_consistency(5, 5, a, a, (const hash_t *)one, 1), -EBADMSG);
	CHECK_INT(merkle_verify_consistency(0, 0, e, e, NULL, 0), 0);
	CHECK_INT(merkle_verify_consistency(0, 0, a, a, NULL, 0), -EBADMSG); /* not size 0's root */
	CHECK_INT(merkle_verify_consistency(0, 0, e, a, NULL, 0), -EBADMSG);
	/* m == 0: the empty tree is a prefix of every tree */
	CHECK_INT(merkle_verify_consistency(0, 7, e, b, NULL, 0), 0);
	CHECK_INT(merkle_verify_consistency(0, 7, a, b, NULL, 0), -EBADMSG);
	CHECK_INT(merkle_verify_consistency(0, 7, e, b, (const hash_t *)one, 1), -EBADMSG);
	/* limits */
	CHECK_INT(merkle_verify_consistency(1, 2, a, b, (const hash_t *)one,
					    MERKLE_MAX_PROOF + 1), -EINVAL);
	CHECK_INT(merkle_verify_inclusion(a, 0, 2, (const hash_t *)one, MERKLE_MAX_PROOF + 1,
					  b), -EINVAL);
	CHECK_INT(merkle_verify_inclusion(a, 0, 0, NULL, 0, b), -EINVAL);
	CHECK_INT(merkle_verify_inclusion(a, 0, 1, NULL, 0, a), 0);
	CHECK_INT(merkle_verify_inclusion(a, 0, 1, NULL, 0, b), -EBADMSG);
	CHECK_INT(merkle_verify_inclusion(a, 0, 2, NULL, 1, b), -EINVAL);
}

/* ---- storage behaviour ----------------------------------------------------- */

TEST(append_reads_and_writes_what_the_header_says)
{
	struct cstore c;
	struct merkle_tree t;
	uint8_t h[H];

	memset(&c, 0, sizeof(c));
	c.mem = merkle_mem_new();
	CHECK_INT(merkle_tree_init(&t, &cstore_ops, &c, 0), 0);
	for (uint64_t i = 0; i < 1000; i++) {
		int ones = __builtin_ctzll(~i);
		c.gets = c.puts = 0;
		leaf_of(i, h);
		CHECK_INT(merkle_append(&t, h, NULL), 0);
		CHECK_INT(c.gets, ones);
		CHECK_INT(c.puts, 1 + ones);
	}
	merkle_mem_free(c.mem);
}

TEST(batch_append_equals_single_appends)
{
	static hash_t d[700];
	struct cstore one, many;
	struct merkle_tree t1, t2;
	uint8_t a[H], b[H];
	uint64_t first = 0;
	unsigned seed = 7;

	build(&one, &t1, d, 700);
	memset(&many, 0, sizeof(many));
	many.mem = merkle_mem_new();
	CHECK_INT(merkle_tree_init(&t2, &cstore_ops, &many, 0), 0);
	CHECK_INT(merkle_append_batch(&t2, (const hash_t *)d, 0, &first), 0);
	CHECK_INT(first, 0);
	for (uint64_t at = 0; at < 700;) {
		uint64_t k = 1 + (seed = seed * 1103515245 + 12345) % 97;
		long gets0 = many.gets;
		if (k > 700 - at)
			k = 700 - at;
		CHECK_INT(merkle_append_batch(&t2, (const hash_t *)d + at, (size_t)k, &first), 0);
		CHECK_INT(first, at);
		CHECK(many.gets - gets0 <= 63);
		at += k;
	}
	CHECK_INT(t2.size, 700);
	CHECK_INT(merkle_mem_rows(many.mem), merkle_mem_rows(one.mem));
	CHECK_INT(many.puts, one.puts);
	for (unsigned level = 0; level < 10; level++)
		for (uint64_t i = 0; i < (700u >> level); i++) {
			CHECK_INT(merkle_mem_ops.get(one.mem, level, i, a), 0);
			CHECK_INT(merkle_mem_ops.get(many.mem, level, i, b), 0);
			CHECK(memcmp(a, b, H) == 0);
		}
	/* A batch onto an existing tree reads the old frontier once. */
	{
		struct cstore c3;
		struct merkle_tree t3;
		build(&c3, &t3, d, 255);
		c3.gets = 0;
		CHECK_INT(merkle_append_batch(&t3, (const hash_t *)d + 255, 445, NULL), 0);
		CHECK_INT(c3.gets, 8); /* the 8 subtrees of 255 = 0b11111111 */
		CHECK_INT(merkle_root(&t3, 700, a), 0);
		CHECK_INT(merkle_root(&t1, 700, b), 0);
		CHECK(memcmp(a, b, H) == 0);
		merkle_mem_free(c3.mem);
	}
	merkle_mem_free(one.mem);
	merkle_mem_free(many.mem);
}

TEST(streaming_root_matches_stored_roots)
{
	static hash_t d[1100];
	struct cstore c;
	struct merkle_tree t;
	struct merkle_stream s;
	uint8_t a[H], b[H];

	build(&c, &t, d, 1100);
	merkle_stream_init(&s);
	merkle_stream_root(&s, a);
	merkle_empty_root(b);
	CHECK(memcmp(a, b, H) == 0);
	for (uint64_t i = 0; i < 1100; i++) {
		CHECK_INT(merkle_stream_push(&s, d[i]), 0);
		CHECK_INT(s.size, i + 1);
		merkle_stream_root(&s, a);
		CHECK_INT(merkle_root(&t, i + 1, b), 0);
		if (memcmp(a, b, H))
			tap_fail(__FILE__, __LINE__, "stream root at %" PRIu64, i + 1);
	}
	/* push_data hashes as a leaf */
	{
		struct merkle_stream s2;
		char data[64];
		merkle_stream_init(&s2);
		for (uint64_t i = 0; i < 5; i++) {
			int n = snprintf(data, sizeof(data), "entry %" PRIu64 " %.*s", i,
					 (int)(i % 23), "abcdefghijklmnopqrstuvwxyz");
			CHECK_INT(merkle_stream_push_data(&s2, data, (size_t)n), 0);
		}
		merkle_stream_root(&s2, a);
		naive_mth(d, 5, b);
		CHECK(memcmp(a, b, H) == 0);
		s2.size = UINT64_MAX;
		CHECK_INT(merkle_stream_push(&s2, a), -EOVERFLOW);
		CHECK_INT(merkle_stream_push_data(&s2, "x", 1), -EOVERFLOW);
	}
	merkle_mem_free(c.mem);
}

TEST(bad_arguments_are_einval_not_crashes)
{
	static hash_t d[10];
	struct cstore c;
	struct merkle_tree t;
	hash_t p[MERKLE_MAX_PROOF];
	uint8_t h[H];
	size_t n;

	build(&c, &t, d, 10);
	CHECK_INT(merkle_root(&t, 11, h), -EINVAL);
	CHECK_INT(merkle_inclusion_proof(&t, 10, 10, p, &n), -EINVAL);
	CHECK_INT(merkle_inclusion_proof(&t, 0, 11, p, &n), -EINVAL);
	CHECK_INT(merkle_inclusion_proof(&t, 0, 0, p, &n), -EINVAL);
	CHECK_INT(merkle_inclusion_proof(&t, UINT64_MAX, UINT64_MAX, p, &n), -EINVAL);
	CHECK_INT(merkle_consistency_proof(&t, 5, 4, p, &n), -EINVAL);
	CHECK_INT(merkle_consistency_proof(&t, 5, 11, p, &n), -EINVAL);
	CHECK_INT(merkle_append_batch(&t, NULL, 3, NULL), -EINVAL);
	CHECK_INT(merkle_tree_init(&t, &cstore_ops, &c, MERKLE_MAX_SIZE + 1), -EINVAL);
	CHECK_INT(merkle_tree_init(&t, NULL, &c, 0), -EINVAL);
	merkle_mem_free(c.mem);
}

TEST(store_errors_are_passed_on_and_size_is_kept)
{
	static hash_t d[40];
	struct cstore c;
	struct merkle_tree t;
	uint8_t h[H];

	build(&c, &t, d, 31);
	c.fail_put_at = c.puts + 3; /* leaf 31 completes 5 subtrees: fail midway */
	leaf_of(31, h);
	CHECK_INT(merkle_append(&t, h, NULL), -EIO);
	CHECK_INT(t.size, 31);
	merkle_mem_free(c.mem);

	/* A node the size promises but the store lacks: -EIO, not -ENOENT. */
	memset(&c, 0, sizeof(c));
	c.mem = merkle_mem_new();
	CHECK_INT(merkle_tree_init(&t, &cstore_ops, &c, 5), 0);
	CHECK_INT(merkle_root(&t, 5, h), -EIO);
	CHECK_INT(merkle_append(&t, d[0], NULL), -EINVAL); /* mem store: not the next row */
	merkle_mem_free(c.mem);
}

/*
 * Huge trees: every leaf the same, so node (l, i) is the same for all i and
 * a store of 64 hashes is a consistent tree of any size. Proofs near 2^63
 * leaves still cost O(log n) and verify.
 */
static hash_t same_level[64];

static int same_get(void *ctx, unsigned level, uint64_t index, uint8_t out[H])
{
	long *gets = ctx;
	(*gets)++;
	(void)index;
	memcpy(out, same_level[level], H);
	return 0;
}

static int same_put(void *ctx, unsigned level, uint64_t index, const uint8_t h[H])
{
	(void)ctx;
	(void)index;
	return memcmp(h, same_level[level], H) == 0 ? 0 : -EIO;
}

static const struct merkle_store_ops same_ops = { same_get, same_put };

TEST(huge_trees_cost_log_n)
{
	struct merkle_tree t;
	hash_t p[MERKLE_MAX_PROOF];
	uint8_t r1[H], r2[H];
	size_t n;
	long gets = 0;
	const uint64_t big = MERKLE_MAX_SIZE;
	const uint64_t idx[] = { 0, 1, 12345, big / 2, big / 2 + 1, big - 2, big - 1 };
	const uint64_t firsts[] = { 1, 2, 3, 1000, (uint64_t)1 << 40, ((uint64_t)1 << 40) + 3,
				    big / 2, big - 1 };

	merkle_leaf_hash("same", 4, same_level[0]);
	for (int l = 1; l < 64; l++)
		merkle_node_hash(same_level[l - 1], same_level[l - 1], same_level[l]);
	CHECK_INT(merkle_tree_init(&t, &same_ops, &gets, big), 0);
	CHECK_INT(merkle_root(&t, big - 1, r1), 0);
	gets = 0;
	CHECK_INT(merkle_root(&t, big, r2), 0);
	CHECK_INT(gets, 63);
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		gets = 0;
		CHECK_INT(merkle_inclusion_proof(&t, idx[i], big, p, &n), 0);
		CHECK(n >= 62 && n <= 63); /* the lone last leaf is nearer the root */
		CHECK(gets <= 2 * 63);
		CHECK_INT(merkle_verify_inclusion(same_level[0], idx[i], big, (const hash_t *)p, n,
						  r2), 0);
		/* claimed for size big - 1, against that size's root */
		CHECK_INT(merkle_verify_inclusion(same_level[0], idx[i], big - 1,
						  (const hash_t *)p, n, r1),
			  idx[i] < big - 1 ? -EBADMSG : -EINVAL);
	}
	for (size_t i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
		gets = 0;
		CHECK_INT(merkle_root(&t, firsts[i], r1), 0);
		CHECK_INT(merkle_consistency_proof(&t, firsts[i], big, p, &n), 0);
		CHECK(n <= MERKLE_MAX_PROOF);
		CHECK(gets <= 2 * 64 + 64);
		CHECK_INT(merkle_verify_consistency(firsts[i], big, r1, r2, (const hash_t *)p, n),
			  0);
	}
	/* full */
	CHECK_INT(merkle_append(&t, same_level[0], NULL), -EOVERFLOW);
	t.size = big - 3;
	CHECK_INT(merkle_append_batch(&t, (const hash_t *)same_level, 4, NULL), -EOVERFLOW);
	CHECK_INT(t.size, big - 3);
	/* verification alone takes any uint64 size */
	CHECK_INT(merkle_verify_inclusion(same_level[0], UINT64_MAX - 1, UINT64_MAX,
					  (const hash_t *)p, MERKLE_MAX_PROOF, r2), -EBADMSG);
	CHECK_INT(merkle_verify_consistency(UINT64_MAX - 1, UINT64_MAX, r1, r2,
					    (const hash_t *)p, MERKLE_MAX_PROOF), -EBADMSG);
}
