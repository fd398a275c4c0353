/*
 * Helpers for the CEL unit tests: compile and evaluate an expression with a
 * few bound variables (user, params, x, s, t) and give the outcome as text:
 * the value's CEL form, or "syntax: L:C: msg", "error: msg", "limit: ...".
 */
#ifndef VEND_TEST_CELRUN_H
#define VEND_TEST_CELRUN_H

#include <jansson.h>

#include "cel/cel.h"
#include "tap.h"
#include "util/buf.h"

/* The outcome, in a static buffer (one thread at a time). */
const char *run_lim(const char *expr, const struct cel_limits *lim);
const char *run(const char *expr);

#define EXPECT(expr, want) CHECK_STR(run(expr), want)
#define EXPECT_ERR(expr, part)                                             \
	do {                                                               \
		const char *r_ = run(expr);                                \
		CHECK(!strncmp(r_, "error: ", 7));                         \
		CHECK_CONTAINS(r_, part);                                  \
	} while (0)

#endif
