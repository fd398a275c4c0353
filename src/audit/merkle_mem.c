/*
 * The in-memory node store of merkle.h: the (level, index) -> hash table as
 * one growable array per level. For tests, benchmarks and offline tools;
 * the server keeps its nodes in the store (one table, see merkle.h).
 */
#include "audit/merkle.h"
#include "util/xalloc.h"

struct level_arr {
	uint8_t (*h)[MERKLE_HASH_LEN];
	uint64_t n, cap;
};

struct merkle_mem {
	struct level_arr lv[64];
};

static int mem_get(void *ctx, unsigned level, uint64_t index, uint8_t out[MERKLE_HASH_LEN])
{
	struct merkle_mem *m = ctx;

	if (level >= 64 || index >= m->lv[level].n)
		return -ENOENT;
	memcpy(out, m->lv[level].h[index], MERKLE_HASH_LEN);
	return 0;
}

static int mem_put(void *ctx, unsigned level, uint64_t index,
		   const uint8_t hash[MERKLE_HASH_LEN])
{
	struct merkle_mem *m = ctx;
	struct level_arr *a;

	if (level >= 64)
		return -EINVAL;
	a = &m->lv[level];
	if (index != a->n)
		return -EINVAL;
	if (a->n == a->cap) {
		uint64_t ncap = a->cap ? a->cap * 2 : 64;
		if (ncap > SIZE_MAX / MERKLE_HASH_LEN)
			return -ENOMEM;
		a->h = xrealloc(a->h, (size_t)ncap * MERKLE_HASH_LEN);
		a->cap = ncap;
	}
	memcpy(a->h[a->n++], hash, MERKLE_HASH_LEN);
	return 0;
}

const struct merkle_store_ops merkle_mem_ops = { mem_get, mem_put };

struct merkle_mem *merkle_mem_new(void)
{
	return XNEW(struct merkle_mem, 1);
}

void merkle_mem_free(struct merkle_mem *m)
{
	if (!m)
		return;
	for (int i = 0; i < 64; i++)
		free(m->lv[i].h);
	free(m);
}

uint64_t merkle_mem_rows(const struct merkle_mem *m)
{
	uint64_t n = 0;
	for (int i = 0; i < 64; i++)
		n += m->lv[i].n;
	return n;
}
