/* Clocks and RFC 3339 timestamps. Times are int64 milliseconds. */
#ifndef VEND_UTIL_TIMEUTIL_H
#define VEND_UTIL_TIMEUTIL_H

#include <stdint.h>

int64_t now_ms(void);   /* wall clock, ms since the Unix epoch */
int64_t mono_ms(void);  /* monotonic, for intervals and deadlines */
int64_t mono_ns(void);
/* "2026-11-26T09:23:15.123Z" into out (at least 32 bytes). */
void time_format(int64_t ms, char *out, size_t size);
/* Parses RFC 3339 (Z or offset, optional fraction) into ms; -EINVAL. */
int time_parse(const char *s, int64_t *out_ms);
void sleep_ms(int64_t ms);

#endif
