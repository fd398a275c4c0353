/*
 * Fuzz target: RFC 9162 proofs (audit/merkle.c). Arbitrary bytes become
 * indices, sizes and proofs, verified against a small in-memory tree.
 * Nothing may crash, and a proof that is accepted against the tree's own
 * roots must be the genuine one, as an independent naive implementation of
 * the RFC's recursions (below) computes it.
 *
 * Input: [0] tree size - 1 (mod 64); [1] flags; [2..9] a; [10..17] b;
 * [18] leaf; [19] proof length change; then proof bytes / xor mask.
 * flags: 1 consistency (else inclusion); 2 proof = genuine xor mask (else
 * raw); 4 a, b raw 64-bit (else small); 8 corrupt the first root; 16 the
 * second.
 */
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "audit/merkle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define H MERKLE_HASH_LEN
#define NMAX 64
typedef uint8_t hash_t[H];

static hash_t leaves[NMAX], roots[NMAX + 1];
static struct merkle_mem *mem;
static struct merkle_tree tree;

/* ---- naive RFC 9162 2.1.1 / 2.1.3.1 / 2.1.4.1 ---------------------------- */

static uint64_t k_of(uint64_t n)
{
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

static void mth(const hash_t *d, uint64_t n, uint8_t out[H])
{
	uint8_t m[1 + 2 * H];
	if (n == 0) {
		crypto_hash_sha256(out, (const uint8_t *)"", 0);
		return;
	}
	if (n == 1) {
		memcpy(out, d[0], H);
		return;
	}
	uint64_t k = k_of(n);
	m[0] = 1;
	mth(d, k, m + 1);
	mth(d + k, n - k, m + 1 + H);
	crypto_hash_sha256(out, m, sizeof(m));
}

static void path(uint64_t m, const hash_t *d, uint64_t n, hash_t *p, size_t *np)
{
	if (n <= 1)
		return;
	uint64_t k = k_of(n);
	if (m < k) {
		path(m, d, k, p, np);
		mth(d + k, n - k, p[(*np)++]);
	} else {
		path(m - k, d + k, n - k, p, np);
		mth(d, k, p[(*np)++]);
	}
}

static void subproof(uint64_t m, const hash_t *d, uint64_t n, bool b, hash_t *p, size_t *np)
{
	if (m == n) {
		if (!b)
			mth(d, n, p[(*np)++]);
		return;
	}
	uint64_t k = k_of(n);
	if (m <= k) {
		subproof(m, d, k, b, p, np);
		mth(d + k, n - k, p[(*np)++]);
	} else {
		subproof(m - k, d + k, n - k, false, p, np);
		mth(d, k, p[(*np)++]);
	}
}

static void init(void)
{
	if (mem)
		return;
	mem = merkle_mem_new();
	if (merkle_tree_init(&tree, &merkle_mem_ops, mem, 0))
		__builtin_trap();
	for (uint64_t i = 0; i < NMAX; i++) {
		uint8_t d[8];
		memcpy(d, &i, 8);
		merkle_leaf_hash(d, 8, leaves[i]);
		if (merkle_append(&tree, leaves[i], NULL))
			__builtin_trap();
	}
	for (uint64_t n = 0; n <= NMAX; n++) {
		uint8_t r[H];
		mth(leaves, n, roots[n]);
		if (merkle_root(&tree, n, r) || memcmp(r, roots[n], H))
			__builtin_trap();
	}
}

static uint64_t u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hash_t genuine[MERKLE_MAX_PROOF + 1], proof[MERKLE_MAX_PROOF + 1];
	uint8_t r1[H], r2[H], leaf[H];
	size_t glen = 0, len, rest_len;
	const uint8_t *rest;
	uint64_t n, a, b;
	unsigned flags;
	int rc;

	init();
	if (size < 20)
		return 0;
	n = 1 + data[0] % NMAX;
	flags = data[1];
	a = u64(data + 2);
	b = u64(data + 10);
	if (!(flags & 4)) {
		a %= n + 2;
		b %= n + 2;
	}
	rest = data + 20;
	rest_len = size - 20;

	/* The generators on the n-leaf prefix: out of range is -EINVAL. */
	{
		struct merkle_tree t = tree;
		t.size = n;
		if (flags & 1) {
			rc = merkle_consistency_proof(&t, a, b, genuine, &glen);
			if ((rc == 0) != (a <= b && b <= n))
				__builtin_trap();
		} else {
			rc = merkle_inclusion_proof(&t, a, b, genuine, &glen);
			if ((rc == 0) != (a < b && b <= n))
				__builtin_trap();
		}
		if (rc == 0) { /* and they are the naive ones */
			hash_t q[MERKLE_MAX_PROOF];
			size_t nq = 0;
			if (flags & 1) {
				if (a > 0 && a < b)
					subproof(a, leaves, b, true, q, &nq);
			} else {
				path(a, leaves, b, q, &nq);
			}
			if (nq != glen || (nq && memcmp(q, genuine, nq * H)))
				__builtin_trap();
		} else {
			glen = 0;
		}
	}

	/* The proof to check: the genuine one (if any) xor the input, or raw. */
	len = glen + (size_t)(int8_t)data[19];
	if ((int8_t)data[19] < 0 && (size_t)(-(int8_t)data[19]) > glen)
		len = 0;
	if (len > MERKLE_MAX_PROOF + 1)
		len = MERKLE_MAX_PROOF + 1;
	memset(proof, 0, sizeof(proof));
	if (flags & 2)
		memcpy(proof, genuine, glen * H);
	for (size_t i = 0; i < len * H && i < rest_len; i++)
		proof[i / H][i % H] ^= rest[i];

	if (flags & 1) {
		/* consistency (a, b): the roots of those sizes, maybe corrupted */
		uint64_t m = a, sn = b;
		bool real = m <= sn && sn <= NMAX;
		if (real) {
			memcpy(r1, roots[m], H);
			memcpy(r2, roots[sn], H);
		} else {
			memset(r1, 0, H);
			memset(r2, 0, H);
		}
		if ((flags & 8) && rest_len > 0)
			r1[rest[rest_len - 1] % H] ^= (uint8_t)(1 + rest[0]);
		if ((flags & 16) && rest_len > 1)
			r2[rest[rest_len - 2] % H] ^= (uint8_t)(1 + rest[1]);
		rc = merkle_verify_consistency(m, sn, r1, r2, (const hash_t *)proof, len);
		if (rc != 0 && rc != -EINVAL && rc != -EBADMSG)
			__builtin_trap();
		if (rc == 0 && m == 0 && memcmp(r1, roots[0], H))
			__builtin_trap(); /* only the empty root is of size 0 */
		if (rc == 0 && m == sn && (len != 0 || memcmp(r1, r2, H)))
			__builtin_trap(); /* equal sizes: nothing to prove but r1 == r2 */
		if (rc == 0 && real && m < sn) {
			/* accepted: the first root must be the tree's, and (unless the
			 * first tree is empty, which any tree extends) the second
			 * too, with exactly the genuine proof */
			hash_t q[MERKLE_MAX_PROOF];
			size_t nq = 0;
			if (memcmp(r1, roots[m], H))
				__builtin_trap();
			if (m > 0 && memcmp(r2, roots[sn], H))
				__builtin_trap();
			if (m > 0 && m < sn)
				subproof(m, leaves, sn, true, q, &nq);
			if (len != nq || (nq && memcmp(proof, q, nq * H)))
				__builtin_trap();
		}
		if (rc == 0 && m > sn)
			__builtin_trap();
	} else {
		/* inclusion of leaf data[18] at index a in the tree of size b */
		uint64_t idx = a, sz = b;
		bool real = sz <= NMAX;
		memcpy(leaf, leaves[data[18] % NMAX], H);
		if (real)
			memcpy(r1, roots[sz], H);
		else
			memset(r1, 0, H);
		if ((flags & 8) && rest_len > 0)
			leaf[rest[rest_len - 1] % H] ^= (uint8_t)(1 + rest[0]);
		if ((flags & 16) && rest_len > 1)
			r1[rest[rest_len - 2] % H] ^= (uint8_t)(1 + rest[1]);
		rc = merkle_verify_inclusion(leaf, idx, sz, (const hash_t *)proof, len, r1);
		if (rc != 0 && rc != -EINVAL && rc != -EBADMSG)
			__builtin_trap();
		if (rc == 0 && idx >= sz)
			__builtin_trap();
		if (rc == 0 && real && !memcmp(r1, roots[sz], H)) {
			/* accepted against the tree's root: the leaf is leaf idx and
			 * the proof is the genuine one */
			hash_t q[MERKLE_MAX_PROOF];
			size_t nq = 0;
			if (memcmp(leaf, leaves[idx], H))
				__builtin_trap();
			path(idx, leaves, sz, q, &nq);
			if (len != nq || (nq && memcmp(proof, q, nq * H)))
				__builtin_trap();
		}
	}
	return 0;
}
