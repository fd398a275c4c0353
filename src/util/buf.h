/*
 * struct buf: the one growable byte buffer (after git's strbuf and curl's
 * dynbuf). Its data is never NULL after buf_init, always NUL-terminated and
 * binary-safe. Each buffer has a size cap; an append past the cap fails with
 * -E2BIG, leaves the content as it was, and sets a sticky error so that a
 * sequence of appends can be checked once at the end.
 */
#ifndef VEND_UTIL_BUF_H
#define VEND_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;  /* never NULL; owned unless it is the shared empty string */
	size_t len;  /* bytes used, not counting the NUL */
	size_t cap;  /* bytes allocated, 0 while data is the shared "" */
	size_t max;  /* cap on len; 0 means BUF_DEFAULT_MAX */
	int err;     /* sticky: first failed append's error, 0 if none */
};

#define BUF_DEFAULT_MAX ((size_t)64 << 20)
extern char buf__empty[1];
#define BUF_INIT { buf__empty, 0, 0, 0, 0 }

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);          /* frees; b is empty and reusable */
void buf_reset(struct buf *b);            /* len = 0, keeps the allocation */
char *buf_detach(struct buf *b, size_t *len); /* returns new, caller frees */

/* Appends; each returns 0 or -E2BIG (content unchanged, b->err set). */
int buf_add(struct buf *b, const void *data, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
int buf_grow(struct buf *b, size_t extra); /* room for extra more bytes */

void buf_truncate(struct buf *b, size_t len); /* len <= b->len */

/* v in decimal without printf (which costs more than the rest of a small
 * JSON text): written backwards to end at tmp + INT_DECIMAL_MAX (no NUL);
 * returns where it starts. buf_add_int appends it. */
#define INT_DECIMAL_MAX 24
char *int_decimal(long long v, char tmp[INT_DECIMAL_MAX]);
int buf_add_int(struct buf *b, long long v);

#endif
