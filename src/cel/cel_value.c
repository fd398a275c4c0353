/*
 * CEL values: the arena they are built in during evaluation, the public
 * constructors and accessors (heap values), maps with CEL's key rules,
 * equality and ordering across numeric types, UTF-8 helpers and the text
 * forms (CEL literal syntax and ${{ }} interpolation).
 */
#include <math.h>
#include <time.h>

#include "cel/cel_int.h"
#include "util/buf.h"
#include "util/xalloc.h"

const char *const cel__type_names[CEL__T_COUNT] = {
	"null_type", "bool", "int", "uint", "double", "string", "bytes",
	"list", "map", "google.protobuf.Timestamp", "google.protobuf.Duration",
	"type", "dyn",
};

int cel__type_lookup(const char *name, size_t len)
{
	for (int i = 0; i < CEL__T_COUNT; i++)
		if (strlen(cel__type_names[i]) == len &&
		    !memcmp(cel__type_names[i], name, len))
			return i;
	return -1;
}

int cel__type_of(const struct cel_value *v)
{
	switch (v->kind) {
	case CEL_NULL: return CEL__T_NULL;
	case CEL_BOOL: return CEL__T_BOOL;
	case CEL_INT: return CEL__T_INT;
	case CEL_UINT: return CEL__T_UINT;
	case CEL_DOUBLE: return CEL__T_DOUBLE;
	case CEL_STRING: return CEL__T_STRING;
	case CEL_BYTES: return CEL__T_BYTES;
	case CEL_LIST: return CEL__T_LIST;
	case CEL_MAP: return CEL__T_MAP;
	case CEL_TIMESTAMP: return CEL__T_TIMESTAMP;
	case CEL_DURATION: return CEL__T_DURATION;
	default: return CEL__T_TYPE;
	}
}

/* ---- arena ---- */

struct cel__chunk {
	struct cel__chunk *next;
	size_t size;
	char data[];
};

#define CHUNK_SIZE ((size_t)16 << 10)
#define ARENA_KEEP ((size_t)1 << 20) /* bytes of chunks kept across resets */

void cel__arena_init(struct cel__arena *a)
{
	memset(a, 0, sizeof(*a));
}

void cel__arena_reset(struct cel__arena *a)
{
	size_t kept = 0;
	struct cel__chunk **pp = &a->head;

	while (*pp) {
		struct cel__chunk *c = *pp;
		if (kept + c->size > ARENA_KEEP) {
			*pp = c->next;
			free(c);
			continue;
		}
		kept += c->size;
		pp = &c->next;
	}
	a->cur = a->head;
	a->ptr = a->head ? a->head->data : NULL;
	a->end = a->head ? a->head->data + a->head->size : NULL;
	a->used = 0;
}

void cel__arena_release(struct cel__arena *a)
{
	struct cel__chunk *c = a->head;
	while (c) {
		struct cel__chunk *n = c->next;
		free(c);
		c = n;
	}
	memset(a, 0, sizeof(*a));
}

void *cel__arena_alloc(struct cel__arena *a, size_t n)
{
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (n == 0)
		n = 8;
	if (a->limit && (n > a->limit || a->used > a->limit - n))
		return NULL;
	if ((size_t)(a->end - a->ptr) < n || !a->ptr) {
		struct cel__chunk *c = a->cur ? a->cur->next : a->head;
		/* Reuse the next kept chunk if it fits, else insert a new one. */
		if (!c || c->size < n) {
			size_t sz = n > CHUNK_SIZE ? n : CHUNK_SIZE;
			struct cel__chunk *nc = xmalloc(sizeof(*nc) + sz);
			nc->size = sz;
			if (a->cur) {
				nc->next = a->cur->next;
				a->cur->next = nc;
			} else {
				nc->next = a->head;
				a->head = nc;
			}
			c = nc;
		}
		a->cur = c;
		a->ptr = c->data;
		a->end = c->data + c->size;
	}
	p = a->ptr;
	a->ptr += n;
	a->used += n;
	return p;
}

static void *mem(struct cel__arena *a, size_t n)
{
	return a ? cel__arena_alloc(a, n) : xmalloc(n);
}

/* ---- objects ---- */

struct cel__str *cel__str_new(struct cel__arena *a, const char *p, size_t n)
{
	struct cel__str *s;

	if (n > SIZE_MAX / 2)
		return NULL;
	s = mem(a, sizeof(*s) + n + 1);
	if (!s)
		return NULL;
	s->flags = a ? 0 : CEL__HEAP;
	s->len = n;
	if (p && n)
		memcpy(s->data, p, n);
	s->data[n] = '\0';
	return s;
}

struct cel__list *cel__list_new(struct cel__arena *a, size_t cap)
{
	struct cel__list *l = mem(a, sizeof(*l));

	if (!l)
		return NULL;
	l->flags = a ? 0 : CEL__HEAP;
	l->len = 0;
	l->cap = cap;
	l->v = NULL;
	if (cap) {
		if (cap > SIZE_MAX / sizeof(struct cel_value))
			return NULL;
		l->v = mem(a, cap * sizeof(struct cel_value));
		if (!l->v)
			return NULL;
	}
	return l;
}

struct cel__map *cel__map_new(struct cel__arena *a, size_t cap)
{
	struct cel__map *m = mem(a, sizeof(*m));

	if (!m)
		return NULL;
	memset(m, 0, sizeof(*m));
	m->flags = a ? 0 : CEL__HEAP;
	if (cap) {
		if (cap > SIZE_MAX / sizeof(struct cel_value))
			return NULL;
		m->k = mem(a, cap * sizeof(struct cel_value));
		m->v = mem(a, cap * sizeof(struct cel_value));
		if (!m->k || !m->v)
			return NULL;
		m->cap = cap;
	}
	return m;
}

uint32_t cel__hash_bytes(const char *p, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (uint32_t)x;
}

bool cel__valid_key(const struct cel_value *k)
{
	return k->kind == CEL_BOOL || k->kind == CEL_INT ||
	       k->kind == CEL_UINT || k->kind == CEL_STRING;
}

static uint32_t key_hash(const struct cel_value *k)
{
	switch (k->kind) {
	case CEL_BOOL: return k->b ? 0x9e3779b9u : 0x7f4a7c15u;
	case CEL_INT: return hash64((uint64_t)k->i);
	case CEL_UINT:
		/* 1 and 1u are the same key: hash them alike. */
		return k->u <= INT64_MAX ? hash64(k->u) : hash64(k->u) ^ 0x5bd1e995u;
	case CEL_STRING: return cel__hash_bytes(k->s->data, k->s->len);
	default: return 0;
	}
}

static int index_build(struct cel__arena *a, struct cel__map *m, size_t want)
{
	size_t cap = 16;
	uint32_t *ix;

	while (cap < want * 2)
		cap *= 2;
	if (a)
		ix = cel__arena_alloc(a, cap * sizeof(uint32_t));
	else
		ix = xmalloc(cap * sizeof(uint32_t));
	if (!ix)
		return -ENOMEM;
	memset(ix, 0, cap * sizeof(uint32_t));
	for (size_t i = 0; i < m->len; i++) {
		size_t j = key_hash(&m->k[i]) & (cap - 1);
		while (ix[j])
			j = (j + 1) & (cap - 1);
		ix[j] = (uint32_t)i + 1;
	}
	if (!a)
		free(m->index);
	m->index = ix;
	m->index_cap = cap;
	return 0;
}

int cel__map_add(struct cel__arena *a, struct cel__map *m, struct cel_value k,
		 struct cel_value v)
{
	if (m->len == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 4;
		struct cel_value *nk, *nv;
		if (ncap > UINT32_MAX - 1)
			return -ENOMEM;
		nk = mem(a, ncap * sizeof(*nk));
		nv = mem(a, ncap * sizeof(*nv));
		if (!nk || !nv)
			return -ENOMEM;
		if (m->len) {
			memcpy(nk, m->k, m->len * sizeof(*nk));
			memcpy(nv, m->v, m->len * sizeof(*nv));
		}
		if (!a) {
			free(m->k);
			free(m->v);
		}
		m->k = nk;
		m->v = nv;
		m->cap = ncap;
	}
	m->k[m->len] = k;
	m->v[m->len] = v;
	m->len++;
	if (!a && m->len > 8) {
		if (!m->index || m->len * 2 > m->index_cap)
			return index_build(NULL, m, m->len * 2);
		size_t j = key_hash(&k) & (m->index_cap - 1);
		while (m->index[j])
			j = (j + 1) & (m->index_cap - 1);
		m->index[j] = (uint32_t)m->len;
	}
	return 0;
}

int cel__map_finish(struct cel__arena *a, struct cel__map *m)
{
	if (m->len > 8 && !m->index)
		return index_build(a, m, m->len);
	return 0;
}

/* A double key finds the int or uint key of the same value (CEL spec:
 * numeric map keys compare by value). */
static bool key_norm(const struct cel_value *k, struct cel_value *out)
{
	*out = *k;
	if (k->kind != CEL_DOUBLE)
		return cel__valid_key(k);
	double d = k->d;
	if (d != d || d != trunc(d))
		return false;
	if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
		*out = cel__v_int((int64_t)d);
		return true;
	}
	if (d >= 0 && d < 18446744073709551616.0) {
		*out = cel__v_uint((uint64_t)d);
		return true;
	}
	return false;
}

long cel__map_find(const struct cel__map *m, const struct cel_value *key)
{
	struct cel_value k;

	if (!key_norm(key, &k))
		return -1;
	if (m->index) {
		size_t j = key_hash(&k) & (m->index_cap - 1);
		while (m->index[j]) {
			size_t i = m->index[j] - 1;
			if (cel__equal(&m->k[i], &k))
				return (long)i;
			j = (j + 1) & (m->index_cap - 1);
		}
		return -1;
	}
	for (size_t i = 0; i < m->len; i++)
		if (cel__equal(&m->k[i], &k))
			return (long)i;
	return -1;
}

long cel__map_find_str(const struct cel__map *m, const char *s, size_t n,
		       uint32_t hash)
{
	if (m->index) {
		size_t j = hash & (m->index_cap - 1);
		while (m->index[j]) {
			size_t i = m->index[j] - 1;
			const struct cel_value *k = &m->k[i];
			if (k->kind == CEL_STRING && k->s->len == n &&
			    cel__mem_eq(k->s->data, s, n))
				return (long)i;
			j = (j + 1) & (m->index_cap - 1);
		}
		return -1;
	}
	for (size_t i = 0; i < m->len; i++) {
		const struct cel_value *k = &m->k[i];
		if (k->kind == CEL_STRING && k->s->len == n &&
		    cel__mem_eq(k->s->data, s, n))
			return (long)i;
	}
	return -1;
}

/* ---- equality and ordering (CEL spec: Equality and Ordering) ---- */

bool cel__is_numeric(const struct cel_value *v)
{
	return v->kind == CEL_INT || v->kind == CEL_UINT || v->kind == CEL_DOUBLE;
}

/* Compares two numbers of any numeric kinds exactly. 2 = unordered. */
static int num_cmp(const struct cel_value *a, const struct cel_value *b)
{
	if (a->kind == CEL_INT && b->kind == CEL_INT)
		return (a->i > b->i) - (a->i < b->i);
	if (a->kind == CEL_UINT && b->kind == CEL_UINT)
		return (a->u > b->u) - (a->u < b->u);
	if (a->kind == CEL_DOUBLE && b->kind == CEL_DOUBLE) {
		if (a->d != a->d || b->d != b->d)
			return 2;
		return (a->d > b->d) - (a->d < b->d);
	}
	if (a->kind == CEL_INT && b->kind == CEL_UINT) {
		if (a->i < 0)
			return -1;
		return ((uint64_t)a->i > b->u) - ((uint64_t)a->i < b->u);
	}
	if (a->kind == CEL_UINT && b->kind == CEL_INT)
		return -num_cmp(b, a);
	if (a->kind == CEL_DOUBLE) {
		int r = num_cmp(b, a);
		return r == 2 ? 2 : -r;
	}
	/* a integer, b double: as cel-go, the integer is converted to double
	 * (CEL spec: heterogeneous ordering compares numeric values; 2^63-1
	 * and 2^63 are the same double). */
	double x = a->kind == CEL_INT ? (double)a->i : (double)a->u, d = b->d;
	if (d != d)
		return 2;
	return (x > d) - (x < d);
}

static int bytes_cmp(const struct cel__str *a, const struct cel__str *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int r = memcmp(a->data, b->data, n);
	if (r)
		return r < 0 ? -1 : 1;
	return (a->len > b->len) - (a->len < b->len);
}

int cel__compare(const struct cel_value *a, const struct cel_value *b)
{
	if (cel__is_numeric(a) && cel__is_numeric(b))
		return num_cmp(a, b);
	if (a->kind != b->kind)
		return -2;
	switch (a->kind) {
	case CEL_BOOL: return (a->b > b->b) - (a->b < b->b);
	case CEL_STRING:
	case CEL_BYTES:
		/* UTF-8 byte order is code point order. */
		return bytes_cmp(a->s, b->s);
	case CEL_TIMESTAMP:
	case CEL_DURATION:
		if (a->i != b->i)
			return a->i < b->i ? -1 : 1;
		return (a->nsec > b->nsec) - (a->nsec < b->nsec);
	default: return -2;
	}
}

bool cel__equal(const struct cel_value *a, const struct cel_value *b)
{
	if (a->kind == CEL_STRING && b->kind == CEL_STRING)
		return a->s->len == b->s->len &&
		       cel__mem_eq(a->s->data, b->s->data, a->s->len);
	if (cel__is_numeric(a) && cel__is_numeric(b))
		return num_cmp(a, b) == 0;
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case CEL_NULL: return true;
	case CEL_BOOL: return a->b == b->b;
	case CEL_STRING:
	case CEL_BYTES:
		return a->s->len == b->s->len &&
		       cel__mem_eq(a->s->data, b->s->data, a->s->len);
	case CEL_TIMESTAMP:
	case CEL_DURATION: return a->i == b->i && a->nsec == b->nsec;
	case CEL_TYPE: return a->t == b->t;
	case CEL_LIST:
		if (a->l->len != b->l->len)
			return false;
		for (size_t i = 0; i < a->l->len; i++)
			if (!cel__equal(&a->l->v[i], &b->l->v[i]))
				return false;
		return true;
	case CEL_MAP:
		if (a->m->len != b->m->len)
			return false;
		for (size_t i = 0; i < a->m->len; i++) {
			long j = cel__map_find(b->m, &a->m->k[i]);
			if (j < 0 || !cel__equal(&a->m->v[i], &b->m->v[j]))
				return false;
		}
		return true;
	default: return false;
	}
}

/* ---- UTF-8 ---- */

int cel__utf8_decode(const char *p, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)p;
	if (s[0] < 0x80 || n < 2) {
		*cp = s[0];
		return 1;
	}
	if (s[0] < 0xe0) {
		*cp = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
		return 2;
	}
	if (s[0] < 0xf0 || n < 4) {
		if (n < 3) {
			*cp = s[0];
			return 1;
		}
		*cp = ((uint32_t)(s[0] & 0x0f) << 12) |
		      ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
		return 3;
	}
	*cp = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
	      ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
	return 4;
}

int cel__utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

bool cel__utf8_valid(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			if (i + 1 >= n || (s[i + 1] & 0xc0) != 0x80)
				return false;
			i += 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			if (i + 2 >= n || (s[i + 1] & 0xc0) != 0x80 ||
			    (s[i + 2] & 0xc0) != 0x80)
				return false;
			if (c == 0xe0 && s[i + 1] < 0xa0)
				return false; /* overlong */
			if (c == 0xed && s[i + 1] >= 0xa0)
				return false; /* surrogate */
			i += 3;
		} else if (c >= 0xf0 && c <= 0xf4) {
			if (i + 3 >= n || (s[i + 1] & 0xc0) != 0x80 ||
			    (s[i + 2] & 0xc0) != 0x80 || (s[i + 3] & 0xc0) != 0x80)
				return false;
			if (c == 0xf0 && s[i + 1] < 0x90)
				return false;
			if (c == 0xf4 && s[i + 1] >= 0x90)
				return false;
			i += 4;
		} else {
			return false;
		}
	}
	return true;
}

size_t cel__utf8_count(const char *p, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* ---- public constructors ---- */

static struct cel_value *box(struct cel_value v)
{
	struct cel_value *p = xmalloc(sizeof(*p));
	*p = v;
	p->flags = CEL__HEAP;
	return p;
}

struct cel_value *cel_null(void) { return box(cel__v_null()); }
struct cel_value *cel_bool(bool b) { return box(cel__v_bool(b)); }
struct cel_value *cel_int(int64_t i) { return box(cel__v_int(i)); }
struct cel_value *cel_uint(uint64_t u) { return box(cel__v_uint(u)); }
struct cel_value *cel_double(double d) { return box(cel__v_double(d)); }

struct cel_value *cel_string(const char *s, size_t len)
{
	struct cel_value v = { .kind = CEL_STRING };
	if (!cel__utf8_valid(s, len))
		return NULL;
	v.s = cel__str_new(NULL, s, len);
	return box(v);
}

struct cel_value *cel_bytes(const void *p, size_t len)
{
	struct cel_value v = { .kind = CEL_BYTES };
	v.s = cel__str_new(NULL, p, len);
	return box(v);
}

struct cel_value *cel_timestamp(int64_t sec, int32_t nsec)
{
	if (sec < CEL__TS_MIN || sec > CEL__TS_MAX || nsec < 0 ||
	    nsec >= 1000000000)
		return NULL;
	return box(cel__v_time(CEL_TIMESTAMP, sec, nsec));
}

struct cel_value *cel_timestamp_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return box(cel__v_time(CEL_TIMESTAMP, ts.tv_sec, (int32_t)ts.tv_nsec));
}

struct cel_value *cel_duration(int64_t sec, int32_t nsec)
{
	if (sec < -CEL__DUR_MAX || sec > CEL__DUR_MAX || nsec <= -1000000000 ||
	    nsec >= 1000000000 || (sec > 0 && nsec < 0) || (sec < 0 && nsec > 0))
		return NULL;
	return box(cel__v_time(CEL_DURATION, sec, nsec));
}

struct cel_value *cel_type(const char *name)
{
	int t = cel__type_lookup(name, strlen(name));
	return t < 0 ? NULL : box(cel__v_type(t));
}

struct cel_value *cel_list_new(void)
{
	struct cel_value v = { .kind = CEL_LIST };
	v.l = cel__list_new(NULL, 0);
	return box(v);
}

int cel_list_append(struct cel_value *list, struct cel_value *v)
{
	struct cel__list *l;

	if (!list || !v || list->kind != CEL_LIST ||
	    !(list->l->flags & CEL__HEAP)) {
		cel_value_free(v);
		return -EINVAL;
	}
	l = list->l;
	XGROW(l->v, l->len + 1, l->cap);
	l->v[l->len] = *v;
	l->v[l->len].flags = 0;
	l->len++;
	free(v);
	return 0;
}

struct cel_value *cel_map_new(void)
{
	struct cel_value v = { .kind = CEL_MAP };
	v.m = cel__map_new(NULL, 0);
	return box(v);
}

int cel_map_set(struct cel_value *map, struct cel_value *k, struct cel_value *v)
{
	int rc = -EINVAL;

	if (!map || !k || !v || map->kind != CEL_MAP ||
	    !(map->m->flags & CEL__HEAP) || !cel__valid_key(k))
		goto fail;
	if (cel__map_find(map->m, k) >= 0) {
		rc = -EEXIST;
		goto fail;
	}
	k->flags = 0;
	v->flags = 0;
	cel__map_add(NULL, map->m, *k, *v);
	free(k);
	free(v);
	return 0;
fail:
	cel_value_free(k);
	cel_value_free(v);
	return rc;
}

void cel__value_free_contents(struct cel_value *v)
{
	switch (v->kind) {
	case CEL_STRING:
	case CEL_BYTES:
		if (v->s->flags & CEL__HEAP)
			free(v->s);
		break;
	case CEL_LIST:
		if (!(v->l->flags & CEL__HEAP))
			break;
		for (size_t i = 0; i < v->l->len; i++)
			cel__value_free_contents(&v->l->v[i]);
		free(v->l->v);
		free(v->l);
		break;
	case CEL_MAP:
		if (!(v->m->flags & CEL__HEAP))
			break;
		for (size_t i = 0; i < v->m->len; i++) {
			cel__value_free_contents(&v->m->k[i]);
			cel__value_free_contents(&v->m->v[i]);
		}
		free(v->m->k);
		free(v->m->v);
		free(v->m->index);
		free(v->m);
		break;
	default:
		break;
	}
}

void cel_value_free(struct cel_value *v)
{
	if (!v || !(v->flags & CEL__HEAP))
		return;
	cel__value_free_contents(v);
	free(v);
}

struct cel_value cel__value_deep_copy_heap(const struct cel_value *v)
{
	struct cel_value r = *v;

	r.flags = 0;
	switch (v->kind) {
	case CEL_STRING:
	case CEL_BYTES:
		r.s = cel__str_new(NULL, v->s->data, v->s->len);
		break;
	case CEL_LIST:
		r.l = cel__list_new(NULL, v->l->len);
		for (size_t i = 0; i < v->l->len; i++)
			r.l->v[i] = cel__value_deep_copy_heap(&v->l->v[i]);
		r.l->len = v->l->len;
		break;
	case CEL_MAP:
		r.m = cel__map_new(NULL, 0);
		for (size_t i = 0; i < v->m->len; i++)
			cel__map_add(NULL, r.m, cel__value_deep_copy_heap(&v->m->k[i]),
				     cel__value_deep_copy_heap(&v->m->v[i]));
		break;
	default:
		break;
	}
	return r;
}

struct cel_value *cel_value_copy(const struct cel_value *v)
{
	if (!v || v->kind == CEL__ERROR)
		return NULL;
	return box(cel__value_deep_copy_heap(v));
}

/* ---- accessors ---- */

enum cel_kind cel_value_kind(const struct cel_value *v)
{
	return (enum cel_kind)v->kind;
}

bool cel_value_bool(const struct cel_value *v)
{
	return v->kind == CEL_BOOL && v->b;
}

int64_t cel_value_int(const struct cel_value *v)
{
	return v->kind == CEL_INT ? v->i : 0;
}

uint64_t cel_value_uint(const struct cel_value *v)
{
	return v->kind == CEL_UINT ? v->u : 0;
}

double cel_value_double(const struct cel_value *v)
{
	return v->kind == CEL_DOUBLE ? v->d : 0;
}

const char *cel_value_str(const struct cel_value *v, size_t *len)
{
	if (v->kind != CEL_STRING && v->kind != CEL_BYTES) {
		if (len)
			*len = 0;
		return "";
	}
	if (len)
		*len = v->s->len;
	return v->s->data;
}

int cel_value_time(const struct cel_value *v, int64_t *sec, int32_t *nsec)
{
	if (v->kind != CEL_TIMESTAMP && v->kind != CEL_DURATION)
		return -EINVAL;
	*sec = v->i;
	*nsec = v->nsec;
	return 0;
}

const char *cel_value_type_name(const struct cel_value *v)
{
	if (v->kind == CEL_TYPE)
		return cel__type_names[v->t];
	return cel__type_names[cel__type_of(v)];
}

size_t cel_list_size(const struct cel_value *v)
{
	return v->kind == CEL_LIST ? v->l->len : 0;
}

const struct cel_value *cel_list_get(const struct cel_value *v, size_t i)
{
	if (v->kind != CEL_LIST || i >= v->l->len)
		return NULL;
	return &v->l->v[i];
}

size_t cel_map_size(const struct cel_value *v)
{
	return v->kind == CEL_MAP ? v->m->len : 0;
}

const struct cel_value *cel_map_key_at(const struct cel_value *v, size_t i)
{
	if (v->kind != CEL_MAP || i >= v->m->len)
		return NULL;
	return &v->m->k[i];
}

const struct cel_value *cel_map_value_at(const struct cel_value *v, size_t i)
{
	if (v->kind != CEL_MAP || i >= v->m->len)
		return NULL;
	return &v->m->v[i];
}

const struct cel_value *cel_map_get(const struct cel_value *v, const char *key)
{
	size_t n = strlen(key);
	long i;

	if (v->kind != CEL_MAP)
		return NULL;
	i = cel__map_find_str(v->m, key, n, cel__hash_bytes(key, n));
	return i < 0 ? NULL : &v->m->v[i];
}

bool cel_value_is_true(const struct cel_value *v)
{
	return v && v->kind == CEL_BOOL && v->b;
}

bool cel_value_equal(const struct cel_value *a, const struct cel_value *b)
{
	return cel__equal(a, b);
}

/* ---- text forms ---- */

/* Shortest digits that read back as d, laid out as Go's %v (and cel-go's
 * string(double)) does: exponent form below 1e-4 and from 1e21. */
int cel__format_double(double d, struct buf *b)
{
	char tmp[40], digits[24];
	int nd = 0, exp10 = 0;

	if (d != d)
		return buf_adds(b, "NaN");
	if (isinf(d))
		return buf_adds(b, d > 0 ? "+Inf" : "-Inf");
	if (d == 0)
		return buf_adds(b, signbit(d) ? "-0" : "0");
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp is [-]D[.DDD]e[+-]XX */
	const char *p = tmp;
	if (*p == '-') {
		buf_addc(b, '-');
		p++;
	}
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	exp10 = (int)strtol(p + 1, NULL, 10);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (exp10 < -4 || exp10 >= 21) {
		buf_addc(b, digits[0]);
		if (nd > 1) {
			buf_addc(b, '.');
			buf_add(b, digits + 1, (size_t)nd - 1);
		}
		return buf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+',
				  exp10 < 0 ? -exp10 : exp10);
	}
	if (exp10 < 0) {
		buf_adds(b, "0.");
		for (int i = -1; i > exp10; i--)
			buf_addc(b, '0');
		return buf_add(b, digits, (size_t)nd);
	}
	for (int i = 0; i <= exp10; i++)
		buf_addc(b, i < nd ? digits[i] : '0');
	if (nd > exp10 + 1) {
		buf_addc(b, '.');
		buf_add(b, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
	}
	return b->err;
}

int cel__format_quoted(const char *p, size_t n, bool bytes, struct buf *b)
{
	buf_adds(b, bytes ? "b\"" : "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		switch (c) {
		case '"': buf_adds(b, "\\\""); break;
		case '\\': buf_adds(b, "\\\\"); break;
		case '\n': buf_adds(b, "\\n"); break;
		case '\r': buf_adds(b, "\\r"); break;
		case '\t': buf_adds(b, "\\t"); break;
		case '\a': buf_adds(b, "\\a"); break;
		case '\b': buf_adds(b, "\\b"); break;
		case '\f': buf_adds(b, "\\f"); break;
		case '\v': buf_adds(b, "\\v"); break;
		default:
			if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80))
				buf_printf(b, "\\x%02x", c);
			else
				buf_addc(b, (char)c);
		}
	}
	return buf_addc(b, '"');
}

static int format_rec(const struct cel_value *v, struct buf *b, int depth)
{
	if (depth > 1000)
		return buf_adds(b, "...");
	switch (v->kind) {
	case CEL_NULL: return buf_adds(b, "null");
	case CEL_BOOL: return buf_adds(b, v->b ? "true" : "false");
	case CEL_INT: return buf_printf(b, "%" PRId64, v->i);
	case CEL_UINT: return buf_printf(b, "%" PRIu64 "u", v->u);
	case CEL_DOUBLE: {
		size_t start = b->len;
		if (v->d != v->d)
			return buf_adds(b, "double(\"NaN\")");
		if (isinf(v->d))
			return buf_adds(b, v->d > 0 ? "double(\"Infinity\")"
						    : "double(\"-Infinity\")");
		cel__format_double(v->d, b);
		if (!memchr(b->data + start, '.', b->len - start) &&
		    !memchr(b->data + start, 'e', b->len - start))
			buf_adds(b, ".0");
		return b->err;
	}
	case CEL_STRING: return cel__format_quoted(v->s->data, v->s->len, false, b);
	case CEL_BYTES: return cel__format_quoted(v->s->data, v->s->len, true, b);
	case CEL_LIST:
		buf_addc(b, '[');
		for (size_t i = 0; i < v->l->len; i++) {
			if (i)
				buf_adds(b, ", ");
			format_rec(&v->l->v[i], b, depth + 1);
		}
		return buf_addc(b, ']');
	case CEL_MAP:
		buf_addc(b, '{');
		for (size_t i = 0; i < v->m->len; i++) {
			if (i)
				buf_adds(b, ", ");
			format_rec(&v->m->k[i], b, depth + 1);
			buf_adds(b, ": ");
			format_rec(&v->m->v[i], b, depth + 1);
		}
		return buf_addc(b, '}');
	case CEL_TIMESTAMP:
		buf_adds(b, "timestamp(\"");
		cel__format_timestamp(v->i, v->nsec, b);
		return buf_adds(b, "\")");
	case CEL_DURATION:
		buf_adds(b, "duration(\"");
		cel__format_duration(v->i, v->nsec, b);
		return buf_adds(b, "\")");
	case CEL_TYPE: return buf_adds(b, cel__type_names[v->t]);
	default: return buf_adds(b, "<error>");
	}
}

int cel_value_format(const struct cel_value *v, struct buf *b)
{
	format_rec(v, b, 0);
	return b->err;
}

static void json_str(const char *p, size_t n, struct buf *b)
{
	buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
		} else if (c == '\n') {
			buf_adds(b, "\\n");
		} else if (c == '\r') {
			buf_adds(b, "\\r");
		} else if (c == '\t') {
			buf_adds(b, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(b, "\\u%04x", c);
		} else {
			buf_addc(b, (char)c);
		}
	}
	buf_addc(b, '"');
}

void cel__b64_encode(const unsigned char *p, size_t n, struct buf *b)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		uint32_t x = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			x |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			x |= p[i + 2];
		buf_addc(b, tab[(x >> 18) & 63]);
		buf_addc(b, tab[(x >> 12) & 63]);
		buf_addc(b, i + 1 < n ? tab[(x >> 6) & 63] : '=');
		buf_addc(b, i + 2 < n ? tab[x & 63] : '=');
	}
}

/* Plain text of a scalar, as string() would give it. */
static void interp_scalar(const struct cel_value *v, struct buf *b)
{
	switch (v->kind) {
	case CEL_NULL: break;
	case CEL_BOOL: buf_adds(b, v->b ? "true" : "false"); break;
	case CEL_INT: buf_printf(b, "%" PRId64, v->i); break;
	case CEL_UINT: buf_printf(b, "%" PRIu64, v->u); break;
	case CEL_DOUBLE: cel__format_double(v->d, b); break;
	case CEL_STRING: buf_add(b, v->s->data, v->s->len); break;
	case CEL_BYTES: cel__b64_encode((const unsigned char *)v->s->data, v->s->len, b); break;
	case CEL_TIMESTAMP: cel__format_timestamp(v->i, v->nsec, b); break;
	case CEL_DURATION: cel__format_duration(v->i, v->nsec, b); break;
	case CEL_TYPE: buf_adds(b, cel__type_names[v->t]); break;
	default: break;
	}
}

static void interp_json(const struct cel_value *v, struct buf *b, int depth)
{
	if (depth > 1000) {
		buf_adds(b, "null");
		return;
	}
	switch (v->kind) {
	case CEL_NULL: buf_adds(b, "null"); break;
	case CEL_BOOL:
	case CEL_INT:
	case CEL_UINT: interp_scalar(v, b); break;
	case CEL_DOUBLE:
		if (v->d != v->d || isinf(v->d)) {
			buf_addc(b, '"');
			interp_scalar(v, b);
			buf_addc(b, '"');
		} else {
			interp_scalar(v, b);
		}
		break;
	case CEL_STRING: json_str(v->s->data, v->s->len, b); break;
	case CEL_LIST:
		buf_addc(b, '[');
		for (size_t i = 0; i < v->l->len; i++) {
			if (i)
				buf_addc(b, ',');
			interp_json(&v->l->v[i], b, depth + 1);
		}
		buf_addc(b, ']');
		break;
	case CEL_MAP:
		buf_addc(b, '{');
		for (size_t i = 0; i < v->m->len; i++) {
			struct buf kb = BUF_INIT;
			if (i)
				buf_addc(b, ',');
			interp_scalar(&v->m->k[i], &kb);
			json_str(kb.data, kb.len, b);
			buf_release(&kb);
			buf_addc(b, ':');
			interp_json(&v->m->v[i], b, depth + 1);
		}
		buf_addc(b, '}');
		break;
	default: {
		struct buf sb = BUF_INIT;
		interp_scalar(v, &sb);
		json_str(sb.data, sb.len, b);
		buf_release(&sb);
	}
	}
}

int cel_value_to_string_interp(const struct cel_value *v, struct buf *b)
{
	if (v->kind == CEL_LIST || v->kind == CEL_MAP)
		interp_json(v, b, 0);
	else
		interp_scalar(v, b);
	return b->err;
}
