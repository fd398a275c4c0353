/*
 * Sizes as people write them in YAML and flags: "512Mi", "1Gi", "2G",
 * "65536" (bytes). Binary suffixes (Ki Mi Gi Ti) are powers of 1024 and
 * decimal ones (k K M G T) powers of 1000, as in Kubernetes quantities.
 */
#ifndef VEND_UTIL_SIZE_H
#define VEND_UTIL_SIZE_H

#include <stddef.h>

/* Parses s into bytes. -EINVAL if malformed, fractional, negative or over
 * 2^62 bytes. */
int size_parse_bytes(const char *s, long long *out);
/* Formats bytes the short way ("1Gi", "512Mi", "1500") into out: the
 * largest binary suffix that divides it exactly. */
void size_format(long long bytes, char *out, size_t size);

#endif
