/*
 * SHA-256 in the forms vend uses: raw 32 bytes, lower-case hex, and a
 * message given in parts (a Merkle leaf is 0x00 || entry, a node
 * 0x01 || left || right) without copying them together.
 *
 * Backed by OpenSSL's libcrypto, not libsodium: libcrypto uses the CPU's
 * SHA extensions where it has them (3-4x libsodium's portable code on this
 * machine's EPYC, bench/bench_audit.c prints both), and it is in the
 * process anyway because libcurl links it. Thread-safe.
 */
#ifndef VEND_UTIL_HASH_H
#define VEND_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64

struct sha256_part {
	const void *data;
	size_t len;
};

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);
/* The hash of the concatenation of parts[0..n). */
void sha256v(const struct sha256_part *parts, size_t n, uint8_t out[SHA256_LEN]);
/* Writes 64 hex digits and a NUL into out. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
void hex_encode(const uint8_t *in, size_t len, char *out); /* out: 2*len+1 */

/* The value of one hex digit (either case), or -1. */
static inline int hex_digit(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

#endif
