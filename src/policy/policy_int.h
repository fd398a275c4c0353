/*
 * Private to the policy module (policy_*.c): the compiled forms of
 * policies, and the checker that walks a document as JSON and, when the
 * YAML is at hand, as YAML nodes side by side, so that every problem is
 * reported at its line and column, or at least at its field path.
 */
#ifndef VEND_POLICY_POLICY_INT_H
#define VEND_POLICY_POLICY_INT_H

#include "cel/cel.h"
#include "policy/policy.h"
#include "template/yaml.h"

#define POLICY__N_EFFECTS 3 /* of enum policy_effect */

/* A message with its ${{ }} compiled, one program per expression in
 * order of appearance (interp_next's order). */
struct policy__msg {
	char *text;                 /* as written */
	struct cel_program **progs;
	size_t n_progs;
};

struct policy__rule {
	enum policy_effect effect;
	char *expr_src;
	struct cel_program *expr;
	struct policy__msg msg;
	char **approvers;           /* require_approval only */
	size_t n_approvers;
	int count;                  /* require_approval: >= 1 */
	long long expires_ms;       /* require_approval: -1 when none */
};

struct policy__policy {
	char *name;
	char *path;
	char *match_src;            /* NULL: matches everything */
	struct cel_program *match;
	struct policy__rule *rules;
	size_t n_rules;
};

struct policy_bundle {
	int refs;                   /* atomic */
	struct policy__policy *v;   /* sorted by name; names unique */
	size_t n;
	size_t n_rules;
	char hash[65];
};

/* The CEL limits every policy expression is compiled with. */
const struct cel_limits *policy__cel_limits(void);
void policy__free_policy(struct policy__policy *p);
/* The policy in canonical form (no path): what its share of the hash is. */
json_t *policy__canonical(const struct policy__policy *p);

/* --- the checker ---------------------------------------------------------- */

/* Where problems go: diagnostics of a file (d), or per-field errors (err,
 * when d is NULL). */
struct pchk {
	const char *path;           /* the file, for diagnostics */
	struct diags *d;
	struct vend_err *err;
	int errors;
};

/* A place in a document: its JSON value, its YAML node when known, and
 * its field path ("spec.rules[2].deny"; "" for the document itself). */
struct ploc {
	json_t *j;                  /* borrowed; NULL when absent */
	const struct ynode *n;      /* borrowed; NULL without YAML */
	char where[256];
};

/* Reports a problem at `at` ("where: message"). */
void policy__err(struct pchk *C, const struct ploc *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A problem of the document as a whole (apiVersion, kind), at value v
 * when it is there, else at the document. */
void policy__err_head(struct pchk *C, const struct ploc *doc, const struct ploc *v,
		      const char *msg);
/* The same at byte offset off of the string value at `at`. */
void policy__err_off(struct pchk *C, const struct ploc *at, size_t off,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same at the key `key` of mapping `at` (its position when known). */
void policy__err_key(struct pchk *C, const struct ploc *at, const char *key,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Sorts the diagnostics added since `before` by line and column. */
void policy__sort_diags(struct diags *d, size_t before);
/* Moves to at[key] / at[i]. Returns whether the value is present and not
 * null (out is filled either way, j NULL when absent). */
bool policy__child(const struct ploc *at, const char *key, struct ploc *out);
bool policy__item(const struct ploc *at, size_t i, struct ploc *out);
/* at must be an object (reported otherwise, with `shape` as the example,
 * "a mapping such as {name: x}"); each key not in allowed (NULL-ended) is
 * reported at its position, with the closest allowed key if likely a typo.
 * Returns whether at is an object. */
bool policy__check_object(struct pchk *C, const struct ploc *at, const char *shape,
			  const char *const *allowed);
/* What a JSON value is, for messages: "a string", "a list"... */
const char *policy__describe(json_t *j);
/* Whether s is role:NAME, team:NAME or user:NAME. */
bool policy__subject_ok(const char *s);

/*
 * Compiles the CEL expression src[0, len), which is the part of the string
 * value at `at` that starts at byte offset off. On a syntax error reports
 * it at the exact line and column of the offending character (with YAML)
 * or with CEL's line:column inside the expression (without), and returns
 * a negative errno; otherwise 0 and a new *out.
 */
int policy__compile_expr(struct pchk *C, const struct ploc *at, const char *src,
			 size_t len, size_t off, struct cel_program **out);
/* Compiles the ${{ }} of the message string at `at` into m (text copied).
 * Problems reported; returns 0 or -EINVAL. */
int policy__compile_msg(struct pchk *C, const struct ploc *at, struct policy__msg *m);
void policy__free_msg(struct policy__msg *m);

/* The line and column in n's file of byte offset off of scalar n's value,
 * through quotes, escapes, block indentation and folding. Returns 1 when
 * exact, 0 when it fell back to n's own position. */
int policy__value_pos(const struct ynode *n, size_t off, int *line, int *col);

/* --- input (policy_input.c) ----------------------------------------------- */

/* Checks an input object at `at` (absent is fine); problems reported. */
void policy__input_check(struct pchk *C, const struct ploc *at);
/* Binds the parts of a checked input (or NULL) to act, neutral values for
 * what is absent. 0, or -EINVAL with err (a `now` out of CEL's range). */
int policy__input_bind(json_t *input, struct cel_activation *act,
		       struct vend_err *err);

/* --- evaluation (policy_eval.c) ------------------------------------------ */

/* Evaluates with act already bound (policy_test uses it too). */
int policy__evaluate_bound(const struct policy_bundle *b, struct policy_ctx *pc,
			   struct policy_result *out);
struct cel_activation *policy__ctx_activation(struct policy_ctx *pc);

#endif
