/*
 * cel: the Common Expression Language (cel.dev, google/cel-spec
 * doc/langdef.md) for vend's policies, `validate` rules, `when:` conditions
 * and `${{ }}` interpolation. Compile an expression once into an immutable
 * struct cel_program, then evaluate it many times, from many threads, each
 * with its own struct cel_ctx (an arena that is reused, so the common path
 * does not call malloc) and a struct cel_activation that binds variables.
 *
 *	struct cel_program *p;
 *	struct cel_error err;
 *	if (cel_compile(src, strlen(src), NULL, &p, &err) < 0)
 *		... err.line, err.column, err.message ...
 *	struct cel_activation *act = cel_activation_new();
 *	cel_activation_bind(act, "params", cel_value_from_json(params_json));
 *	struct cel_ctx *ctx = cel_ctx_new();
 *	const struct cel_value *v;
 *	if (cel_eval(p, act, ctx, &v, &err) == 0 && cel_value_is_true(v)) ...
 *
 * The module depends on libc, libm, PCRE2 and jansson (JSON bridges) only.
 * Nothing here keeps global mutable state; a program is read-only after
 * cel_compile and may be shared between threads.
 */
#ifndef VEND_CEL_H
#define VEND_CEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct json_t; /* jansson's json_t */

struct cel_program;    /* a compiled expression; immutable */
struct cel_activation; /* variable bindings by name */
struct cel_ctx;        /* per-thread evaluation state: arena, caches */
struct cel_value;      /* a CEL value (opaque) */

/* Where and why compiling or evaluating failed. line and column are
 * 1-based (column counts code points); column is 0 when unknown. */
struct cel_error {
	int line, column;
	char message[256];
};

/* Hard limits on what an expression may cost. Zero fields mean "default". */
struct cel_limits {
	size_t max_source_len;  /* bytes of source; default 8192 */
	unsigned max_depth;     /* nesting of the syntax tree; default 100 */
	uint64_t max_cost;      /* evaluation steps per cel_eval; default 100000 */
	size_t max_string_len;  /* bytes of a string or bytes value built; 1 MiB */
	size_t max_list_len;    /* elements of a list or map built; 100000 */
	size_t max_memory;      /* bytes one evaluation may allocate; 64 MiB */
};

#define CEL_DEFAULT_MAX_SOURCE_LEN 8192
#define CEL_DEFAULT_MAX_DEPTH 100
#define CEL_DEFAULT_MAX_COST 100000
#define CEL_DEFAULT_MAX_STRING_LEN ((size_t)1 << 20)
#define CEL_DEFAULT_MAX_LIST_LEN 100000
#define CEL_DEFAULT_MAX_MEMORY ((size_t)64 << 20)

/* Fills *lim with the defaults above. */
void cel_limits_default(struct cel_limits *lim);

/* Options for cel_compile_opts. */
struct cel_options {
	const struct cel_limits *limits; /* NULL: defaults */
	const char *container;           /* name resolution scope, e.g.
					    "com.example"; NULL or "" for none */
};

/*
 * Compiles src (len bytes, need not be NUL-terminated). On success *out is a
 * new program (caller frees with cel_program_free). Returns 0, -EINVAL for a
 * syntax error or -E2BIG for a limit (source length, nesting depth); err,
 * if not NULL, then says where and why. *out is written only on success.
 */
int cel_compile(const char *src, size_t len, const struct cel_limits *lim,
		struct cel_program **out, struct cel_error *err);
/* The same with a container (CEL spec: Name Resolution). */
int cel_compile_opts(const char *src, size_t len, const struct cel_options *opt,
		     struct cel_program **out, struct cel_error *err);
void cel_program_free(struct cel_program *p); /* accepts NULL */
/* The limits the program was compiled with (borrowed from p). */
const struct cel_limits *cel_program_limits(const struct cel_program *p);

/*
 * Evaluation contexts: one per thread. Each cel_eval resets the context's
 * arena, so a value returned by cel_eval lives until the next cel_eval with
 * the same context, cel_ctx_reset or cel_ctx_free.
 */
struct cel_ctx *cel_ctx_new(void);       /* returns new, caller frees */
void cel_ctx_reset(struct cel_ctx *ctx); /* drops results, keeps memory */
void cel_ctx_free(struct cel_ctx *ctx);  /* accepts NULL */

/*
 * Activations: name -> value. A name may be qualified ("a.b"); CEL's
 * longest-prefix rule then applies. Not thread-safe while being changed;
 * safe to share read-only between concurrent evaluations.
 */
struct cel_activation *cel_activation_new(void); /* returns new */
void cel_activation_free(struct cel_activation *act); /* frees owned values */
/* Binds name to v and takes v (from a constructor). Rebinding a name
 * replaces (and frees) the old value. Returns 0, or -EINVAL if v is NULL or
 * the name is empty (v is freed then too). */
int cel_activation_bind(struct cel_activation *act, const char *name,
			struct cel_value *v);
/* The same, but borrows v: it must outlive every evaluation using act. */
int cel_activation_bind_ref(struct cel_activation *act, const char *name,
			    const struct cel_value *v);
/* Borrowed value bound to name, or NULL. */
const struct cel_value *cel_activation_get(const struct cel_activation *act,
					   const char *name);

/*
 * Evaluates p with the variables in act (NULL: none). On success *out is
 * the result, borrowed from ctx (and from act's values, which it may
 * reference): see cel_ctx. Returns 0; -EINVAL when the expression evaluates
 * to an error (err says which, and where when known); -E2BIG when a limit
 * was hit (err names the limit). *out is written only on success.
 */
int cel_eval(const struct cel_program *p, const struct cel_activation *act,
	     struct cel_ctx *ctx, const struct cel_value **out,
	     struct cel_error *err);

/* Value kinds. */
enum cel_kind {
	CEL_NULL,
	CEL_BOOL,
	CEL_INT,
	CEL_UINT,
	CEL_DOUBLE,
	CEL_STRING,
	CEL_BYTES,
	CEL_LIST,
	CEL_MAP,
	CEL_TIMESTAMP,
	CEL_DURATION,
	CEL_TYPE,
};

/*
 * Constructors. Each returns a new value that the caller owns (free it with
 * cel_value_free, or hand it to a function that takes it). They abort only
 * on out-of-memory; those that can reject input return NULL instead.
 */
struct cel_value *cel_null(void);
struct cel_value *cel_bool(bool b);
struct cel_value *cel_int(int64_t i);
struct cel_value *cel_uint(uint64_t u);
struct cel_value *cel_double(double d);
/* Copies s; NULL if s is not valid UTF-8. */
struct cel_value *cel_string(const char *s, size_t len);
struct cel_value *cel_bytes(const void *p, size_t len); /* copies p */
/* sec since the Unix epoch and nsec in [0, 1e9); NULL outside
 * 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z. */
struct cel_value *cel_timestamp(int64_t sec, int32_t nsec);
/* The current time (CLOCK_REALTIME), e.g. to bind "now". */
struct cel_value *cel_timestamp_now(void);
/* sec and nsec of the same sign, |nsec| < 1e9; NULL beyond +-10000 years. */
struct cel_value *cel_duration(int64_t sec, int32_t nsec);
/* A type value by CEL name ("int", "list", "google.protobuf.Timestamp"...);
 * NULL for an unknown name. */
struct cel_value *cel_type(const char *name);
struct cel_value *cel_list_new(void);
/* Appends v to list and takes v. Returns 0, or -EINVAL if list is not a
 * list made by cel_list_new (v is freed then too). */
int cel_list_append(struct cel_value *list, struct cel_value *v);
struct cel_value *cel_map_new(void);
/* Sets map[k] = v and takes k and v. Keys are bool, int, uint or string.
 * Returns 0, -EINVAL for another key kind or a map not made by
 * cel_map_new, -EEXIST if an equal key is present (CEL spec: map keys;
 * 1 and 1u are equal). k and v are freed on error. */
int cel_map_set(struct cel_value *map, struct cel_value *k,
		struct cel_value *v);
/* Returns a new deep copy of v (which may be a borrowed result). */
struct cel_value *cel_value_copy(const struct cel_value *v);
/* Frees a value made by a constructor or cel_value_copy; accepts NULL. */
void cel_value_free(struct cel_value *v);

/* Accessors: all borrow v. A kind mismatch gives 0, false, NULL or "". */
enum cel_kind cel_value_kind(const struct cel_value *v);
bool cel_value_bool(const struct cel_value *v);
int64_t cel_value_int(const struct cel_value *v);
uint64_t cel_value_uint(const struct cel_value *v);
double cel_value_double(const struct cel_value *v);
/* String or bytes content, NUL-terminated; *len (if not NULL) is the byte
 * length. Borrowed from v. */
const char *cel_value_str(const struct cel_value *v, size_t *len);
/* Timestamp (since the epoch) or duration parts; 0, or -EINVAL for another
 * kind. */
int cel_value_time(const struct cel_value *v, int64_t *sec, int32_t *nsec);
/* CEL name of v's type: "int", "map", "google.protobuf.Timestamp"; for a
 * type value, the name of the type it denotes. Static string. */
const char *cel_value_type_name(const struct cel_value *v);
size_t cel_list_size(const struct cel_value *list); /* 0 if not a list */
/* Borrowed element i, NULL if out of range. */
const struct cel_value *cel_list_get(const struct cel_value *list, size_t i);
size_t cel_map_size(const struct cel_value *map); /* 0 if not a map */
/* Borrowed key and value of entry i (insertion order), NULL if out of range. */
const struct cel_value *cel_map_key_at(const struct cel_value *map, size_t i);
const struct cel_value *cel_map_value_at(const struct cel_value *map, size_t i);
/* Borrowed value for a string key, NULL if absent. */
const struct cel_value *cel_map_get(const struct cel_value *map,
				    const char *key);
/* True only for the bool true (a condition holds). */
bool cel_value_is_true(const struct cel_value *v);
/* CEL equality (CEL spec: Equality): 1 == 1u == 1.0, lists and maps by
 * content, NaN unequal to itself. */
bool cel_value_equal(const struct cel_value *a, const struct cel_value *b);

/*
 * Text forms; each appends to b and returns 0 or -E2BIG (b's cap).
 * cel_value_format: CEL literal syntax (5, 5u, 2.0, "a\n", b"\x00",
 * [1, 2], {"a": 1}, timestamp("..."), duration("1.5s"), int).
 * cel_value_to_string_interp: how a value reads inside ${{ }}: strings as
 * they are, numbers as string() gives them, null as nothing, lists and maps
 * as JSON.
 */
int cel_value_format(const struct cel_value *v, struct buf *b);
int cel_value_to_string_interp(const struct cel_value *v, struct buf *b);

/*
 * JSON bridges (cel_json.c).
 * cel_value_from_json: plain JSON to CEL (object -> map with string keys,
 * array -> list, integer -> int, real -> double, string, bool, null).
 * Returns a new value, or NULL if j is nested deeper than 1000 or holds a
 * string that is not UTF-8. Borrows j.
 * cel_value_to_json: CEL to plain JSON (uint -> integer, or real above
 * INT64_MAX; timestamp -> RFC 3339 string; duration -> "1.5s"; bytes ->
 * base64; type -> its name; map keys -> strings; NaN/Inf -> strings).
 * Returns a new reference.
 * Typed JSON is the format of vend's CEL conformance files and of
 * `vend eval --var`/`-o json`: {"int64": "5"}, {"list": [...]}, ...
 * cel_value_from_typed_json returns 0 and a new *out, or -EINVAL with err.
 */
struct cel_value *cel_value_from_json(struct json_t *j);
struct json_t *cel_value_to_json(const struct cel_value *v);
struct json_t *cel_value_to_typed_json(const struct cel_value *v);
int cel_value_from_typed_json(struct json_t *j, struct cel_value **out,
			      struct cel_error *err);

#endif
