/*
 * The CEL parser: recursive descent over the grammar of the CEL spec
 * (Syntax), with the macros (has, all, exists, exists_one, map, filter)
 * expanded into comprehension nodes as it goes (CEL spec: Macros).
 *
 * Deep input cannot overflow the stack: every recursive entry counts
 * against max_depth, and every node records the height of its subtree,
 * which is checked against max_depth when the node is made. The later
 * passes (compile, evaluate) recurse over the tree, so their depth is
 * bounded by the same limit. && and || chains are kept flat (n-ary nodes).
 */
#include "cel/cel_int.h"

struct parser {
	struct cel__lexer lx;
	struct cel__token tok;
	struct cel_program *prog;
	unsigned depth, max_depth;
	int err;            /* 0, -EINVAL or -E2BIG */
	uint32_t errpos;
	char errmsg[200];
};

static void perr(struct parser *p, int code, uint32_t pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void perr(struct parser *p, int code, uint32_t pos, const char *fmt, ...)
{
	va_list ap;

	if (p->err)
		return;
	p->err = code;
	p->errpos = pos + 1;
	va_start(ap, fmt);
	vsnprintf(p->errmsg, sizeof(p->errmsg), fmt, ap);
	va_end(ap);
}

static void advance(struct parser *p)
{
	cel__lex(&p->lx, &p->tok);
	if (p->tok.kind == CEL__K_ERR)
		perr(p, -EINVAL, p->tok.errpos, "%s", p->tok.err);
}

static bool accept(struct parser *p, int kind)
{
	if (p->err || p->tok.kind != kind)
		return false;
	advance(p);
	return true;
}

static bool expect(struct parser *p, int kind, const char *what)
{
	if (p->err)
		return false;
	if (p->tok.kind != kind) {
		if (p->tok.kind == CEL__K_EOF)
			perr(p, -EINVAL, p->tok.start, "expected %s, got end of input", what);
		else
			perr(p, -EINVAL, p->tok.start, "expected %s, got '%.*s'", what,
			     (int)(p->tok.end - p->tok.start > 20 ? 20 : p->tok.end - p->tok.start),
			     p->lx.src + p->tok.start);
		return false;
	}
	advance(p);
	return true;
}

static struct cel__node *node(struct parser *p, int op, uint32_t pos,
			      uint32_t nargs)
{
	struct cel__node *n = cel__arena_alloc(&p->prog->mem, sizeof(*n));
	memset(n, 0, sizeof(*n));
	n->op = (uint8_t)op;
	n->pos = pos + 1;
	n->nargs = nargs;
	n->depth = 1;
	if (nargs) {
		n->k.args = cel__arena_alloc(&p->prog->mem, nargs * sizeof(*n->k.args));
		memset(n->k.args, 0, nargs * sizeof(*n->k.args));
	}
	return n;
}

/* Records a child's height; fails the parse past max_depth. */
static bool child(struct parser *p, struct cel__node *n, const struct cel__node *c)
{
	if (!c)
		return false;
	if (c->depth + 1u > n->depth)
		n->depth = (uint16_t)(c->depth + 1u);
	if (n->depth > p->max_depth) {
		perr(p, -E2BIG, n->pos - 1,
		     "expression nested too deeply (limit max_depth=%u)", p->max_depth);
		return false;
	}
	return true;
}

static bool enter(struct parser *p)
{
	if (++p->depth > p->max_depth) {
		perr(p, -E2BIG, p->tok.start,
		     "expression nested too deeply (limit max_depth=%u)", p->max_depth);
		return false;
	}
	return true;
}

static struct cel__node *parse_expr(struct parser *p);

static struct cel__node *binary(struct parser *p, int op, uint32_t pos,
				struct cel__node *l, struct cel__node *r)
{
	struct cel__node *n;
	if (!l || !r)
		return NULL;
	n = node(p, op, pos, 2);
	n->k.args[0] = l;
	n->k.args[1] = r;
	if (!child(p, n, l) || !child(p, n, r))
		return NULL;
	return n;
}

/* Growable array of nodes in the program arena. */
struct nodes {
	struct cel__node **v;
	uint32_t n, cap;
};

static void push(struct parser *p, struct nodes *a, struct cel__node *x)
{
	if (a->n == a->cap) {
		uint32_t ncap = a->cap ? a->cap * 2 : 4;
		struct cel__node **nv = cel__arena_alloc(&p->prog->mem, ncap * sizeof(*nv));
		if (a->n)
			memcpy(nv, a->v, a->n * sizeof(*nv));
		a->v = nv;
		a->cap = ncap;
	}
	a->v[a->n++] = x;
}

/* ExprList up to the closing token; a trailing comma is allowed. */
static bool parse_list(struct parser *p, struct nodes *a, int close, const char *what)
{
	if (accept(p, close))
		return true;
	for (;;) {
		struct cel__node *e = parse_expr(p);
		if (!e)
			return false;
		push(p, a, e);
		if (accept(p, CEL__K_COMMA)) {
			if (accept(p, close))
				return true;
			continue;
		}
		return expect(p, close, what);
	}
}

static struct cel__node *mk_call(struct parser *p, uint32_t pos, const char *name,
				 size_t nlen, struct cel__node *recv,
				 struct nodes *args)
{
	uint32_t nargs = args->n + (recv ? 1 : 0);
	struct cel__node *n = node(p, CEL__OP_CALL, pos, nargs);
	uint32_t k = 0;

	n->call.name = name;
	n->call.nlen = (uint32_t)nlen;
	n->call.recv = recv != NULL;
	if (recv) {
		n->call.args[k++] = recv;
		if (!child(p, n, recv))
			return NULL;
	}
	for (uint32_t i = 0; i < args->n; i++) {
		n->call.args[k++] = args->v[i];
		if (!child(p, n, args->v[i]))
			return NULL;
	}
	return n;
}

/* CEL spec: Macros. Returns the expansion, the call itself when it is not
 * a macro, or NULL on error. */
static struct cel__node *macro(struct parser *p, struct cel__node *call)
{
	const char *name = call->call.name;
	struct cel__node **a = call->call.args;
	uint32_t argc = call->nargs;
	int kind = -1;

	if (!call->call.recv) {
		if (strcmp(name, "has") || argc != 1)
			return call;
		if (a[0]->op != CEL__OP_SELECT) {
			perr(p, -EINVAL, call->pos - 1, "invalid argument to has() macro");
			return NULL;
		}
		a[0]->op = CEL__OP_HAS;
		a[0]->pos = call->pos;
		return a[0];
	}
	if (argc == 3) {
		if (!strcmp(name, "all"))
			kind = CEL__C_ALL;
		else if (!strcmp(name, "exists"))
			kind = CEL__C_EXISTS;
		else if (!strcmp(name, "exists_one"))
			kind = CEL__C_EXISTS_ONE;
		else if (!strcmp(name, "map"))
			kind = CEL__C_MAP;
		else if (!strcmp(name, "filter"))
			kind = CEL__C_FILTER;
	} else if (argc == 4 && !strcmp(name, "map")) {
		kind = CEL__C_MAP_FILTER;
	}
	if (kind < 0)
		return call;
	if (a[1]->op != CEL__OP_IDENT || a[1]->id.nsegs != 1 || a[1]->sub) {
		perr(p, -EINVAL, a[1]->pos - 1, "argument of %s() must be a simple name",
		     name);
		return NULL;
	}
	struct cel__node *n = node(p, CEL__OP_COMP, call->pos - 1, 0);
	n->sub = (uint8_t)kind;
	n->comp.range = a[0];
	n->comp.name = a[1]->id.segs[0];
	if (kind == CEL__C_MAP_FILTER) {
		n->comp.pred = a[2];
		n->comp.expr = a[3];
	} else if (kind == CEL__C_MAP) {
		n->comp.expr = a[2];
	} else {
		n->comp.pred = a[2];
	}
	n->depth = call->depth;
	return n;
}

static struct cel__node *ident(struct parser *p, uint32_t pos, const char *name,
			       size_t len, bool dot)
{
	struct cel__node *n = node(p, CEL__OP_IDENT, pos, 0);
	n->id.segs = cel__arena_alloc(&p->prog->mem, sizeof(*n->id.segs));
	n->id.segs[0].name = name;
	n->id.segs[0].len = (uint32_t)len;
	n->id.segs[0].hash = cel__hash_bytes(name, len);
	n->id.nsegs = 1;
	n->id.type = -1;
	n->id.global = -1;
	n->sub = dot;
	return n;
}

static struct cel__node *literal(struct parser *p, uint32_t pos, struct cel_value v)
{
	struct cel__node *n = node(p, CEL__OP_LIT, pos, 0);
	n->lit = v;
	return n;
}

static struct cel__node *str_literal(struct parser *p, const struct cel__token *t)
{
	struct cel_value v = { .kind = t->kind == CEL__K_BYTES ? CEL_BYTES : CEL_STRING };
	v.s = cel__str_new(&p->prog->mem, t->str, t->len);
	return literal(p, t->start, v);
}

static struct cel__node *parse_primary(struct parser *p)
{
	struct cel__token t = p->tok;
	struct cel__node *n = NULL;

	if (p->err)
		return NULL;
	switch (t.kind) {
	case CEL__K_INT:
		if (t.u > INT64_MAX) {
			perr(p, -EINVAL, t.start, "integer literal out of range");
			return NULL;
		}
		advance(p);
		return literal(p, t.start, cel__v_int((int64_t)t.u));
	case CEL__K_UINT:
		advance(p);
		return literal(p, t.start, cel__v_uint(t.u));
	case CEL__K_DOUBLE:
		advance(p);
		return literal(p, t.start, cel__v_double(t.d));
	case CEL__K_STRING:
	case CEL__K_BYTES:
		advance(p);
		return str_literal(p, &t);
	case CEL__K_TRUE:
	case CEL__K_FALSE:
		advance(p);
		return literal(p, t.start, cel__v_bool(t.kind == CEL__K_TRUE));
	case CEL__K_NULLLIT:
		advance(p);
		return literal(p, t.start, cel__v_null());
	case CEL__K_DOT:
	case CEL__K_IDENT: {
		bool dot = t.kind == CEL__K_DOT;
		if (dot) {
			advance(p);
			t = p->tok;
			if (t.kind != CEL__K_IDENT) {
				expect(p, CEL__K_IDENT, "identifier after '.'");
				return NULL;
			}
		}
		advance(p);
		if (accept(p, CEL__K_LPAREN)) {
			struct nodes args = { 0 };
			if (!parse_list(p, &args, CEL__K_RPAREN, "')'"))
				return NULL;
			n = mk_call(p, t.start, t.str, t.len, NULL, &args);
			return n ? macro(p, n) : NULL;
		}
		return ident(p, t.start, t.str, t.len, dot);
	}
	case CEL__K_LPAREN:
		advance(p);
		n = parse_expr(p);
		if (!n || !expect(p, CEL__K_RPAREN, "')'"))
			return NULL;
		return n;
	case CEL__K_LBRACKET: {
		struct nodes items = { 0 };
		advance(p);
		if (!parse_list(p, &items, CEL__K_RBRACKET, "']'"))
			return NULL;
		n = node(p, CEL__OP_LIST, t.start, items.n);
		for (uint32_t i = 0; i < items.n; i++) {
			n->k.args[i] = items.v[i];
			if (!child(p, n, items.v[i]))
				return NULL;
		}
		return n;
	}
	case CEL__K_LBRACE: {
		struct nodes keys = { 0 }, vals = { 0 };
		advance(p);
		while (!accept(p, CEL__K_RBRACE)) {
			struct cel__node *k, *v;
			if (p->err)
				return NULL;
			k = parse_expr(p);
			if (!k || !expect(p, CEL__K_COLON, "':'"))
				return NULL;
			v = parse_expr(p);
			if (!v)
				return NULL;
			push(p, &keys, k);
			push(p, &vals, v);
			if (accept(p, CEL__K_COMMA))
				continue;
			if (!expect(p, CEL__K_RBRACE, "'}'"))
				return NULL;
			break;
		}
		n = node(p, CEL__OP_MAP, t.start, 0);
		n->nargs = keys.n;
		n->map.keys = keys.v;
		n->map.vals = vals.v;
		for (uint32_t i = 0; i < keys.n; i++)
			if (!child(p, n, keys.v[i]) || !child(p, n, vals.v[i]))
				return NULL;
		return n;
	}
	case CEL__K_RESERVED:
		perr(p, -EINVAL, t.start, "reserved identifier '%s'", t.str);
		return NULL;
	case CEL__K_EOF:
		perr(p, -EINVAL, t.start, "unexpected end of input");
		return NULL;
	default:
		perr(p, -EINVAL, t.start, "unexpected '%.*s'",
		     (int)(t.end - t.start > 20 ? 20 : t.end - t.start),
		     p->lx.src + t.start);
		return NULL;
	}
}

static bool is_name(const struct cel__node *n)
{
	while (n->op == CEL__OP_SELECT)
		n = n->sel.x;
	return n->op == CEL__OP_IDENT;
}

static struct cel__node *parse_member(struct parser *p)
{
	struct cel__node *n = parse_primary(p);

	while (n && !p->err) {
		struct cel__token t = p->tok;
		if (accept(p, CEL__K_DOT)) {
			struct cel__token f = p->tok;
			if (f.kind != CEL__K_IDENT && f.kind != CEL__K_RESERVED &&
			    f.kind != CEL__K_QUOTED_IDENT) {
				expect(p, CEL__K_IDENT, "field name after '.'");
				return NULL;
			}
			advance(p);
			if (f.kind != CEL__K_QUOTED_IDENT && accept(p, CEL__K_LPAREN)) {
				struct nodes args = { 0 };
				if (!parse_list(p, &args, CEL__K_RPAREN, "')'"))
					return NULL;
				n = mk_call(p, f.start, f.str, f.len, n, &args);
				n = n ? macro(p, n) : NULL;
				continue;
			}
			struct cel__node *s = node(p, CEL__OP_SELECT, f.start, 0);
			s->sel.x = n;
			s->sel.f.name = f.str;
			s->sel.f.len = (uint32_t)f.len;
			s->sel.f.hash = cel__hash_bytes(f.str, f.len);
			n = child(p, s, n) ? s : NULL;
		} else if (accept(p, CEL__K_LBRACKET)) {
			struct cel__node *ix = parse_expr(p);
			if (!ix || !expect(p, CEL__K_RBRACKET, "']'"))
				return NULL;
			n = binary(p, CEL__OP_INDEX, t.start, n, ix);
		} else if (t.kind == CEL__K_LBRACE && is_name(n)) {
			/* Message construction: Name{field: value}. Parsed so
			 * that the error is clear; vend has no message types. */
			advance(p);
			while (!accept(p, CEL__K_RBRACE)) {
				if (p->err)
					return NULL;
				if (p->tok.kind != CEL__K_IDENT) {
					expect(p, CEL__K_IDENT, "field name");
					return NULL;
				}
				advance(p);
				if (!expect(p, CEL__K_COLON, "':'") || !parse_expr(p))
					return NULL;
				if (accept(p, CEL__K_COMMA))
					continue;
				if (!expect(p, CEL__K_RBRACE, "'}'"))
					return NULL;
				break;
			}
			struct cel__node *m = node(p, CEL__OP_MSG, t.start, 0);
			m->msg = "message construction is not supported (no protobuf types)";
			n = m;
		} else {
			break;
		}
	}
	return p->err ? NULL : n;
}

/* Unary = Member | "!" {"!"} Member | "-" {"-"} Member. The prefix
 * operators are collected in a loop (no recursion), then applied inside
 * out; each one adds a level that child() checks. */
static struct cel__node *parse_unary(struct parser *p)
{
	struct {
		int op;
		uint32_t pos;
	} ops[64], *opv = ops;
	size_t nops = 0, cap = sizeof(ops) / sizeof(*ops);
	struct cel__node *n = NULL;

	while (p->tok.kind == CEL__K_NOT || p->tok.kind == CEL__K_MINUS) {
		struct cel__token t = p->tok;
		if (nops >= p->max_depth) {
			perr(p, -E2BIG, t.start,
			     "expression nested too deeply (limit max_depth=%u)", p->max_depth);
			goto out;
		}
		if (nops == cap) {
			void *nv = cel__arena_alloc(&p->prog->mem, cap * 2 * sizeof(*opv));
			memcpy(nv, opv, cap * sizeof(*opv));
			opv = nv;
			cap *= 2;
		}
		advance(p);
		if (t.kind == CEL__K_MINUS &&
		    (p->tok.kind == CEL__K_INT || p->tok.kind == CEL__K_DOUBLE)) {
			/* A negative literal: -9223372036854775808 is an int. */
			struct cel__token lit = p->tok, next;
			struct cel__lexer save = p->lx;
			cel__lex(&p->lx, &next);
			p->lx = save;
			if (next.kind != CEL__K_DOT && next.kind != CEL__K_LBRACKET) {
				advance(p);
				if (lit.kind == CEL__K_DOUBLE)
					n = literal(p, t.start, cel__v_double(-lit.d));
				else if (lit.u > (uint64_t)INT64_MAX + 1)
					perr(p, -EINVAL, lit.start, "integer literal out of range");
				else
					n = literal(p, t.start, cel__v_int((int64_t)(0 - lit.u)));
				break;
			}
		}
		opv[nops].op = t.kind == CEL__K_NOT ? CEL__OP_NOT : CEL__OP_NEG;
		opv[nops].pos = t.start;
		nops++;
	}
	if (!n && !p->err)
		n = parse_member(p);
	while (n && nops) {
		struct cel__node *x = n;
		nops--;
		n = node(p, opv[nops].op, opv[nops].pos, 1);
		n->k.args[0] = x;
		if (!child(p, n, x))
			n = NULL;
	}
out:
	return p->err ? NULL : n;
}

static struct cel__node *parse_mul(struct parser *p)
{
	struct cel__node *n = parse_unary(p);
	while (n && !p->err) {
		struct cel__token t = p->tok;
		int op = t.kind == CEL__K_STAR ? CEL__OP_MUL :
			 t.kind == CEL__K_SLASH ? CEL__OP_DIV :
			 t.kind == CEL__K_PERCENT ? CEL__OP_MOD : -1;
		if (op < 0)
			break;
		advance(p);
		n = binary(p, op, t.start, n, parse_unary(p));
	}
	return n;
}

static struct cel__node *parse_add(struct parser *p)
{
	struct cel__node *n = parse_mul(p);
	while (n && !p->err) {
		struct cel__token t = p->tok;
		int op = t.kind == CEL__K_PLUS ? CEL__OP_ADD :
			 t.kind == CEL__K_MINUS ? CEL__OP_SUB : -1;
		if (op < 0)
			break;
		advance(p);
		n = binary(p, op, t.start, n, parse_mul(p));
	}
	return n;
}

static struct cel__node *parse_rel(struct parser *p)
{
	struct cel__node *n = parse_add(p);
	while (n && !p->err) {
		struct cel__token t = p->tok;
		int op;
		switch (t.kind) {
		case CEL__K_LT: op = CEL__OP_LT; break;
		case CEL__K_LE: op = CEL__OP_LE; break;
		case CEL__K_GT: op = CEL__OP_GT; break;
		case CEL__K_GE: op = CEL__OP_GE; break;
		case CEL__K_EQ: op = CEL__OP_EQ; break;
		case CEL__K_NE: op = CEL__OP_NE; break;
		case CEL__K_IN: op = CEL__OP_IN; break;
		default: return n;
		}
		advance(p);
		n = binary(p, op, t.start, n, parse_add(p));
	}
	return n;
}

/* ConditionalAnd / ConditionalOr as one flat n-ary node. */
static struct cel__node *parse_logic(struct parser *p, int tok, int op)
{
	struct nodes terms = { 0 };
	struct cel__node *n;
	uint32_t pos = p->tok.start;

	n = tok == CEL__K_OR ? parse_logic(p, CEL__K_AND, CEL__OP_AND) : parse_rel(p);
	if (!n)
		return NULL;
	if (p->tok.kind != tok)
		return n;
	push(p, &terms, n);
	while (p->tok.kind == tok && !p->err) {
		pos = p->tok.start;
		advance(p);
		n = tok == CEL__K_OR ? parse_logic(p, CEL__K_AND, CEL__OP_AND) : parse_rel(p);
		if (!n)
			return NULL;
		push(p, &terms, n);
	}
	n = node(p, op, pos, terms.n);
	for (uint32_t i = 0; i < terms.n; i++) {
		n->k.args[i] = terms.v[i];
		if (!child(p, n, terms.v[i]))
			return NULL;
	}
	return n;
}

static struct cel__node *parse_expr(struct parser *p)
{
	struct cel__node *c, *t, *f, *n = NULL;
	uint32_t pos;

	if (!enter(p))
		return NULL;
	c = parse_logic(p, CEL__K_OR, CEL__OP_OR);
	if (!c || p->tok.kind != CEL__K_QUESTION) {
		n = c;
		goto out;
	}
	pos = p->tok.start;
	advance(p);
	t = parse_logic(p, CEL__K_OR, CEL__OP_OR);
	if (!t || !expect(p, CEL__K_COLON, "':'"))
		goto out;
	f = parse_expr(p);
	if (!f)
		goto out;
	n = node(p, CEL__OP_COND, pos, 3);
	n->k.args[0] = c;
	n->k.args[1] = t;
	n->k.args[2] = f;
	if (!child(p, n, c) || !child(p, n, t) || !child(p, n, f))
		n = NULL;
out:
	p->depth--;
	return p->err ? NULL : n;
}

int cel__parse(struct cel_program *prog, struct cel_error *err)
{
	struct parser p;
	struct cel__node *root;

	memset(&p, 0, sizeof(p));
	p.prog = prog;
	p.lx.src = prog->src;
	p.lx.len = prog->srclen;
	p.lx.mem = &prog->mem;
	p.max_depth = prog->lim.max_depth;
	advance(&p);
	root = parse_expr(&p);
	if (root && !p.err && p.tok.kind != CEL__K_EOF)
		perr(&p, -EINVAL, p.tok.start, "unexpected '%.*s' after expression",
		     (int)(p.tok.end - p.tok.start > 20 ? 20 : p.tok.end - p.tok.start),
		     prog->src + p.tok.start);
	if (p.err) {
		cel__error_at(prog->src, prog->srclen, p.errpos, err, "%s", p.errmsg);
		return p.err;
	}
	prog->root = root;
	return 0;
}

void cel__error_at(const char *src, size_t len, uint32_t pos,
		   struct cel_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->line = 0;
	err->column = 0;
	if (pos) {
		size_t off = pos - 1, ls = 0;
		int line = 1;
		if (off > len)
			off = len;
		for (size_t i = 0; i < off; i++) {
			if (src[i] == '\n' || (src[i] == '\r' && (i + 1 >= len || src[i + 1] != '\n'))) {
				line++;
				ls = i + 1;
			}
		}
		err->line = line;
		err->column = (int)cel__utf8_count(src + ls, off - ls) + 1;
	}
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}
