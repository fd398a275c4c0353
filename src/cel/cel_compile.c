/*
 * Compiling: parse (cel_parse.c), then one pass over the tree that does
 * what can be done once instead of at every evaluation: comprehension
 * variables become slots, qualified names (a.b.c) become one node whose
 * root is an interned global, type names become constants, function names
 * are resolved to their implementation, literal lists and maps are built
 * once, and literal regular expressions are compiled.
 */
#include "cel/cel_int.h"
#include "util/xalloc.h"

struct scope {
	const struct cel__seg *name;
	int slot;
	const struct scope *up;
};

struct compiler {
	struct cel_program *p;
	struct cel_error *err;
	int rc;
};

void cel_limits_default(struct cel_limits *lim)
{
	lim->max_source_len = CEL_DEFAULT_MAX_SOURCE_LEN;
	lim->max_depth = CEL_DEFAULT_MAX_DEPTH;
	lim->max_cost = CEL_DEFAULT_MAX_COST;
	lim->max_string_len = CEL_DEFAULT_MAX_STRING_LEN;
	lim->max_list_len = CEL_DEFAULT_MAX_LIST_LEN;
	lim->max_memory = CEL_DEFAULT_MAX_MEMORY;
}

static void limits_fill(struct cel_limits *dst, const struct cel_limits *src)
{
	cel_limits_default(dst);
	if (!src)
		return;
	if (src->max_source_len)
		dst->max_source_len = src->max_source_len;
	if (src->max_depth)
		/* The passes recurse over the tree: keep the stack bounded. */
		dst->max_depth = src->max_depth > 1000 ? 1000 : src->max_depth;
	if (src->max_cost)
		dst->max_cost = src->max_cost;
	if (src->max_string_len)
		dst->max_string_len = src->max_string_len;
	if (src->max_list_len)
		dst->max_list_len = src->max_list_len;
	if (src->max_memory)
		dst->max_memory = src->max_memory;
}

/* Interns a (qualified) name: every use of the same name shares one slot
 * of the per-evaluation cache of resolved names. */
static int global_index(struct cel_program *p, const char *name, size_t len, bool dot)
{
	for (int i = 0; i < p->nglobals; i++)
		if (p->globals[i].len == len && p->globals[i].dot == dot &&
		    !memcmp(p->globals[i].name, name, len))
			return i;
	if (p->nglobals == p->capglobals) {
		p->capglobals = p->capglobals ? p->capglobals * 2 : 8;
		p->globals = xrealloc(p->globals, (size_t)p->capglobals * sizeof(*p->globals));
	}
	p->globals[p->nglobals].name = name;
	p->globals[p->nglobals].len = len;
	p->globals[p->nglobals].hash = cel__hash_bytes(name, len);
	p->globals[p->nglobals].dot = dot;
	return p->nglobals++;
}

static const struct scope *find_local(const struct scope *sc, const struct cel__seg *s)
{
	for (; sc; sc = sc->up)
		if (sc->name->len == s->len && !memcmp(sc->name->name, s->name, s->len))
			return sc;
	return NULL;
}

/* Counts the segments of a select chain rooted at a non-local identifier;
 * 0 if the chain is not such a name. */
static uint32_t chain_len(const struct cel__node *n, const struct scope *sc)
{
	uint32_t k = 1;
	while (n->op == CEL__OP_SELECT) {
		k++;
		n = n->sel.x;
	}
	if (n->op != CEL__OP_IDENT || n->id.nsegs != 1)
		return 0;
	if (!n->sub && find_local(sc, &n->id.segs[0]))
		return 0;
	return k;
}

/* Joins a name chain into "a.b.c" (arena). */
static char *chain_name(struct cel_program *p, const struct cel__seg *segs,
			uint32_t n, size_t *len)
{
	size_t total = 0;
	for (uint32_t i = 0; i < n; i++)
		total += segs[i].len + 1;
	char *s = cel__arena_alloc(&p->mem, total + 1);
	size_t k = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			s[k++] = '.';
		memcpy(s + k, segs[i].name, segs[i].len);
		k += segs[i].len;
	}
	s[k] = '\0';
	*len = k;
	return s;
}

/* Collapses the select chain at *np into one qualified identifier. */
static void collapse(struct cel_program *p, struct cel__node *n, uint32_t k)
{
	struct cel__seg *segs = cel__arena_alloc(&p->mem, k * sizeof(*segs));
	struct cel__node *x = n;
	for (uint32_t i = k; i-- > 1;) {
		segs[i] = x->sel.f;
		x = x->sel.x;
	}
	segs[0] = x->id.segs[0];
	n->op = CEL__OP_IDENT;
	n->sub = x->sub;
	n->pos = x->pos;
	n->id.segs = segs;
	n->id.nsegs = k;
	n->id.global = -1;
	n->id.type = -1;
	n->id.slot = 0;
}

static void to_lit(struct cel__node *n, struct cel_value v)
{
	n->op = CEL__OP_LIT;
	n->nargs = 0;
	n->lit = v;
}

static void compile_regex(struct cel_program *p, struct cel__node *n)
{
	const struct cel__node *pat = n->call.args[1];
	char msg[128];
	void *code;

	if (pat->op != CEL__OP_LIT || pat->lit.kind != CEL_STRING)
		return;
	code = cel__regex_compile(pat->lit.s->data, pat->lit.s->len, msg, sizeof(msg));
	if (!code)
		return; /* the evaluation reports the error */
	XGROW(p->regexes, p->nregex + 1, p->capregex);
	p->regexes[p->nregex++] = code;
	n->call.aux = code;
}

static bool all_lit(struct cel__node **v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i]->op != CEL__OP_LIT)
			return false;
	return true;
}

/* Literal lists and maps are built once, in the program. */
static void fold(struct cel_program *p, struct cel__node *n)
{
	if (n->op == CEL__OP_LIST && all_lit(n->k.args, n->nargs)) {
		struct cel__list *l = cel__list_new(&p->mem, n->nargs);
		struct cel_value v = { .kind = CEL_LIST };
		for (uint32_t i = 0; i < n->nargs; i++)
			l->v[i] = n->k.args[i]->lit;
		l->len = n->nargs;
		v.l = l;
		to_lit(n, v);
	} else if (n->op == CEL__OP_MAP && all_lit(n->map.keys, n->nargs) &&
		   all_lit(n->map.vals, n->nargs)) {
		struct cel__map *m = cel__map_new(&p->mem, n->nargs);
		struct cel_value v = { .kind = CEL_MAP };
		for (uint32_t i = 0; i < n->nargs; i++) {
			const struct cel_value *k = &n->map.keys[i]->lit;
			if (!cel__valid_key(k) || cel__map_find(m, k) >= 0)
				return; /* the evaluation reports the error */
			cel__map_add(&p->mem, m, *k, n->map.vals[i]->lit);
		}
		cel__map_finish(&p->mem, m);
		v.m = m;
		to_lit(n, v);
	}
}

static void walk(struct compiler *c, struct cel__node *n, const struct scope *sc);

static void walk_call(struct compiler *c, struct cel__node *n, const struct scope *sc)
{
	struct cel_program *p = c->p;
	uint32_t argc = n->nargs;

	/* Namespaced functions: math.greatest(...) is a global call, not a
	 * method of a variable named math. */
	if (n->call.recv) {
		uint32_t k = chain_len(n->call.args[0], sc);
		if (k) {
			struct cel__seg *segs = cel__arena_alloc(&p->mem, (k + 1) * sizeof(*segs));
			const struct cel__node *x = n->call.args[0];
			size_t len;
			for (uint32_t i = k; i-- > 1;) {
				segs[i] = x->sel.f;
				x = x->sel.x;
			}
			segs[0] = x->id.segs[0];
			segs[k].name = n->call.name;
			segs[k].len = n->call.nlen;
			char *q = chain_name(p, segs, k + 1, &len);
			if (cel__func_lookup(q, len, false, (int)argc - 1) ||
			    cel__func_lookup(q, len, false, -1)) {
				n->call.name = q;
				n->call.nlen = (uint32_t)len;
				n->call.recv = false;
				n->call.args++;
				n->nargs--;
				argc--;
			}
		}
	}
	for (uint32_t i = 0; i < argc; i++)
		walk(c, n->call.args[i], sc);
	n->call.fn = cel__func_lookup(n->call.name, n->call.nlen, n->call.recv, (int)argc);
	if (!n->call.fn && !cel__func_lookup(n->call.name, n->call.nlen, n->call.recv, -1))
		n->sub = 1; /* unknown function, not just a wrong overload */
	if (n->call.fn && !strcmp(n->call.name, "matches") && argc == 2)
		compile_regex(p, n);
}

static void walk(struct compiler *c, struct cel__node *n, const struct scope *sc)
{
	struct cel_program *p = c->p;
	uint32_t k;

	switch (n->op) {
	case CEL__OP_SELECT:
		k = chain_len(n, sc);
		if (!k) {
			walk(c, n->sel.x, sc);
			return;
		}
		collapse(p, n, k);
		/* fall through */
	case CEL__OP_IDENT: {
		const struct scope *l = n->sub ? NULL : find_local(sc, &n->id.segs[0]);
		if (l) {
			/* only a single name can be local here */
			n->op = CEL__OP_LOCAL;
			n->id.slot = l->slot;
			return;
		}
		size_t len;
		char *q = chain_name(p, n->id.segs, n->id.nsegs, &len);
		int t = cel__type_lookup(q, len);
		if (t >= 0 && t != CEL__T_DYN) { /* dyn denotes no value */
			to_lit(n, cel__v_type(t));
			return;
		}
		n->id.global = global_index(p, q, len, n->sub);
		return;
	}
	case CEL__OP_HAS:
		walk(c, n->sel.x, sc);
		return;
	case CEL__OP_CALL:
		walk_call(c, n, sc);
		return;
	case CEL__OP_MAP:
		for (uint32_t i = 0; i < n->nargs; i++) {
			walk(c, n->map.keys[i], sc);
			walk(c, n->map.vals[i], sc);
		}
		fold(p, n);
		return;
	case CEL__OP_COMP: {
		struct scope in = { &n->comp.name, p->nslots++, sc };
		walk(c, n->comp.range, sc);
		n->comp.var = in.slot;
		if (n->comp.pred)
			walk(c, n->comp.pred, &in);
		if (n->comp.expr)
			walk(c, n->comp.expr, &in);
		return;
	}
	case CEL__OP_LIT:
	case CEL__OP_LOCAL:
	case CEL__OP_MSG:
	case CEL__OP_ERROR:
		return;
	default:
		for (uint32_t i = 0; i < n->nargs; i++)
			walk(c, n->k.args[i], sc);
		if (n->op == CEL__OP_LIST)
			fold(p, n);
		return;
	}
}

int cel_compile_opts(const char *src, size_t len, const struct cel_options *opt,
		     struct cel_program **out, struct cel_error *err)
{
	struct cel_program *p;
	struct compiler c = { 0 };
	struct cel_limits lim;
	int rc;

	limits_fill(&lim, opt ? opt->limits : NULL);
	if (len > lim.max_source_len) {
		cel__error_at(src, 0, 0, err,
			      "expression too long: %zu bytes (limit max_source_len=%zu)",
			      len, lim.max_source_len);
		return -E2BIG;
	}
	p = XNEW(struct cel_program, 1);
	cel__arena_init(&p->mem);
	p->lim = lim;
	p->src = xmalloc(len + 1);
	memcpy(p->src, src, len);
	p->src[len] = '\0';
	p->srclen = len;
	if (opt && opt->container && *opt->container)
		p->container = xstrdup(opt->container);
	rc = cel__parse(p, err);
	if (rc < 0)
		goto fail;
	c.p = p;
	c.err = err;
	walk(&c, p->root, NULL);
	cel__link(p->root);
	*out = p;
	return 0;
fail:
	cel_program_free(p);
	return rc;
}

int cel_compile(const char *src, size_t len, const struct cel_limits *lim,
		struct cel_program **out, struct cel_error *err)
{
	struct cel_options opt = { lim, NULL };
	return cel_compile_opts(src, len, &opt, out, err);
}

const struct cel_limits *cel_program_limits(const struct cel_program *p)
{
	return &p->lim;
}

void cel_program_free(struct cel_program *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nregex; i++)
		cel__regex_free(p->regexes[i]);
	free(p->regexes);
	free(p->globals);
	free(p->src);
	free(p->container);
	cel__arena_release(&p->mem);
	free(p);
}
