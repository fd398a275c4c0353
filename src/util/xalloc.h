/*
 * Allocation that aborts on out-of-memory: callers never check for NULL.
 * Everything else about memory (limits on what users control) is the
 * caller's job; these only turn OOM into a clean, immediate exit.
 */
#ifndef VEND_UTIL_XALLOC_H
#define VEND_UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);                 /* returns new, caller frees */
void *xcalloc(size_t nmemb, size_t size); /* zeroed; overflow-checked */
void *xrealloc(void *p, size_t n);       /* takes p, returns new */
char *xstrdup(const char *s);            /* returns new, caller frees */
char *xstrndup(const char *s, size_t n); /* at most n bytes, NUL-terminated */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocate an array of n elements of type T, overflow-checked. */
#define XNEW(T, n) ((T *)xcalloc((n), sizeof(T)))

/* Grow *arr so that it holds at least n elements (git's ALLOC_GROW). */
#define XGROW(arr, n, cap)                                                  \
	do {                                                                \
		if ((n) > (cap)) {                                          \
			size_t xg_new = (cap) < 8 ? 8 : (cap) * 2;          \
			while (xg_new < (n))                                \
				xg_new *= 2;                                \
			(arr) = xrealloc((arr), xg_new * sizeof(*(arr)));   \
			(cap) = xg_new;                                     \
		}                                                           \
	} while (0)

#endif
