/*
 * The CEL evaluator: walks the compiled tree (CEL spec: Evaluation) with
 * values passed by value and everything built in the context's arena, so
 * a warm evaluation does not call malloc. Holds the operators (arithmetic
 * with overflow checks, heterogeneous equality and ordering, `in`,
 * indexing, field selection, logic that absorbs errors commutatively),
 * the comprehensions behind the macros, name resolution at run time,
 * activations, contexts, and the limits (cost, sizes, memory).
 */
#include <math.h>

#include "cel/cel_int.h"
#include "util/buf.h"
#include "util/xalloc.h"

/* ---- activations ---- */

struct cel_activation *cel_activation_new(void)
{
	return XNEW(struct cel_activation, 1);
}

void cel_activation_free(struct cel_activation *act)
{
	if (!act)
		return;
	for (size_t i = 0; i < act->n; i++) {
		free(act->b[i].name);
		cel_value_free(act->b[i].owned);
	}
	free(act->b);
	free(act);
}

const struct cel_value *cel__act_find(const struct cel_activation *act,
				      const char *name, size_t len, uint32_t hash)
{
	for (size_t i = 0; i < act->n; i++) {
		const struct cel__binding *b = &act->b[i];
		if (b->hash == hash && b->len == len && cel__mem_eq(b->name, name, len))
			return b->v;
	}
	return NULL;
}

static int bind(struct cel_activation *act, const char *name,
		const struct cel_value *v, struct cel_value *owned)
{
	size_t len = name ? strlen(name) : 0;
	uint32_t h;

	if (!act || !len || !v) {
		cel_value_free(owned);
		return -EINVAL;
	}
	h = cel__hash_bytes(name, len);
	for (size_t i = 0; i < act->n; i++) {
		struct cel__binding *b = &act->b[i];
		if (b->hash == h && b->len == len && !memcmp(b->name, name, len)) {
			cel_value_free(b->owned);
			b->v = v;
			b->owned = owned;
			return 0;
		}
	}
	XGROW(act->b, act->n + 1, act->cap);
	act->b[act->n].name = xstrdup(name);
	act->b[act->n].len = len;
	act->b[act->n].hash = h;
	act->b[act->n].v = v;
	act->b[act->n].owned = owned;
	act->n++;
	if (memchr(name, '.', len))
		act->dotted = true;
	return 0;
}

int cel_activation_bind(struct cel_activation *act, const char *name,
			struct cel_value *v)
{
	return bind(act, name, v, v);
}

int cel_activation_bind_ref(struct cel_activation *act, const char *name,
			    const struct cel_value *v)
{
	return bind(act, name, v, NULL);
}

const struct cel_value *cel_activation_get(const struct cel_activation *act,
					   const char *name)
{
	size_t len = strlen(name);
	return cel__act_find(act, name, len, cel__hash_bytes(name, len));
}

/* ---- contexts ---- */

struct cel_ctx *cel_ctx_new(void)
{
	struct cel_ctx *ctx = XNEW(struct cel_ctx, 1);
	cel__arena_init(&ctx->arena);
	return ctx;
}

void cel_ctx_reset(struct cel_ctx *ctx)
{
	cel__arena_reset(&ctx->arena);
}

void cel_ctx_free(struct cel_ctx *ctx)
{
	if (!ctx)
		return;
	cel__arena_release(&ctx->arena);
	cel__ctx_regex_release(ctx);
	cel__ctx_tz_release(ctx);
	free(ctx->slots);
	free(ctx->cache);
	free(ctx);
}

/* ---- errors and limits ---- */

static struct cel_value err_static(const struct cel__node *n, const char *msg,
				   struct cel__ev *ev)
{
	static const struct cel__errinfo oom = { "out of memory", 0 };
	struct cel_value v = { .kind = CEL__ERROR };
	struct cel__errinfo *e = cel__arena_alloc(ev->a, sizeof(*e));
	if (!e) {
		v.e = (struct cel__errinfo *)&oom;
		return v;
	}
	e->msg = msg;
	e->pos = n ? n->pos : 0;
	v.e = e;
	return v;
}

struct cel_value cel__err(struct cel__ev *ev, const struct cel__node *n,
			  const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	char *msg;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	if ((size_t)len >= sizeof(tmp))
		len = sizeof(tmp) - 1;
	msg = cel__arena_alloc(ev->a, (size_t)len + 1);
	if (!msg)
		return err_static(n, "error", ev);
	memcpy(msg, tmp, (size_t)len + 1);
	return err_static(n, msg, ev);
}

struct cel_value cel__no_overload(struct cel__ev *ev, const struct cel__node *n)
{
	if (n && n->op == CEL__OP_CALL)
		return cel__err(ev, n, "no such overload: %.*s", (int)n->call.nlen,
				n->call.name);
	return err_static(n, "no such overload", ev);
}

struct cel_value cel__limit(struct cel__ev *ev, const struct cel__node *n,
			    const char *fmt, ...)
{
	static const struct cel__errinfo lim = { "limit exceeded", 0 };
	struct cel_value v = { .kind = CEL__ERROR };
	va_list ap;

	if (!ev->abort) {
		ev->abort = -E2BIG;
		ev->abort_pos = n ? n->pos : 0;
		va_start(ap, fmt);
		vsnprintf(ev->abort_msg, sizeof(ev->abort_msg), fmt, ap);
		va_end(ap);
	}
	v.e = (struct cel__errinfo *)&lim;
	return v;
}

bool cel__charge(struct cel__ev *ev, const struct cel__node *n, uint64_t units)
{
	ev->cost += units;
	if (ev->cost > ev->max_cost && !ev->abort)
		cel__limit(ev, n, "evaluation cost limit exceeded (limit max_cost=%" PRIu64 ")",
			   ev->max_cost);
	return !ev->abort;
}

static struct cel_value mem_limit(struct cel__ev *ev, const struct cel__node *n)
{
	return cel__limit(ev, n, "evaluation memory limit exceeded (limit max_memory=%zu)",
			  ev->lim->max_memory);
}

struct cel_value cel__mk_string(struct cel__ev *ev, const struct cel__node *n,
				const char *p, size_t len, bool bytes)
{
	struct cel_value v = { .kind = bytes ? CEL_BYTES : CEL_STRING };

	if (len > ev->lim->max_string_len)
		return cel__limit(ev, n, "%s too long: %zu bytes (limit max_string_len=%zu)",
				  bytes ? "bytes value" : "string", len,
				  ev->lim->max_string_len);
	if (!cel__charge(ev, n, len / 64))
		return err_static(n, "limit", ev);
	v.s = cel__str_new(ev->a, p, len);
	if (!v.s)
		return mem_limit(ev, n);
	return v;
}

struct cel__list *cel__mk_list(struct cel__ev *ev, const struct cel__node *n,
			       size_t cap)
{
	struct cel__list *l;

	if (cap > ev->lim->max_list_len) {
		cel__limit(ev, n, "list too long: %zu elements (limit max_list_len=%zu)",
			   cap, ev->lim->max_list_len);
		return NULL;
	}
	if (!cel__charge(ev, n, cap))
		return NULL;
	l = cel__list_new(ev->a, cap);
	if (!l)
		mem_limit(ev, n);
	return l;
}

bool cel__list_push(struct cel__ev *ev, const struct cel__node *n,
		    struct cel__list *l, struct cel_value v)
{
	/* Building a list costs its elements, and an element that is itself a
	 * collection costs its size: nested map() bombs end early. */
	uint64_t units = 1;
	if (v.kind == CEL_LIST)
		units += v.l->len;
	else if (v.kind == CEL_MAP)
		units += v.m->len;
	if (!cel__charge(ev, n, units))
		return false;
	if (l->len >= ev->lim->max_list_len) {
		cel__limit(ev, n, "list too long (limit max_list_len=%zu)",
			   ev->lim->max_list_len);
		return false;
	}
	if (l->len == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct cel_value *nv;
		nv = cel__arena_alloc(ev->a, ncap * sizeof(*nv));
		if (!nv) {
			mem_limit(ev, n);
			return false;
		}
		if (l->len)
			memcpy(nv, l->v, l->len * sizeof(*nv));
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->len++] = v;
	return true;
}

/* ---- names ---- */

static struct cel_value select_field(struct cel__ev *ev, const struct cel__node *n,
				     struct cel_value x, const struct cel__seg *f,
				     bool test)
{
	long i;

	if (x.kind == CEL__ERROR)
		return x;
	if (x.kind != CEL_MAP)
		return cel__err(ev, n, "type '%s' does not support field selection",
				cel__type_names[cel__type_of(&x)]);
	i = cel__map_find_str(x.m, f->name, f->len, f->hash);
	if (test)
		return cel__v_bool(i >= 0);
	if (i < 0)
		return cel__err(ev, n, "no such key: '%.*s'", (int)f->len, f->name);
	return x.m->v[i];
}

/* Qualified names (CEL spec: Name Resolution): a.b.c is tried as the
 * variable "a.b.c", then "a.b" with field c, then "a" with fields b, c;
 * each within the container first (com.example.a.b.c, com.a.b.c, ...). */
__attribute__((noinline)) static struct cel_value ident_slow(struct cel__ev *ev, const struct cel__node *n)
{
	const char *cont = n->sub ? NULL : ev->p->container;
	size_t clen = cont ? strlen(cont) : 0;
	size_t total = clen + 1;
	char *buf;

	for (uint32_t i = 0; i < n->id.nsegs; i++)
		total += n->id.segs[i].len + 1;
	buf = cel__arena_alloc(ev->a, total);
	if (!buf)
		return mem_limit(ev, n);
	/* container prefixes, longest first, then none */
	for (size_t cl = clen;;) {
		for (uint32_t k = n->id.nsegs; k >= 1; k--) {
			size_t len = 0;
			if (cl) {
				memcpy(buf, cont, cl);
				len = cl;
				buf[len++] = '.';
			}
			for (uint32_t i = 0; i < k; i++) {
				if (i)
					buf[len++] = '.';
				memcpy(buf + len, n->id.segs[i].name, n->id.segs[i].len);
				len += n->id.segs[i].len;
			}
			const struct cel_value *v =
				cel__act_find(ev->act, buf, len, cel__hash_bytes(buf, len));
			if (v) {
				struct cel_value x = *v;
				for (uint32_t i = k; i < n->id.nsegs; i++)
					x = select_field(ev, n, x, &n->id.segs[i], false);
				return x;
			}
		}
		if (!cl)
			break;
		while (cl > 0 && cont[cl - 1] != '.')
			cl--;
		if (cl)
			cl--;
	}
	return cel__err(ev, n, "undeclared reference to '%.*s'",
			(int)n->id.segs[0].len, n->id.segs[0].name);
}

/* Names resolve to the same value for a whole evaluation: the first use
 * resolves (CEL spec: Name Resolution), later uses hit the cache. */
static inline struct cel_value eval_ident(struct cel__ev *ev, const struct cel__node *n)
{
	struct cel__cached *c = &ev->cache[n->id.global];
	const struct cel_value *v;
	struct cel_value x;

	if (c->gen == ev->gen)
		return c->v;
	if (ev->act && ev->act->dotted) {
		x = ident_slow(ev, n);
	} else {
		v = ev->act ? cel__act_find(ev->act, n->id.segs[0].name, n->id.segs[0].len,
					    n->id.segs[0].hash)
			    : NULL;
		if (!v)
			return cel__err(ev, n, "undeclared reference to '%.*s'",
					(int)n->id.segs[0].len, n->id.segs[0].name);
		x = *v;
		for (uint32_t i = 1; i < n->id.nsegs; i++)
			x = select_field(ev, n, x, &n->id.segs[i], false);
	}
	c->gen = ev->gen;
	c->v = x;
	return x;
}

/* ---- operators ---- */

__attribute__((noinline)) static struct cel_value concat(struct cel__ev *ev, const struct cel__node *n,
			       struct cel_value a, struct cel_value b)
{
	if (a.kind == CEL_STRING || a.kind == CEL_BYTES) {
		size_t len = a.s->len + b.s->len;
		struct cel_value r;
		if (len > ev->lim->max_string_len || len < a.s->len)
			return cel__limit(ev, n, "string too long: %zu bytes (limit max_string_len=%zu)",
					  len, ev->lim->max_string_len);
		r = cel__mk_string(ev, n, NULL, len, a.kind == CEL_BYTES);
		if (r.kind == CEL__ERROR)
			return r;
		memcpy(r.s->data, a.s->data, a.s->len);
		memcpy(r.s->data + a.s->len, b.s->data, b.s->len);
		r.s->data[len] = '\0';
		return r;
	}
	/* lists */
	size_t len = a.l->len + b.l->len;
	struct cel__list *l;
	struct cel_value r = { .kind = CEL_LIST };
	if (!b.l->len)
		return a;
	if (!a.l->len)
		return b;
	l = cel__mk_list(ev, n, len);
	if (!l)
		return err_static(n, "limit", ev);
	memcpy(l->v, a.l->v, a.l->len * sizeof(*l->v));
	memcpy(l->v + a.l->len, b.l->v, b.l->len * sizeof(*l->v));
	l->len = len;
	r.l = l;
	return r;
}

static struct cel_value overflow(struct cel__ev *ev, const struct cel__node *n)
{
	return err_static(n, "integer overflow", ev);
}

/* CEL spec: arithmetic overloads; Overflow. */
__attribute__((noinline)) static struct cel_value arith(struct cel__ev *ev, const struct cel__node *n,
			      struct cel_value a, struct cel_value b)
{
	int op = n->op;

	if (a.kind != b.kind) {
		if (op == CEL__OP_ADD &&
		    ((a.kind == CEL_TIMESTAMP && b.kind == CEL_DURATION) ||
		     (a.kind == CEL_DURATION && b.kind == CEL_TIMESTAMP)))
			return cel__time_add(ev, n, &a, &b, false);
		if (op == CEL__OP_SUB && a.kind == CEL_TIMESTAMP && b.kind == CEL_DURATION)
			return cel__time_add(ev, n, &a, &b, true);
		return err_static(n, "no such overload", ev);
	}
	switch (a.kind) {
	case CEL_INT: {
		int64_t r;
		switch (op) {
		case CEL__OP_ADD:
			if (__builtin_add_overflow(a.i, b.i, &r))
				return overflow(ev, n);
			return cel__v_int(r);
		case CEL__OP_SUB:
			if (__builtin_sub_overflow(a.i, b.i, &r))
				return overflow(ev, n);
			return cel__v_int(r);
		case CEL__OP_MUL:
			if (__builtin_mul_overflow(a.i, b.i, &r))
				return overflow(ev, n);
			return cel__v_int(r);
		case CEL__OP_DIV:
		case CEL__OP_MOD:
			if (b.i == 0)
				return err_static(n, op == CEL__OP_DIV ? "division by zero" : "modulus by zero", ev);
			if (b.i == -1 && a.i == INT64_MIN)
				return overflow(ev, n);
			/* C truncates toward zero, as CEL does. */
			return cel__v_int(op == CEL__OP_DIV ? a.i / b.i : a.i % b.i);
		}
		break;
	}
	case CEL_UINT: {
		uint64_t r;
		switch (op) {
		case CEL__OP_ADD:
			if (__builtin_add_overflow(a.u, b.u, &r))
				return overflow(ev, n);
			return cel__v_uint(r);
		case CEL__OP_SUB:
			if (__builtin_sub_overflow(a.u, b.u, &r))
				return overflow(ev, n);
			return cel__v_uint(r);
		case CEL__OP_MUL:
			if (__builtin_mul_overflow(a.u, b.u, &r))
				return overflow(ev, n);
			return cel__v_uint(r);
		case CEL__OP_DIV:
		case CEL__OP_MOD:
			if (b.u == 0)
				return err_static(n, op == CEL__OP_DIV ? "division by zero" : "modulus by zero", ev);
			return cel__v_uint(op == CEL__OP_DIV ? a.u / b.u : a.u % b.u);
		}
		break;
	}
	case CEL_DOUBLE:
		switch (op) {
		case CEL__OP_ADD: return cel__v_double(a.d + b.d);
		case CEL__OP_SUB: return cel__v_double(a.d - b.d);
		case CEL__OP_MUL: return cel__v_double(a.d * b.d);
		case CEL__OP_DIV: return cel__v_double(a.d / b.d);
		}
		break;
	case CEL_STRING:
	case CEL_BYTES:
	case CEL_LIST:
		if (op == CEL__OP_ADD)
			return concat(ev, n, a, b);
		break;
	case CEL_DURATION:
		if (op == CEL__OP_ADD || op == CEL__OP_SUB)
			return cel__time_add(ev, n, &a, &b, op == CEL__OP_SUB);
		break;
	case CEL_TIMESTAMP:
		if (op == CEL__OP_SUB)
			return cel__time_add(ev, n, &a, &b, true);
		break;
	}
	return err_static(n, "no such overload", ev);
}

__attribute__((noinline)) static struct cel_value index_op(struct cel__ev *ev, const struct cel__node *n,
				 struct cel_value x, struct cel_value k)
{
	if (x.kind == CEL_LIST) {
		int64_t i;
		if (k.kind == CEL_INT) {
			i = k.i;
		} else if (k.kind == CEL_UINT) {
			i = k.u > INT64_MAX ? -1 : (int64_t)k.u;
		} else if (k.kind == CEL_DOUBLE) {
			if (k.d != trunc(k.d) || !(k.d > -1e18 && k.d < 1e18))
				return cel__err(ev, n, "unsupported index value %g", k.d);
			i = (int64_t)k.d;
		} else {
			return err_static(n, "no such overload", ev);
		}
		if (i < 0 || (uint64_t)i >= x.l->len)
			return cel__err(ev, n, "index out of range: %" PRId64, i);
		return x.l->v[i];
	}
	if (x.kind == CEL_MAP) {
		long i;
		if (!cel__valid_key(&k) && k.kind != CEL_DOUBLE)
			return cel__err(ev, n, "no such key (unsupported key type %s)",
					cel__type_names[cel__type_of(&k)]);
		i = cel__map_find(x.m, &k);
		if (i < 0) {
			if (k.kind == CEL_STRING)
				return cel__err(ev, n, "no such key: '%s'", k.s->data);
			return err_static(n, "no such key", ev);
		}
		return x.m->v[i];
	}
	return err_static(n, "no such overload", ev);
}

__attribute__((noinline)) static struct cel_value in_op(struct cel__ev *ev, const struct cel__node *n,
			      struct cel_value x, struct cel_value c)
{
	if (c.kind == CEL_LIST) {
		const struct cel_value *e = c.l->v;
		if (!cel__charge(ev, n, c.l->len / 8))
			return err_static(n, "limit", ev);
		if (x.kind == CEL_STRING) {
			for (size_t i = 0; i < c.l->len; i++)
				if (e[i].kind == CEL_STRING && e[i].s->len == x.s->len &&
				    cel__mem_eq(e[i].s->data, x.s->data, x.s->len))
					return cel__v_bool(true);
			return cel__v_bool(false);
		}
		for (size_t i = 0; i < c.l->len; i++)
			if (cel__equal(&x, &e[i]))
				return cel__v_bool(true);
		return cel__v_bool(false);
	}
	if (c.kind == CEL_MAP)
		return cel__v_bool(cel__map_find(c.m, &x) >= 0);
	return err_static(n, "no such overload", ev);
}

/* CEL spec: Logical Operators. && and || are commutative with respect to
 * errors: false && error is false, error && false is false. */
static struct cel_value logic(struct cel__ev *ev, const struct cel__node *n, bool is_and)
{
	struct cel_value err = { .kind = CEL_NULL };
	bool have_err = false;

	for (uint32_t i = 0; i < n->nargs; i++) {
		struct cel_value v = cel__eval_node(ev, n->k.args[i]);
		if (ev->abort)
			return v;
		if (v.kind == CEL_BOOL) {
			if (v.b != is_and)
				return v; /* false for &&, true for || */
			continue;
		}
		if (!have_err) {
			err = v.kind == CEL__ERROR ? v : err_static(n, "no such overload", ev);
			have_err = true;
		}
	}
	return have_err ? err : cel__v_bool(is_and);
}

__attribute__((noinline)) static struct cel_value make_map(struct cel__ev *ev, const struct cel__node *n)
{
	struct cel__map *m;
	struct cel_value r = { .kind = CEL_MAP };

	if (n->nargs > ev->lim->max_list_len)
		return cel__limit(ev, n, "map too large (limit max_list_len=%zu)",
				  ev->lim->max_list_len);
	if (!cel__charge(ev, n, n->nargs))
		return err_static(n, "limit", ev);
	m = cel__map_new(ev->a, n->nargs);
	if (!m)
		return mem_limit(ev, n);
	for (uint32_t i = 0; i < n->nargs; i++) {
		struct cel_value k = cel__eval_node(ev, n->map.keys[i]);
		if (k.kind == CEL__ERROR)
			return k;
		struct cel_value v = cel__eval_node(ev, n->map.vals[i]);
		if (v.kind == CEL__ERROR)
			return v;
		if (!cel__valid_key(&k))
			return cel__err(ev, n->map.keys[i], "unsupported key type %s",
					cel__type_names[cel__type_of(&k)]);
		if (cel__map_find(m, &k) >= 0)
			return err_static(n->map.keys[i], "Failed with repeated key", ev);
		if (cel__map_add(ev->a, m, k, v) < 0)
			return mem_limit(ev, n);
	}
	if (cel__map_finish(ev->a, m) < 0)
		return mem_limit(ev, n);
	r.m = m;
	return r;
}

__attribute__((noinline)) static struct cel_value make_list(struct cel__ev *ev, const struct cel__node *n)
{
	struct cel__list *l = cel__mk_list(ev, n, n->nargs);
	struct cel_value r = { .kind = CEL_LIST };

	if (!l)
		return err_static(n, "limit", ev);
	for (uint32_t i = 0; i < n->nargs; i++) {
		struct cel_value v = cel__eval_node(ev, n->k.args[i]);
		if (v.kind == CEL__ERROR)
			return v;
		l->v[i] = v;
	}
	l->len = n->nargs;
	r.l = l;
	return r;
}

/* CEL spec: Macros. all/exists absorb errors like &&/||; the others are
 * strict. */
__attribute__((noinline)) static struct cel_value comprehension(struct cel__ev *ev, const struct cel__node *n)
{
	struct cel_value range = cel__eval_node(ev, n->comp.range);
	struct cel_value *slot = &ev->slots[n->comp.var];
	struct cel_value err = { .kind = CEL_NULL }, v;
	struct cel__list *out = NULL;
	bool have_err = false;
	int kind = n->sub;
	size_t len, count = 0;

	if (range.kind == CEL__ERROR)
		return range;
	if (range.kind == CEL_LIST)
		len = range.l->len;
	else if (range.kind == CEL_MAP)
		len = range.m->len;
	else
		return cel__err(ev, n, "%s() cannot range over a value of type %s",
				kind == CEL__C_ALL ? "all" : kind == CEL__C_EXISTS ? "exists" :
				kind == CEL__C_EXISTS_ONE ? "exists_one" :
				kind == CEL__C_FILTER ? "filter" : "map",
				cel__type_names[cel__type_of(&range)]);
	if (kind == CEL__C_MAP || kind == CEL__C_MAP_FILTER || kind == CEL__C_FILTER) {
		out = cel__mk_list(ev, n, 0);
		if (!out)
			return err_static(n, "limit", ev);
	}
	for (size_t i = 0; i < len; i++) {
		if (!cel__charge(ev, n, 1))
			return err_static(n, "limit", ev);
		*slot = range.kind == CEL_LIST ? range.l->v[i] : range.m->k[i];
		if (kind == CEL__C_MAP) {
			v = cel__eval_node(ev, n->comp.expr);
			if (v.kind == CEL__ERROR)
				return v;
			if (!cel__list_push(ev, n, out, v))
				return err_static(n, "limit", ev);
			continue;
		}
		v = cel__eval_node(ev, n->comp.pred);
		if (ev->abort)
			return v;
		if (v.kind != CEL_BOOL) {
			if (v.kind != CEL__ERROR)
				v = err_static(n->comp.pred, "no such overload: predicate is not a bool", ev);
			if (kind == CEL__C_ALL || kind == CEL__C_EXISTS) {
				if (!have_err) {
					err = v;
					have_err = true;
				}
				continue;
			}
			return v;
		}
		switch (kind) {
		case CEL__C_ALL:
			if (!v.b)
				return v;
			break;
		case CEL__C_EXISTS:
			if (v.b)
				return v;
			break;
		case CEL__C_EXISTS_ONE:
			count += v.b;
			break;
		case CEL__C_FILTER:
			if (v.b && !cel__list_push(ev, n, out, *slot))
				return err_static(n, "limit", ev);
			break;
		case CEL__C_MAP_FILTER:
			if (v.b) {
				struct cel_value e = cel__eval_node(ev, n->comp.expr);
				if (e.kind == CEL__ERROR)
					return e;
				if (!cel__list_push(ev, n, out, e))
					return err_static(n, "limit", ev);
			}
			break;
		}
	}
	switch (kind) {
	case CEL__C_ALL:
	case CEL__C_EXISTS:
		return have_err ? err : cel__v_bool(kind == CEL__C_ALL);
	case CEL__C_EXISTS_ONE:
		return cel__v_bool(count == 1);
	default: {
		struct cel_value r = { .kind = CEL_LIST };
		r.l = out;
		return r;
	}
	}
}

static struct cel_value call(struct cel__ev *ev, const struct cel__node *n)
{
	struct cel_value small[8], *args = small;
	uint32_t argc = n->nargs;

	if (!n->call.fn) {
		if (n->sub)
			return cel__err(ev, n, "unbound function '%.*s'", (int)n->call.nlen,
					n->call.name);
		return cel__no_overload(ev, n);
	}
	if (argc > 8) {
		args = cel__arena_alloc(ev->a, argc * sizeof(*args));
		if (!args)
			return mem_limit(ev, n);
	}
	for (uint32_t i = 0; i < argc; i++) {
		args[i] = cel__eval_node(ev, n->call.args[i]);
		if (args[i].kind == CEL__ERROR)
			return args[i];
	}
	return n->call.fn->fn(ev, n, args, (int)argc);
}

struct cel_value cel__over_budget(struct cel__ev *ev, const struct cel__node *n)
{
	return cel__limit(ev, n, "evaluation cost limit exceeded (limit max_cost=%" PRIu64 ")",
			  ev->max_cost);
}

/* ---- node functions: one per operator, some specialized by operands ---- */

static struct cel_value ev_lit(struct cel__ev *ev, const struct cel__node *n)
{
	return n->lit;
}

static struct cel_value ev_local(struct cel__ev *ev, const struct cel__node *n)
{
	return ev->slots[n->id.slot];
}

static struct cel_value ev_ident(struct cel__ev *ev, const struct cel__node *n)
{
	return eval_ident(ev, n);
}

static struct cel_value ev_select(struct cel__ev *ev, const struct cel__node *n)
{
	return select_field(ev, n, cel__eval_node(ev, n->sel.x), &n->sel.f,
			    n->op == CEL__OP_HAS);
}

static struct cel_value ev_call(struct cel__ev *ev, const struct cel__node *n)
{
	return call(ev, n);
}

static struct cel_value ev_and(struct cel__ev *ev, const struct cel__node *n)
{
	return logic(ev, n, true);
}

static struct cel_value ev_or(struct cel__ev *ev, const struct cel__node *n)
{
	return logic(ev, n, false);
}

static struct cel_value ev_cond(struct cel__ev *ev, const struct cel__node *n)
{
	struct cel_value a = cel__eval_node(ev, n->k.args[0]);
	if (a.kind != CEL_BOOL)
		return a.kind == CEL__ERROR ? a : err_static(n, "no such overload", ev);
	return cel__eval_node(ev, n->k.args[a.b ? 1 : 2]);
}

static struct cel_value ev_not(struct cel__ev *ev, const struct cel__node *n)
{
	struct cel_value a = cel__eval_node(ev, n->k.args[0]);
	if (a.kind == CEL_BOOL)
		return cel__v_bool(!a.b);
	return a.kind == CEL__ERROR ? a : err_static(n, "no such overload", ev);
}

static struct cel_value ev_neg(struct cel__ev *ev, const struct cel__node *n)
{
	struct cel_value a = cel__eval_node(ev, n->k.args[0]);
	if (a.kind == CEL_INT) {
		if (a.i == INT64_MIN)
			return overflow(ev, n);
		return cel__v_int(-a.i);
	}
	if (a.kind == CEL_DOUBLE)
		return cel__v_double(-a.d);
	if (a.kind == CEL_DURATION)
		return cel__v_time(CEL_DURATION, -a.i, -a.nsec);
	return a.kind == CEL__ERROR ? a : err_static(n, "no such overload", ev);
}

static struct cel_value ev_list(struct cel__ev *ev, const struct cel__node *n)
{
	return make_list(ev, n);
}

static struct cel_value ev_map(struct cel__ev *ev, const struct cel__node *n)
{
	return make_map(ev, n);
}

static struct cel_value ev_comp(struct cel__ev *ev, const struct cel__node *n)
{
	return comprehension(ev, n);
}

static struct cel_value ev_error(struct cel__ev *ev, const struct cel__node *n)
{
	return err_static(n, n->msg, ev);
}

/* What comparing a value costs beyond one step: long strings and
 * collections are compared element by element. */
static inline uint64_t size_units(const struct cel_value *v)
{
	switch (v->kind) {
	case CEL_STRING:
	case CEL_BYTES: return v->s->len / 64;
	case CEL_LIST: return v->l->len;
	case CEL_MAP: return v->m->len;
	default: return 0;
	}
}

/* Binary operators are strict in both operands. */
#define OPERANDS(a, b)                                                     \
	struct cel_value a = cel__eval_node(ev, n->k.args[0]), b;          \
	if (a.kind == CEL__ERROR)                                          \
		return a;                                                  \
	b = cel__eval_node(ev, n->k.args[1]);                              \
	if (b.kind == CEL__ERROR)                                          \
		return b

static struct cel_value ev_arith(struct cel__ev *ev, const struct cel__node *n)
{
	OPERANDS(a, b);
	return arith(ev, n, a, b);
}

static struct cel_value ev_eq(struct cel__ev *ev, const struct cel__node *n)
{
	OPERANDS(a, b);
	bool eq;
	if (a.kind == CEL_STRING && b.kind == CEL_STRING)
		eq = a.s->len == b.s->len && cel__mem_eq(a.s->data, b.s->data, a.s->len);
	else if (a.kind == CEL_INT && b.kind == CEL_INT)
		eq = a.i == b.i;
	else if (!cel__charge(ev, n, size_units(&a)))
		return err_static(n, "limit", ev);
	else
		eq = cel__equal(&a, &b);
	return cel__v_bool(eq == (n->op == CEL__OP_EQ));
}

static struct cel_value ev_index(struct cel__ev *ev, const struct cel__node *n)
{
	OPERANDS(a, b);
	return index_op(ev, n, a, b);
}

static struct cel_value ev_in(struct cel__ev *ev, const struct cel__node *n)
{
	OPERANDS(a, b);
	return in_op(ev, n, a, b);
}

/* x in ['a', 'b']: a literal list of strings. */
static struct cel_value ev_in_strings(struct cel__ev *ev, const struct cel__node *n)
{
	struct cel_value a = cel__eval_node(ev, n->k.args[0]);
	const struct cel__list *l = n->k.args[1]->lit.l;

	if (a.kind != CEL_STRING)
		return a.kind == CEL__ERROR ? a : in_op(ev, n, a, n->k.args[1]->lit);
	for (size_t i = 0; i < l->len; i++) {
		const struct cel__str *s = l->v[i].s;
		if (s->len == a.s->len && cel__mem_eq(s->data, a.s->data, s->len))
			return cel__v_bool(true);
	}
	return cel__v_bool(false);
}

static struct cel_value ev_cmp(struct cel__ev *ev, const struct cel__node *n)
{
	OPERANDS(a, b);
	int c;
	if (a.kind == CEL_INT && b.kind == CEL_INT)
		c = (a.i > b.i) - (a.i < b.i);
	else if (!cel__charge(ev, n, size_units(&a)))
		return err_static(n, "limit", ev);
	else
		c = cel__compare(&a, &b);
	if (c == -2)
		return err_static(n, "no such overload", ev);
	if (c == 2)
		return cel__v_bool(false); /* NaN is unordered */
	switch (n->op) {
	case CEL__OP_LT: return cel__v_bool(c < 0);
	case CEL__OP_LE: return cel__v_bool(c <= 0);
	case CEL__OP_GT: return cel__v_bool(c > 0);
	default: return cel__v_bool(c >= 0);
	}
}

static bool lit_strings(const struct cel__node *n)
{
	if (n->op != CEL__OP_LIT || n->lit.kind != CEL_LIST)
		return false;
	for (size_t i = 0; i < n->lit.l->len; i++)
		if (n->lit.l->v[i].kind != CEL_STRING)
			return false;
	return true;
}

void cel__link(struct cel__node *n)
{
	switch (n->op) {
	case CEL__OP_LIT: n->eval = ev_lit; return;
	case CEL__OP_LOCAL: n->eval = ev_local; return;
	case CEL__OP_IDENT: n->eval = ev_ident; return;
	case CEL__OP_SELECT:
	case CEL__OP_HAS:
		n->eval = ev_select;
		cel__link(n->sel.x);
		return;
	case CEL__OP_CALL:
		n->eval = ev_call;
		for (uint32_t i = 0; i < n->nargs; i++)
			cel__link(n->call.args[i]);
		return;
	case CEL__OP_MAP:
		n->eval = ev_map;
		for (uint32_t i = 0; i < n->nargs; i++) {
			cel__link(n->map.keys[i]);
			cel__link(n->map.vals[i]);
		}
		return;
	case CEL__OP_COMP:
		n->eval = ev_comp;
		cel__link(n->comp.range);
		if (n->comp.pred)
			cel__link(n->comp.pred);
		if (n->comp.expr)
			cel__link(n->comp.expr);
		return;
	case CEL__OP_MSG:
	case CEL__OP_ERROR: n->eval = ev_error; return;
	case CEL__OP_AND: n->eval = ev_and; break;
	case CEL__OP_OR: n->eval = ev_or; break;
	case CEL__OP_COND: n->eval = ev_cond; break;
	case CEL__OP_NOT: n->eval = ev_not; break;
	case CEL__OP_NEG: n->eval = ev_neg; break;
	case CEL__OP_LIST: n->eval = ev_list; break;
	case CEL__OP_EQ:
	case CEL__OP_NE: n->eval = ev_eq; break;
	case CEL__OP_INDEX: n->eval = ev_index; break;
	case CEL__OP_IN:
		n->eval = lit_strings(n->k.args[1]) ? ev_in_strings : ev_in;
		break;
	case CEL__OP_LT:
	case CEL__OP_LE:
	case CEL__OP_GT:
	case CEL__OP_GE: n->eval = ev_cmp; break;
	default: n->eval = ev_arith; break;
	}
	for (uint32_t i = 0; i < n->nargs; i++)
		cel__link(n->k.args[i]);
}

int cel_eval(const struct cel_program *p, const struct cel_activation *act,
	     struct cel_ctx *ctx, const struct cel_value **out,
	     struct cel_error *err)
{
	struct cel__ev ev;
	struct cel_value v, *res;

	if (ctx->arena.used)
		cel__arena_reset(&ctx->arena);
	ctx->arena.limit = p->lim.max_memory;
	if ((size_t)p->nslots > ctx->nslots) {
		ctx->slots = xrealloc(ctx->slots, (size_t)p->nslots * sizeof(*ctx->slots));
		ctx->nslots = (size_t)p->nslots;
	}
	if ((size_t)p->nglobals > ctx->ncache) {
		ctx->cache = xrealloc(ctx->cache, (size_t)p->nglobals * sizeof(*ctx->cache));
		memset(ctx->cache + ctx->ncache, 0,
		       ((size_t)p->nglobals - ctx->ncache) * sizeof(*ctx->cache));
		ctx->ncache = (size_t)p->nglobals;
	}
	ctx->gen++;
	ev.p = p;
	ev.act = act;
	ev.ctx = ctx;
	ev.a = &ctx->arena;
	ev.slots = ctx->slots;
	ev.cache = ctx->cache;
	ev.gen = ctx->gen;
	ev.cost = 0;
	ev.max_cost = p->lim.max_cost;
	ev.lim = &p->lim;
	ev.abort = 0;
	ev.abort_pos = 0;
	ev.abort_msg[0] = '\0';
	v = cel__eval_node(&ev, p->root);
	if (ev.abort) {
		cel__error_at(p->src, p->srclen, ev.abort_pos, err, "%s", ev.abort_msg);
		return ev.abort;
	}
	if (v.kind == CEL__ERROR) {
		cel__error_at(p->src, p->srclen, v.e->pos, err, "%s", v.e->msg);
		return -EINVAL;
	}
	res = &ctx->result;
	*res = v;
	res->flags = 0;
	*out = res;
	return 0;
}
