/*
 * cel internals shared by the files of src/cel/ (prefix cel__). Not for
 * other modules: they use cel.h.
 *
 * A value is a 16-byte struct passed by value inside the evaluator. Strings,
 * lists and maps point to objects that live either in an evaluation arena
 * (freed in bulk when the context is reset) or on the heap (made by the
 * public constructors, by the compiler for constants, and freed by
 * cel_value_free / cel_program_free); CEL__HEAP marks the latter.
 */
#ifndef VEND_CEL_INT_H
#define VEND_CEL_INT_H

#include "cel/cel.h"

#define CEL__ERROR 100 /* kind of an error value; never escapes cel_eval */
#define CEL__HEAP 1    /* object flag: heap-owned */

struct cel__str {
	uint32_t flags;
	size_t len;
	char data[]; /* len bytes + NUL */
};

struct cel__list {
	uint32_t flags;
	size_t len, cap;
	struct cel_value *v;
};

struct cel__map {
	uint32_t flags;
	size_t len, cap;
	struct cel_value *k, *v;
	uint32_t *index;   /* open addressing, entry+1, 0 = empty; NULL if small */
	size_t index_cap;  /* power of two */
};

struct cel__errinfo {
	const char *msg;
	uint32_t pos; /* source byte offset + 1; 0 = unknown */
};

struct cel_value {
	uint8_t kind;
	uint8_t flags;
	int32_t nsec; /* timestamp, duration */
	union {
		bool b;
		int64_t i; /* int; seconds of a timestamp or duration */
		uint64_t u;
		double d;
		struct cel__str *s;
		struct cel__list *l;
		struct cel__map *m;
		int t; /* type values: enum cel__type */
		struct cel__errinfo *e;
	};
};

/* Type values. */
enum cel__type {
	CEL__T_NULL, CEL__T_BOOL, CEL__T_INT, CEL__T_UINT, CEL__T_DOUBLE,
	CEL__T_STRING, CEL__T_BYTES, CEL__T_LIST, CEL__T_MAP,
	CEL__T_TIMESTAMP, CEL__T_DURATION, CEL__T_TYPE, CEL__T_DYN,
	CEL__T_COUNT
};
extern const char *const cel__type_names[CEL__T_COUNT];
int cel__type_of(const struct cel_value *v); /* enum cel__type */
int cel__type_lookup(const char *name, size_t len); /* -1 if unknown */

/* Bump allocator in chunks; reset keeps the chunks for reuse. */
struct cel__chunk;
struct cel__arena {
	struct cel__chunk *head, *cur;
	char *ptr, *end;
	size_t used;  /* bytes handed out since reset */
	size_t limit; /* 0 = none */
};
void cel__arena_init(struct cel__arena *a);
void cel__arena_reset(struct cel__arena *a);
void cel__arena_release(struct cel__arena *a);
/* NULL when the limit would be passed. */
void *cel__arena_alloc(struct cel__arena *a, size_t n);

/* Values: constructors over an arena (NULL arena = heap, flags CEL__HEAP).
 * Return NULL objects only when the arena limit is hit. */
struct cel__str *cel__str_new(struct cel__arena *a, const char *p, size_t n);
struct cel__list *cel__list_new(struct cel__arena *a, size_t cap);
struct cel__map *cel__map_new(struct cel__arena *a, size_t cap);
/* Adds without checking duplicates (caller did); for arena maps the index
 * is built by cel__map_finish. Returns 0 or -ENOMEM (arena limit). */
int cel__map_add(struct cel__arena *a, struct cel__map *m, struct cel_value k,
		 struct cel_value v);
int cel__map_finish(struct cel__arena *a, struct cel__map *m);
/* Index of an equal key (numeric keys compare across int/uint/double), or
 * -1. */
long cel__map_find(const struct cel__map *m, const struct cel_value *k);
long cel__map_find_str(const struct cel__map *m, const char *s, size_t n,
		       uint32_t hash);
bool cel__valid_key(const struct cel_value *k);
uint32_t cel__hash_bytes(const char *p, size_t n);
void cel__value_free_contents(struct cel_value *v);
struct cel_value cel__value_deep_copy_heap(const struct cel_value *v);

/* memcmp(a, b, n) == 0 without a call for the short strings that names,
 * keys and enum-like values usually are. */
static inline bool cel__mem_eq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	uint64_t p, q, r, t;
	uint32_t u, v, w, z;

	if (n >= 8) {
		if (n > 16)
			return memcmp(a, b, n) == 0;
		memcpy(&p, x, 8);
		memcpy(&q, y, 8);
		memcpy(&r, x + n - 8, 8);
		memcpy(&t, y + n - 8, 8);
		return ((p ^ q) | (r ^ t)) == 0;
	}
	if (n >= 4) {
		memcpy(&u, x, 4);
		memcpy(&v, y, 4);
		memcpy(&w, x + n - 4, 4);
		memcpy(&z, y + n - 4, 4);
		return ((u ^ v) | (w ^ z)) == 0;
	}
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/* Equality and ordering (CEL spec: Equality and Ordering). */
bool cel__equal(const struct cel_value *a, const struct cel_value *b);
/* -1, 0, 1; 2 when unordered (NaN); -2 when the kinds do not compare. */
int cel__compare(const struct cel_value *a, const struct cel_value *b);
bool cel__is_numeric(const struct cel_value *v);

/* UTF-8 */
bool cel__utf8_valid(const char *p, size_t n);
size_t cel__utf8_count(const char *p, size_t n);
/* Decodes one code point at p (n > 0 bytes, valid UTF-8): returns bytes. */
int cel__utf8_decode(const char *p, size_t n, uint32_t *cp);
int cel__utf8_encode(uint32_t cp, char out[4]);

/* Text forms. */
int cel__format_double(double d, struct buf *b); /* as string() does */
int cel__format_quoted(const char *p, size_t n, bool bytes, struct buf *b);
/* Formats a timestamp as RFC 3339 UTC / a duration as "1.5s". */
int cel__format_timestamp(int64_t sec, int32_t nsec, struct buf *b);
int cel__format_duration(int64_t sec, int32_t nsec, struct buf *b);

void cel__b64_encode(const unsigned char *p, size_t n, struct buf *b);

/* Time (cel_time.c). */
#define CEL__TS_MIN (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define CEL__TS_MAX (253402300799LL) /* 9999-12-31T23:59:59Z */
#define CEL__DUR_MAX (315576000000LL) /* 10000 years of seconds */
int cel__parse_timestamp(const char *s, size_t n, int64_t *sec, int32_t *nsec);
int cel__parse_duration(const char *s, size_t n, int64_t *sec, int32_t *nsec);

/* ---- syntax tree ---- */

enum cel__op {
	CEL__OP_LIT, CEL__OP_IDENT, CEL__OP_LOCAL, CEL__OP_SELECT, CEL__OP_HAS,
	CEL__OP_INDEX, CEL__OP_CALL, CEL__OP_AND, CEL__OP_OR, CEL__OP_NOT,
	CEL__OP_NEG, CEL__OP_COND, CEL__OP_ADD, CEL__OP_SUB, CEL__OP_MUL,
	CEL__OP_DIV, CEL__OP_MOD, CEL__OP_EQ, CEL__OP_NE, CEL__OP_LT,
	CEL__OP_LE, CEL__OP_GT, CEL__OP_GE, CEL__OP_IN, CEL__OP_LIST,
	CEL__OP_MAP, CEL__OP_MSG, CEL__OP_COMP, CEL__OP_ERROR,
};

/* Comprehension kinds (the macros of the CEL spec). */
enum cel__comp {
	CEL__C_ALL, CEL__C_EXISTS, CEL__C_EXISTS_ONE, CEL__C_MAP,
	CEL__C_MAP_FILTER, CEL__C_FILTER,
};

struct cel__ev;
struct cel__node;
typedef struct cel_value (*cel__fn)(struct cel__ev *ev,
				    const struct cel__node *n,
				    struct cel_value *args, int argc);

struct cel__func {
	const char *name;
	uint8_t style;     /* CEL__GLOBAL | CEL__RECV */
	uint8_t min, max;  /* argument count, receiver included */
	cel__fn fn;
};
#define CEL__GLOBAL 1
#define CEL__RECV 2
const struct cel__func *cel__func_lookup(const char *name, size_t len,
					 bool recv, int argc);

struct cel__seg {
	const char *name;
	uint32_t len, hash;
};

typedef struct cel_value (*cel__evalfn)(struct cel__ev *ev,
					const struct cel__node *n);

struct cel__node {
	cel__evalfn eval; /* chosen by cel__link for the node's op and operands */
	uint8_t op;
	uint8_t sub;    /* comprehension kind; ident: leading dot */
	uint16_t depth; /* height of the subtree */
	uint32_t pos;   /* byte offset + 1 of the operator or name */
	uint32_t nargs;
	union {
		struct cel_value lit;
		struct {
			struct cel__seg *segs; /* qualified name: a.b.c */
			uint32_t nsegs;
			int global;  /* interned name: slot of the name cache */
			int slot;    /* LOCAL: slot */
			int type;    /* a type name, -1 if none */
		} id;
		struct {
			struct cel__node *x;
			struct cel__seg f;
		} sel;
		struct {
			struct cel__node **args; /* args[0] = receiver, if any */
			const char *name;
			uint32_t nlen;
			bool recv;
			const struct cel__func *fn;
			void *aux; /* precompiled regular expression */
		} call;
		struct {
			struct cel__node **args;
		} k;
		struct {
			struct cel__node **keys, **vals;
		} map;
		struct {
			struct cel__node *range, *pred, *expr;
			int var;
			struct cel__seg name;
		} comp;
		const char *msg; /* CEL__OP_ERROR */
	};
};

struct cel__global {
	const char *name; /* qualified: "a.b.c" */
	size_t len;
	uint32_t hash;
	bool dot;         /* written with a leading dot */
};

/* A name resolved during the current evaluation (gen matches). */
struct cel__cached {
	uint64_t gen;
	struct cel_value v;
};

struct cel_program {
	struct cel__arena mem;   /* nodes, names */
	struct cel__node *root;
	struct cel_limits lim;
	char *src;
	size_t srclen;
	char *container;
	struct cel__global *globals; /* distinct names used */
	int nglobals, capglobals;
	int nslots;                  /* comprehension variables */
	void **regexes;           /* compiled patterns to free */
	size_t nregex, capregex;
};

/* ---- lexer (cel_lex.c) ---- */

enum cel__tok {
	CEL__K_EOF, CEL__K_INT, CEL__K_UINT, CEL__K_DOUBLE, CEL__K_STRING,
	CEL__K_BYTES, CEL__K_IDENT, CEL__K_QUOTED_IDENT, CEL__K_TRUE,
	CEL__K_FALSE, CEL__K_NULLLIT, CEL__K_IN, CEL__K_RESERVED,
	CEL__K_LPAREN, CEL__K_RPAREN, CEL__K_LBRACKET, CEL__K_RBRACKET,
	CEL__K_LBRACE, CEL__K_RBRACE, CEL__K_DOT, CEL__K_COMMA, CEL__K_COLON,
	CEL__K_QUESTION, CEL__K_NOT, CEL__K_MINUS, CEL__K_PLUS, CEL__K_STAR,
	CEL__K_SLASH, CEL__K_PERCENT, CEL__K_LT, CEL__K_LE, CEL__K_GT,
	CEL__K_GE, CEL__K_EQ, CEL__K_NE, CEL__K_AND, CEL__K_OR, CEL__K_ERR,
};

struct cel__token {
	int kind;
	uint32_t start, end;  /* byte offsets into the source */
	uint64_t u;           /* INT magnitude, UINT value */
	double d;
	char *str;            /* STRING/BYTES/IDENT text (arena), NUL-ended */
	size_t len;
	const char *err;      /* CEL__T_ERR: message */
	uint32_t errpos;      /* CEL__T_ERR: offset of the problem */
};

struct cel__lexer {
	const char *src;
	size_t len, pos;
	struct cel__arena *mem;
};

/* Reads the next token into *t. Never fails except as CEL__T_ERR. */
void cel__lex(struct cel__lexer *lx, struct cel__token *t);

/* Parser: builds prog->root from prog->src. */
int cel__parse(struct cel_program *prog, struct cel_error *err);
/* Fills err from a byte offset (+1; 0 = unknown) into src. */
void cel__error_at(const char *src, size_t len, uint32_t pos,
		   struct cel_error *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* ---- evaluation ---- */

struct cel__binding {
	char *name;
	size_t len;
	uint32_t hash;
	const struct cel_value *v;
	struct cel_value *owned;
};

struct cel_activation {
	struct cel__binding *b;
	size_t n, cap;
	bool dotted; /* some name contains '.' */
};

const struct cel_value *cel__act_find(const struct cel_activation *act,
				      const char *name, size_t len,
				      uint32_t hash);

#define CEL__REGEX_CACHE 8
#define CEL__TZ_CACHE 8
struct tz;
void cel__ctx_tz_release(struct cel_ctx *ctx);
struct cel__regex_cache {
	char *pat;
	size_t len;
	void *code;
};

struct cel_ctx {
	struct cel__arena arena;
	struct cel_value *slots;
	size_t nslots;
	struct cel__cached *cache; /* per name of the program */
	size_t ncache;
	uint64_t gen;              /* evaluations so far */
	struct cel_value result;   /* of the last cel_eval */
	void *match_data;  /* pcre2_match_data_8 */
	void *match_ctx;   /* pcre2_match_context_8 */
	struct cel__regex_cache re[CEL__REGEX_CACHE];
	unsigned re_next;
	struct tz *tz[CEL__TZ_CACHE]; /* zones used so far, references (cel_time.c) */
	unsigned tz_next;
};

struct cel__ev {
	const struct cel_program *p;
	const struct cel_activation *act;
	struct cel_ctx *ctx;
	struct cel__arena *a;
	struct cel_value *slots;
	struct cel__cached *cache;
	uint64_t gen;
	uint64_t cost, max_cost;
	const struct cel_limits *lim;
	int abort;               /* 0, or -E2BIG when a limit was hit */
	struct cel_error *abort_err;
	char abort_msg[200];
	uint32_t abort_pos;
};

/* Evaluates n: charges one step, then runs the node's function. */
struct cel_value cel__over_budget(struct cel__ev *ev, const struct cel__node *n);
static inline struct cel_value cel__eval_node(struct cel__ev *ev,
					      const struct cel__node *n)
{
	if (__builtin_expect(++ev->cost > ev->max_cost, 0))
		return cel__over_budget(ev, n);
	return n->eval(ev, n);
}
/* Chooses the evaluation function of every node of a compiled tree. */
void cel__link(struct cel__node *n);

/* Error values. */
struct cel_value cel__err(struct cel__ev *ev, const struct cel__node *n,
			  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
struct cel_value cel__no_overload(struct cel__ev *ev, const struct cel__node *n);
/* Stops the evaluation: a limit was hit. Returns an error value. */
struct cel_value cel__limit(struct cel__ev *ev, const struct cel__node *n,
			    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Charges cost units; false (and abort) when over budget. */
bool cel__charge(struct cel__ev *ev, const struct cel__node *n, uint64_t units);

/* Building values during evaluation, limits checked (error value on failure
 * with ok = false). */
struct cel_value cel__mk_string(struct cel__ev *ev, const struct cel__node *n,
				const char *p, size_t len, bool bytes);
struct cel__list *cel__mk_list(struct cel__ev *ev, const struct cel__node *n,
			       size_t cap);
/* Appends to an arena list, growing it. false on limit. */
bool cel__list_push(struct cel__ev *ev, const struct cel__node *n,
		    struct cel__list *l, struct cel_value v);

static inline struct cel_value cel__v_bool(bool b)
{
	struct cel_value v = { .kind = CEL_BOOL };
	v.b = b;
	return v;
}
static inline struct cel_value cel__v_int(int64_t i)
{
	struct cel_value v = { .kind = CEL_INT };
	v.i = i;
	return v;
}
static inline struct cel_value cel__v_uint(uint64_t u)
{
	struct cel_value v = { .kind = CEL_UINT };
	v.u = u;
	return v;
}
static inline struct cel_value cel__v_double(double d)
{
	struct cel_value v = { .kind = CEL_DOUBLE };
	v.d = d;
	return v;
}
static inline struct cel_value cel__v_null(void)
{
	struct cel_value v = { .kind = CEL_NULL };
	return v;
}
static inline struct cel_value cel__v_type(int t)
{
	struct cel_value v = { .kind = CEL_TYPE };
	v.t = t;
	return v;
}
static inline struct cel_value cel__v_time(int kind, int64_t sec, int32_t nsec)
{
	struct cel_value v = { .kind = (uint8_t)kind };
	v.i = sec;
	v.nsec = nsec;
	return v;
}
#define CEL__IS_ERR(v) ((v).kind == CEL__ERROR)

/* Function implementations, by file. */
struct cel_value cel__call_matches(struct cel__ev *ev, const struct cel__node *n,
				   struct cel_value *a, int argc);
void *cel__regex_compile(const char *pat, size_t len, char *errbuf,
			 size_t errlen);
void cel__regex_free(void *code);
void cel__ctx_regex_release(struct cel_ctx *ctx);
/* Time arithmetic for the evaluator: CEL spec overflow rules. */
struct cel_value cel__time_add(struct cel__ev *ev, const struct cel__node *n,
			       const struct cel_value *a,
			       const struct cel_value *b, bool sub);
extern const struct cel__func cel__std_funcs[];
extern const struct cel__func cel__str_funcs[];
extern const struct cel__func cel__math_funcs[];
extern const struct cel__func cel__time_funcs[];

#endif
