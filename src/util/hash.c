/* SHA-256 helpers over libsodium. */
#include <sodium.h>

#include "util/hash.h"

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	crypto_hash_sha256(out, data, len);
}

void hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	uint8_t h[SHA256_LEN];
	sha256(data, len, h);
	hex_encode(h, sizeof(h), out);
}
