/*
 * Diagnostics about a file: a list of "file:line:col: message" problems,
 * collected so that a linter reports every problem at once, not the first.
 */
#ifndef VEND_UTIL_DIAG_H
#define VEND_UTIL_DIAG_H

#include <stdio.h>

struct diag {
	char *file;  /* owned */
	int line;    /* 1-based; 0 if unknown */
	int col;     /* 1-based; 0 if unknown */
	char *msg;   /* owned */
};

struct diags {
	struct diag *v;
	size_t n, cap;
};

#define DIAGS_INIT { NULL, 0, 0 }
/* Most diagnostics kept; later ones are counted but dropped. */
#define DIAGS_MAX 1000

void diags_add(struct diags *d, const char *file, int line, int col,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void diags_print(const struct diags *d, FILE *f); /* file:line:col: msg */
void diags_free(struct diags *d);

#endif
