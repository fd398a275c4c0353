/*
 * Expressions in templates: ${{ }} in strings and `when:` conditions,
 * evaluated over a scope object {params, steps, run, user, artifact} given
 * as JSON. One entry point for each use, so that the language behind them
 * is in one place.
 */
#ifndef VEND_ENGINE_EXPR_H
#define VEND_ENGINE_EXPR_H

#include <jansson.h>
#include <stdbool.h>

#include "util/buf.h"
#include "util/err.h"

/* Expands every ${{ expr }} of s into out. -EINVAL with detail. */
int expr_expand(const char *s, json_t *scope, struct buf *out, struct vend_err *err);
/* Evaluates a condition; it must give a bool. -EINVAL with detail. */
int expr_condition(const char *src, json_t *scope, bool *out, struct vend_err *err);

#endif
