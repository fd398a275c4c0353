/* UTF-8 checks: what JSON text may hold. */
#ifndef VEND_UTIL_UTF8_H
#define VEND_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
size_t utf8_seq_len(const unsigned char *s, size_t n);
bool utf8_valid(const char *s, size_t n);
/* Appends s to out with every invalid sequence and NUL replaced by
 * U+FFFD, so arbitrary process output becomes valid JSON text. */
int utf8_sanitize(const char *s, size_t n, struct buf *out);
/* Code points in valid UTF-8. */
size_t utf8_length(const char *s, size_t n);

#endif
