/* SHA-256 (libsodium) in the forms vend uses: raw 32 bytes and lower-case hex. */
#ifndef VEND_UTIL_HASH_H
#define VEND_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);
/* Writes 64 hex digits and a NUL into out. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
void hex_encode(const uint8_t *in, size_t len, char *out); /* out: 2*len+1 */

#endif
