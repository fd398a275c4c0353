/*
 * The redactor's matcher and streams (see redact.h).
 *
 * Matching is Aho-Corasick (Aho and Corasick, "Efficient string matching",
 * CACM 18(6), 1975) over every form of every value: a trie with failure
 * links, where each state also knows its depth and the length of the
 * longest form that ends there. The root and the states one byte deep have
 * full transition rows (over byte classes); deeper states keep a short
 * sorted edge list and fall back along failure links, so memory stays
 * proportional to the forms' total length.
 *
 * Most log bytes do not start any form, and running the automaton on each
 * of them would cost a few memory loads per byte. So the scan has two
 * modes. While the automaton is in its root, a filter (after Wu and
 * Manber's sampling of q-grams) looks at four bytes at every third
 * position: a bit, in a table hashed from the four bytes at offsets 0, 1
 * and 2 of every form, says whether a form may start at one of the three
 * positions before it. Forms are at least six bytes, so any occurrence
 * puts one of those three 4-byte windows on a checked position. Only where
 * the bit is set does the automaton run, from the root two bytes back; it
 * returns to filtering once its state is shallower than four bytes (from
 * the start of what the state still covers). Restarting the automaton at a
 * position p finds every match that starts at p or later, and the filter
 * only skips positions where no match starts, so no match is missed and
 * the scan stays linear.
 *
 * Output: each match [a, b) is merged into a list of pending masked
 * intervals (overlapping or touching ones merge). Bytes before
 * pos - depth(state) can no longer be part of a future match; they are
 * written out, a maximal masked run as one REDACT_MASK. The rest (at most
 * the longest form minus one byte) is copied into the stream's hold buffer
 * until the next write or flush. The output depends only on the bytes, not
 * on how they were split into writes (tests and the fuzz target check it).
 */
#include <assert.h>
#include <sodium.h>

#include "secrets/redact.h"
#include "secrets/redact_int.h"
#include "util/xalloc.h"

#define FILTER_Q 4           /* bytes the filter looks at */
#define FILTER_STRIDE (REDACT_MIN_VALUE - FILTER_Q + 1) /* positions it skips */
#define DENSE_DEPTH 1        /* states this deep or shallower get full rows */
#define ROOT 0

struct ac_node {
	uint32_t fail;   /* longest proper suffix that is a trie state */
	uint32_t edge;   /* first of nedge sorted edges in ebyte/eto */
	uint32_t nedge;
	int32_t row;     /* full transition row, or -1 */
	uint32_t depth;  /* length of the state's string */
	uint32_t olen;   /* longest form that is a suffix of it, 0 if none */
};

struct redact_set {
	struct redact__pats pats;  /* distinct forms, sorted after compile */
	size_t secrets;
	bool compiled;

	struct ac_node *nodes;
	size_t nnodes;
	uint8_t *ebyte;            /* edge labels */
	uint32_t *eto;             /* edge targets */
	uint32_t *rows;            /* nrows x ncls */
	size_t nrows;
	uint16_t cls[256];         /* byte -> class; 0 for bytes in no form */
	unsigned ncls;
	uint64_t *filter;          /* 1 << fbits bits */
	unsigned fbits;
	size_t max_len;
};

struct ival {
	uint64_t a, b;
};

struct redact_stream {
	const struct redact_set *set;
	uint64_t pos;        /* bytes written so far */
	uint64_t done;       /* output is decided for every byte before this */
	uint64_t mask_end;   /* where the last REDACT_MASK written ends */
	uint64_t dfa_start;  /* where the automaton last started from the root */
	uint32_t state;
	uint8_t *hold;       /* bytes [done, pos) while between writes */
	size_t hold_cap;
	struct ival *iv;     /* pending masked intervals, sorted, disjoint */
	size_t iv_head, iv_n, iv_cap;
	int err;             /* first failed append to the output */
};

struct redact_set *redact_set_new(void)
{
	return XNEW(struct redact_set, 1);
}

void redact_set_free(struct redact_set *set)
{
	if (!set)
		return;
	redact__pats_clear(&set->pats);
	if (set->ebyte) {
		/* The trie spells the forms out: wipe it too. */
		sodium_memzero(set->ebyte, set->nnodes);
		sodium_memzero(set->rows, set->nrows * set->ncls * sizeof(*set->rows));
		sodium_memzero(set->filter, ((size_t)1 << set->fbits) / 8);
	}
	free(set->nodes);
	free(set->ebyte);
	free(set->eto);
	free(set->rows);
	free(set->filter);
	free(set);
}

int redact_set_add(struct redact_set *set, const void *value, size_t len, struct vend_err *err)
{
	struct redact__pats forms = { 0 };

	if (set->compiled)
		return err_set(err, -EINVAL, "redactor: the set is already compiled");
	if (len < REDACT_MIN_VALUE)
		return err_set(err, -EINVAL,
			       "secret value is %zu bytes; at least %d are needed to mask it in logs",
			       len, REDACT_MIN_VALUE);
	if (len > REDACT_MAX_VALUE)
		return err_set(err, -E2BIG, "secret value is %zu bytes; at most %d can be masked",
			       len, REDACT_MAX_VALUE);
	redact__forms(&forms, value, len);
	redact__pats_unique(&forms);
	if (set->pats.bytes + forms.bytes > REDACT_MAX_BYTES) {
		redact__pats_clear(&forms);
		return err_set(err, -E2BIG,
			       "secret values too large to mask together (their forms exceed %d bytes)",
			       REDACT_MAX_BYTES);
	}
	redact__pats_move(&set->pats, &forms);
	redact__pats_clear(&forms);
	set->secrets++;
	return 0;
}

/* The transition from s on c, following failure links to a state with a
 * full row (the root has one). */
static inline uint32_t step(const struct redact_set *set, uint32_t s, uint8_t c)
{
	for (;;) {
		const struct ac_node *n = &set->nodes[s];

		if (n->row >= 0)
			return set->rows[(size_t)n->row * set->ncls + set->cls[c]];
		for (uint32_t k = 0; k < n->nedge; k++)
			if (set->ebyte[n->edge + k] == c)
				return set->eto[n->edge + k];
		s = n->fail;
	}
}

static inline uint32_t load4(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint32_t filter_hash(uint32_t v, unsigned bits)
{
	return (v * 0x9E3779B1u) >> (32 - bits);
}

static inline bool filter_hit(const struct redact_set *set, const uint8_t *p)
{
	uint32_t h = filter_hash(load4(p), set->fbits);

	return (set->filter[h >> 6] >> (h & 63)) & 1;
}

/* Builds the trie from the sorted forms: each form shares with the one
 * before it the path of their common prefix, so nodes come out in
 * depth-first order with every node's children in byte order. */
static void build_trie(struct redact_set *set, uint32_t **parent_out, uint8_t **byte_out)
{
	struct redact__pats *l = &set->pats;
	size_t cap = l->bytes + 1, n = 1;
	uint32_t *parent = XNEW(uint32_t, cap);
	uint8_t *byte = XNEW(uint8_t, cap);
	uint32_t *path = XNEW(uint32_t, set->max_len + 1);

	set->nodes = XNEW(struct ac_node, cap);
	path[0] = ROOT;
	for (size_t i = 0; i < l->n; i++) {
		const struct redact__pat *p = &l->v[i];
		size_t lcp = 0;

		if (i > 0) {
			const struct redact__pat *q = &l->v[i - 1];
			while (lcp < p->len && lcp < q->len && p->p[lcp] == q->p[lcp])
				lcp++;
		}
		for (size_t k = lcp; k < p->len; k++) {
			parent[n] = path[k];
			byte[n] = p->p[k];
			set->nodes[n].depth = (uint32_t)(k + 1);
			path[k + 1] = (uint32_t)n++;
		}
		set->nodes[path[p->len]].olen = (uint32_t)p->len;
	}
	set->nnodes = n;
	free(path);
	*parent_out = parent;
	*byte_out = byte;
}

/* Lays out each node's edges contiguously, in byte order. */
static void build_edges(struct redact_set *set, const uint32_t *parent, const uint8_t *byte)
{
	size_t n = set->nnodes;
	uint32_t *fill = XNEW(uint32_t, n);

	set->ebyte = XNEW(uint8_t, n);
	set->eto = XNEW(uint32_t, n);
	for (size_t v = 1; v < n; v++)
		set->nodes[parent[v]].nedge++;
	for (size_t v = 0, at = 0; v < n; v++) {
		set->nodes[v].edge = (uint32_t)at;
		at += set->nodes[v].nedge;
	}
	for (size_t v = 1; v < n; v++) {
		struct ac_node *p = &set->nodes[parent[v]];
		size_t e = p->edge + fill[parent[v]]++;

		set->ebyte[e] = byte[v];
		set->eto[e] = (uint32_t)v;
	}
	free(fill);
}

/* Failure links, outputs and full rows, in breadth-first order so that
 * everything a node's link depends on is done before it. */
static void build_links(struct redact_set *set, const uint8_t *byte)
{
	size_t n = set->nnodes, head = 0, tail = 0;
	uint32_t *queue = XNEW(uint32_t, n);
	uint8_t rep[257];

	/* Byte classes: the bytes that label some edge, each its own class. */
	set->ncls = 1;
	for (size_t e = 0; e + 1 < n; e++) {
		uint8_t c = set->ebyte[e];
		if (!set->cls[c]) {
			rep[set->ncls] = c;
			set->cls[c] = (uint16_t)set->ncls++;
		}
	}
	set->nrows = 0;
	for (size_t v = 0; v < n; v++)
		set->nodes[v].row = set->nodes[v].depth <= DENSE_DEPTH ? (int32_t)set->nrows++ : -1;
	set->rows = XNEW(uint32_t, set->nrows * set->ncls);

	queue[tail++] = ROOT;
	while (head < tail) {
		uint32_t u = queue[head++];
		struct ac_node *nu = &set->nodes[u];

		if (u != ROOT) {
			/* nu->fail holds the parent, whose own link is final */
			uint32_t f = nu->depth == 1 ? ROOT
						    : step(set, set->nodes[nu->fail].fail, byte[u]);
			nu->fail = f;
			if (set->nodes[f].olen > nu->olen)
				nu->olen = set->nodes[f].olen;
		}
		if (nu->row >= 0) {
			uint32_t *row = set->rows + (size_t)nu->row * set->ncls;

			for (unsigned k = 1; k < set->ncls; k++)
				row[k] = u == ROOT ? ROOT : step(set, nu->fail, rep[k]);
			row[0] = ROOT;
			for (uint32_t k = 0; k < nu->nedge; k++)
				row[set->cls[set->ebyte[nu->edge + k]]] = set->eto[nu->edge + k];
		}
		for (uint32_t k = 0; k < nu->nedge; k++) {
			uint32_t v = set->eto[nu->edge + k];
			/* stash the parent in fail until v is dequeued */
			set->nodes[v].fail = u;
			queue[tail++] = v;
		}
	}
	free(queue);
}

static void build_filter(struct redact_set *set)
{
	unsigned bits = 12;

	/* About 128 bits per entry: a false hit on under 1% of checks. */
	while (bits < 22 && ((size_t)1 << bits) < 128 * FILTER_STRIDE * set->pats.n)
		bits++;
	set->fbits = bits;
	set->filter = XNEW(uint64_t, ((size_t)1 << bits) / 64);
	/* the four bytes at each offset a stride can land on */
	for (size_t i = 0; i < set->pats.n; i++) {
		for (size_t k = 0; k < FILTER_STRIDE; k++) {
			uint32_t h = filter_hash(load4(set->pats.v[i].p + k), bits);
			set->filter[h >> 6] |= (uint64_t)1 << (h & 63);
		}
	}
}

int redact_set_compile(struct redact_set *set, struct vend_err *err)
{
	uint32_t *parent;
	uint8_t *byte;

	if (set->compiled)
		return err_set(err, -EINVAL, "redactor: the set is already compiled");
	redact__pats_unique(&set->pats);
	set->max_len = 0;
	for (size_t i = 0; i < set->pats.n; i++)
		if (set->pats.v[i].len > set->max_len)
			set->max_len = set->pats.v[i].len;
	build_trie(set, &parent, &byte);
	build_edges(set, parent, byte);
	/* During the walk a node's fail field holds its parent; the parent's
	 * own fail is then final, as the parent was dequeued earlier. */
	build_links(set, byte);
	build_filter(set);
	sodium_memzero(byte, set->nnodes);
	free(parent);
	free(byte);
	set->compiled = true;
	return 0;
}

void redact_set_stats(const struct redact_set *set, struct redact_stats *out)
{
	out->secrets = set->secrets;
	out->patterns = set->pats.n;
	out->states = set->nnodes;
	out->max_len = set->max_len;
	out->memory = set->nnodes * (sizeof(struct ac_node) + 1 + sizeof(uint32_t)) +
		      set->nrows * set->ncls * sizeof(uint32_t) + ((size_t)1 << set->fbits) / 8 +
		      set->pats.bytes + set->pats.n * sizeof(struct redact__pat);
}

const uint8_t *redact_set_pattern(const struct redact_set *set, size_t i, size_t *len)
{
	if (i >= set->pats.n)
		return NULL;
	*len = set->pats.v[i].len;
	return set->pats.v[i].p;
}

int redact_naive(const struct redact_set *set, const void *data, size_t len, struct buf *out)
{
	const uint8_t *p = data;
	bool *masked = XNEW(bool, len + 1);
	int rc = 0;

	for (size_t k = 0; k < set->pats.n; k++) {
		const struct redact__pat *f = &set->pats.v[k];
		const uint8_t *at = p;

		while ((at = memmem(at, len - (size_t)(at - p), f->p, f->len))) {
			memset(masked + (at - p), 1, f->len);
			at++;
		}
	}
	for (size_t i = 0; i < len && !rc; i++) {
		if (!masked[i])
			rc = buf_addc(out, (char)p[i]);
		else if (i == 0 || !masked[i - 1])
			rc = buf_adds(out, REDACT_MASK);
	}
	free(masked);
	return rc;
}

struct redact_stream *redact_stream_new(const struct redact_set *set)
{
	struct redact_stream *rs = XNEW(struct redact_stream, 1);

	assert(set->compiled);
	rs->set = set;
	rs->mask_end = UINT64_MAX;
	rs->hold_cap = set->max_len ? set->max_len : 1;
	rs->hold = xmalloc(rs->hold_cap);
	return rs;
}

void redact_stream_free(struct redact_stream *rs)
{
	if (!rs)
		return;
	sodium_memzero(rs->hold, rs->hold_cap);
	free(rs->hold);
	free(rs->iv);
	free(rs);
}

size_t redact_stream_held(const struct redact_stream *rs)
{
	return (size_t)(rs->pos - rs->done);
}

static void put(struct redact_stream *rs, struct buf *out, const void *p, size_t n)
{
	int rc = buf_add(out, p, n);

	if (rc && !rs->err)
		rs->err = rc;
}

/* Where the bytes of the current write come from: the hold buffer has
 * [hold_base, pos0), data has [pos0, ...). */
struct src {
	const uint8_t *data;
	uint64_t pos0, hold_base;
};

static void put_plain(struct redact_stream *rs, const struct src *s, uint64_t to,
		      struct buf *out)
{
	uint64_t from = rs->done;

	if (from < s->pos0) {
		uint64_t e = to < s->pos0 ? to : s->pos0;
		put(rs, out, rs->hold + (from - s->hold_base), (size_t)(e - from));
		from = e;
	}
	if (from < to)
		put(rs, out, s->data + (from - s->pos0), (size_t)(to - from));
	rs->done = to;
}

/* Writes out everything before limit, and any masked interval that starts
 * at the point reached (its bytes need not be held). */
static void emit_upto(struct redact_stream *rs, const struct src *s, uint64_t limit,
		      struct buf *out)
{
	for (;;) {
		if (rs->iv_head < rs->iv_n && rs->iv[rs->iv_head].a <= rs->done) {
			/* a run that continues the last mask needs no second one */
			if (rs->mask_end != rs->done)
				put(rs, out, REDACT_MASK, sizeof(REDACT_MASK) - 1);
			rs->done = rs->mask_end = rs->iv[rs->iv_head++].b;
			continue;
		}
		if (rs->done >= limit)
			break;
		uint64_t to = limit;
		if (rs->iv_head < rs->iv_n && rs->iv[rs->iv_head].a < to)
			to = rs->iv[rs->iv_head].a;
		put_plain(rs, s, to, out);
	}
	if (rs->iv_head == rs->iv_n)
		rs->iv_head = rs->iv_n = 0;
}

static void add_match(struct redact_stream *rs, uint64_t a, uint64_t b)
{
	if (a < rs->done)
		a = rs->done; /* only after a flush gave out its start */
	while (rs->iv_n > rs->iv_head && rs->iv[rs->iv_n - 1].b >= a) {
		rs->iv_n--;
		if (rs->iv[rs->iv_n].a < a)
			a = rs->iv[rs->iv_n].a;
	}
	if (rs->iv_head > 0 && rs->iv_n == rs->iv_cap) {
		memmove(rs->iv, rs->iv + rs->iv_head, (rs->iv_n - rs->iv_head) * sizeof(*rs->iv));
		rs->iv_n -= rs->iv_head;
		rs->iv_head = 0;
	}
	XGROW(rs->iv, rs->iv_n + 1, rs->iv_cap);
	rs->iv[rs->iv_n].a = a;
	rs->iv[rs->iv_n].b = b;
	rs->iv_n++;
}

/* Keeps bytes [done, pos) for the next write. */
static void keep_rest(struct redact_stream *rs, const struct src *s)
{
	size_t n = (size_t)(rs->pos - rs->done), from_hold = 0;

	assert(n <= rs->hold_cap);
	if (rs->done < s->pos0) {
		from_hold = (size_t)(s->pos0 - rs->done);
		memmove(rs->hold, rs->hold + (rs->done - s->hold_base), from_hold);
	}
	memcpy(rs->hold + from_hold, s->data + (rs->done + from_hold - s->pos0), n - from_hold);
}

int redact_write(struct redact_stream *rs, const void *data, size_t len, struct buf *out)
{
	const struct redact_set *set = rs->set;
	const uint8_t *p = data;
	struct src s = { p, rs->pos, rs->done };
	uint32_t st = rs->state;
	uint64_t start = rs->dfa_start;
	size_t i = 0, j;

	rs->err = 0;
	if (len == 0)
		return 0;
	if (set->nnodes <= 1) {
		put(rs, out, data, len);
		rs->pos = rs->done += len;
		return rs->err;
	}
	/* Writes begin in automaton mode: the state carries over. */
	goto automaton;

filter:
	/* The state is the root and no match starts before i. The four bytes
	 * at j = i + 2 are at offset 0, 1 or 2 of any form that starts at i,
	 * i + 1 or i + 2 (forms are at least six bytes), so checking every
	 * third position suffices: eight checks per branch. */
	j = i + FILTER_STRIDE - 1;
	while (j + 7 * FILTER_STRIDE + FILTER_Q <= len) {
		unsigned m = 0;
		for (unsigned k = 0; k < 8; k++)
			m |= (unsigned)filter_hit(set, p + j + k * FILTER_STRIDE) << k;
		if (m) {
			j += FILTER_STRIDE * (size_t)__builtin_ctz(m);
			goto hit;
		}
		j += 8 * FILTER_STRIDE;
	}
	while (j + FILTER_Q <= len && !filter_hit(set, p + j))
		j += FILTER_STRIDE;
hit:
	/* a form may start in [j - 2, j]; near the end, anywhere from j - 2 */
	i = j - (FILTER_STRIDE - 1);
	st = ROOT;
	start = s.pos0 + i;

automaton:
	while (i < len) {
		const struct ac_node *n;

		st = step(set, st, p[i++]);
		n = &set->nodes[st];
		if (n->olen) {
			uint64_t end = s.pos0 + i;
			add_match(rs, end - n->olen, end);
			emit_upto(rs, &s, end - n->depth, out);
		}
		/* Back to filtering from the start of what the state
		 * covers, once the filter can judge it and it is past the
		 * position this run of the automaton started at. */
		if (n->depth < FILTER_Q && n->depth <= i &&
		    i - n->depth + FILTER_STRIDE - 1 + FILTER_Q <= len &&
		    s.pos0 + i - n->depth > start) {
			i -= n->depth;
			goto filter;
		}
	}
	rs->state = st;
	rs->dfa_start = start;
	rs->pos = s.pos0 + len;
	emit_upto(rs, &s, rs->pos - set->nodes[st].depth, out);
	keep_rest(rs, &s);
	return rs->err;
}

int redact_flush(struct redact_stream *rs, struct buf *out)
{
	/* The held bytes, presented as the data of an empty write. */
	struct src s = { rs->hold, rs->done, rs->done };

	rs->err = 0;
	emit_upto(rs, &s, rs->pos, out);
	return rs->err;
}
