/*
 * SHA-256 over libcrypto's EVP interface (see hash.h for why libcrypto).
 *
 * Each thread keeps one digest context and reuses it: creating a context
 * per hash costs as much as hashing a Merkle node. The algorithm is
 * fetched once, so no call looks it up by name.
 */
#include <openssl/evp.h>
#include <pthread.h>

#include "util/hash.h"

static EVP_MD *sha256_md;
static pthread_key_t ctx_key;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static __thread EVP_MD_CTX *thread_ctx;

static void free_ctx(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void init(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	if (!sha256_md || pthread_key_create(&ctx_key, free_ctx) != 0)
		abort(); /* no SHA-256 provider: nothing vend does can go on */
}

static EVP_MD_CTX *digest_ctx(void)
{
	if (thread_ctx)
		return thread_ctx;
	pthread_once(&init_once, init);
	thread_ctx = EVP_MD_CTX_new();
	if (!thread_ctx)
		abort();
	/* The key's destructor frees the context when the thread ends. */
	pthread_setspecific(ctx_key, thread_ctx);
	return thread_ctx;
}

void sha256v(const struct sha256_part *parts, size_t n, uint8_t out[SHA256_LEN])
{
	EVP_MD_CTX *ctx = digest_ctx();
	unsigned int len = 0;
	int ok = EVP_DigestInit_ex2(ctx, sha256_md, NULL);

	for (size_t i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, parts[i].data, parts[i].len);
	if (!ok || !EVP_DigestFinal_ex(ctx, out, &len) || len != SHA256_LEN)
		abort(); /* only an allocation failure inside libcrypto gets here */
}

void sha256(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	struct sha256_part p = { data, len };
	sha256v(&p, 1, out);
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
