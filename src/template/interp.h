/*
 * ${{ expr }} interpolation in template strings (env values, lock,
 * environment). This module only finds the expressions; evaluating one is
 * the caller's job (CEL), through a callback, so that it stays independent
 * of what the expressions may see.
 */
#ifndef VEND_TEMPLATE_INTERP_H
#define VEND_TEMPLATE_INTERP_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

#define INTERP_MAX_EXPR 4096 /* bytes of one expression */

/* Appends the value of expr[0..len) to out, or returns a negative errno
 * with detail in err. */
typedef int (*interp_eval_fn)(void *ctx, const char *expr, size_t len,
			      struct buf *out, struct vend_err *err);

/*
 * Expands every ${{ expr }} in s into out (literal text copied as is).
 * `$${{` is a literal "${{". An unterminated `${{` is -EINVAL with the byte
 * offset in the message. Returns 0 or the first error (also -EINVAL for an
 * empty expression, -E2BIG for one past INTERP_MAX_EXPR or for out's cap).
 * eval gets the expression with surrounding blanks trimmed.
 */
int interp_expand(const char *s, interp_eval_fn eval, void *ctx,
		  struct buf *out, struct vend_err *err);

/* Calls fn for each expression in s without evaluating (for linting);
 * offset is the expression's byte offset in s. Returns 0, the first
 * non-zero fn result, or -EINVAL for an unterminated expression (-E2BIG for
 * one longer than INTERP_MAX_EXPR). The expression passed has surrounding
 * blanks trimmed; it may be empty ("${{ }}"), which interp_expand refuses. */
typedef int (*interp_each_fn)(void *ctx, const char *expr, size_t len,
			      size_t offset);
int interp_each(const char *s, interp_each_fn fn, void *ctx);

/* Whether s contains "${{" anywhere. */
int interp_has_expr(const char *s);

/*
 * The scanner under the three functions above, for callers that need the
 * position of a bad expression (the linter reports its line and column).
 * An expression ends at the first "}}" that is outside a CEL string literal
 * ('...', "...", triple-quoted and r-prefixed raw forms, backslash escapes)
 * and outside braces the expression opened itself ({'a': {'b': 1}}).
 */
struct interp_span {
	size_t start;    /* offset of the "${{" */
	size_t expr;     /* offset of the expression text, after "${{" */
	size_t expr_len; /* its length, surrounding blanks trimmed */
	size_t end;      /* offset just past the closing "}}" */
};

/*
 * Finds the next expression in s at or after *pos and stores it in sp.
 * Returns 1 (found; *pos moves past it), 0 (no more), -EINVAL (the "${{" at
 * sp->start is not terminated) or -E2BIG (its expression is longer than
 * INTERP_MAX_EXPR; sp->start set). "$${{" is skipped as a literal.
 */
int interp_next(const char *s, size_t *pos, struct interp_span *sp);

#endif
