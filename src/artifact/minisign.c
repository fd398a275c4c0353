/*
 * minisign key and signature parsing and verification (see minisign.h).
 *
 * Formats, as minisign 0.11 writes them (minisign's src/minisign.c and
 * https://jedisct1.github.io/minisign/):
 *
 *   public key   "untrusted comment: <text>\n" base64("Ed" || key id (8) || pk (32))
 *   signature    "untrusted comment: <text>\n"
 *                base64(alg (2) || key id (8) || Ed25519 signature (64)) "\n"
 *                "trusted comment: <text>\n"
 *                base64(Ed25519 signature (64) of signature || <text>) "\n"
 *
 * alg "Ed" signs the file itself, "ED" its BLAKE2b-512 hash (64 bytes,
 * unkeyed). Base64 is the standard alphabet with padding (RFC 4648 4); only
 * the canonical encoding of each field is accepted.
 */
#include <ctype.h>
#include <sodium.h>

#include "artifact/minisign.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/xalloc.h"

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "

struct minisign_check {
	struct minisign_key key;
	struct minisign_sig sig;
	crypto_generichash_state blake;  /* prehashed: BLAKE2b-512 of the file */
	struct buf legacy;               /* legacy: the file itself */
	bool too_large;
	crypto_hash_sha256_state sha;
	uint64_t size;
	char digest[MINISIGN_DIGEST_LEN + 1];
};

const char *minisign_reason(int rc)
{
	switch (rc) {
	case 0: return "verified";
	case MINISIGN_MALFORMED: return "malformed";
	case MINISIGN_TOO_LARGE: return "too large";
	case MINISIGN_WRONG_KEY: return "wrong key";
	case MINISIGN_BAD_SIGNATURE: return "bad signature";
	case MINISIGN_BAD_COMMENT: return "bad trusted comment signature";
	default: return strerror(-rc);
	}
}

void minisign_key_id_hex(const uint8_t id[MINISIGN_KEY_ID_LEN], char *out)
{
	/* minisign prints the id as a little-endian 64-bit number */
	static const char hex[] = "0123456789ABCDEF";

	for (int i = 0; i < MINISIGN_KEY_ID_LEN; i++) {
		uint8_t b = id[MINISIGN_KEY_ID_LEN - 1 - i];
		out[2 * i] = hex[b >> 4];
		out[2 * i + 1] = hex[b & 15];
	}
	out[MINISIGN_KEY_ID_HEX] = '\0';
}

const struct minisign_key *minisign_find_key(const struct minisign_key *keys, size_t n,
					     const struct minisign_sig *sig)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(keys[i].id, sig->id, MINISIGN_KEY_ID_LEN) == 0)
			return &keys[i];
	return NULL;
}

/* Decodes exactly want bytes of canonical padded base64 (RFC 4648 4):
 * nothing before or after, no whitespace, no stray bits. */
static bool b64_exact(const char *s, size_t len, uint8_t *out, size_t want)
{
	size_t n = 0;
	const char *end = NULL;
	char again[128];

	if (len != sodium_base64_ENCODED_LEN(want, sodium_base64_VARIANT_ORIGINAL) - 1 ||
	    len >= sizeof(again))
		return false;
	if (sodium_base642bin(out, want, s, len, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + len || n != want)
		return false;
	sodium_bin2base64(again, sizeof(again), out, want, sodium_base64_VARIANT_ORIGINAL);
	return memcmp(again, s, len) == 0;
}

/* A comment's text: printable bytes and tabs; UTF-8 is passed through. */
static bool comment_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

struct line {
	const char *s;
	size_t len;
};

/* Splits text into at most max lines (LF or CRLF). Trailing empty lines
 * are dropped; returns the count, or max + 1 if there are more. */
static size_t split_lines(const char *text, size_t len, struct line *lines, size_t max)
{
	size_t n = 0;
	const char *p = text, *end = text + len;

	while (len > 0 && (end[-1] == '\n' || end[-1] == '\r')) {
		end--;
		len--;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		if (n == max)
			return max + 1;
		lines[n].s = p;
		lines[n].len = (size_t)(e - p);
		if (lines[n].len > 0 && e[-1] == '\r')
			lines[n].len--;
		n++;
		p = nl ? nl + 1 : end;
	}
	return n;
}

static bool has_prefix(const struct line *l, const char *prefix)
{
	size_t n = strlen(prefix);
	return l->len >= n && memcmp(l->s, prefix, n) == 0;
}

static int untrusted_line(const struct line *l, const char *what, struct vend_err *err)
{
	if (!has_prefix(l, UNTRUSTED_PREFIX))
		return err_set(err, MINISIGN_MALFORMED,
			       "minisign %s: the first line must start with \"%s\"", what,
			       UNTRUSTED_PREFIX);
	if (l->len - strlen(UNTRUSTED_PREFIX) > MINISIGN_MAX_COMMENT ||
	    !comment_ok(l->s, l->len))
		return err_set(err, MINISIGN_MALFORMED,
			       "minisign %s: the untrusted comment is too long or has control "
			       "characters", what);
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int minisign_key_parse(const char *text, size_t len, struct minisign_key *out,
		       struct vend_err *err)
{
	struct line lines[2], key;
	uint8_t raw[2 + MINISIGN_KEY_ID_LEN + 32];
	int rc;

	if (len > MINISIGN_MAX_KEY_FILE)
		return err_set(err, MINISIGN_TOO_LARGE,
			       "minisign public key: %zu bytes; at most %d", len,
			       MINISIGN_MAX_KEY_FILE);
	while (len > 0 && is_space(*text)) {
		text++;
		len--;
	}
	if (len >= strlen(UNTRUSTED_PREFIX) &&
	    memcmp(text, UNTRUSTED_PREFIX, strlen(UNTRUSTED_PREFIX)) == 0) {
		/* the .pub file: comment line, key line */
		if (split_lines(text, len, lines, 2) != 2)
			return err_set(err, MINISIGN_MALFORMED,
				       "minisign public key: want two lines, a comment and the key");
		rc = untrusted_line(&lines[0], "public key", err);
		if (rc)
			return rc;
		key = lines[1];
	} else {
		/* the key line alone */
		key.s = text;
		key.len = len;
	}
	while (key.len > 0 && is_space(key.s[key.len - 1]))
		key.len--;
	if (!b64_exact(key.s, key.len, raw, sizeof(raw)))
		return err_set(err, MINISIGN_MALFORMED,
			       "minisign public key: not the base64 of a %zu-byte key",
			       sizeof(raw));
	if (raw[0] != 'E' || raw[1] != 'd')
		return err_set(err, MINISIGN_MALFORMED,
			       "minisign public key: algorithm \"%c%c\", want \"Ed\"",
			       isprint(raw[0]) ? raw[0] : '?', isprint(raw[1]) ? raw[1] : '?');
	memcpy(out->id, raw + 2, MINISIGN_KEY_ID_LEN);
	memcpy(out->pk, raw + 2 + MINISIGN_KEY_ID_LEN, 32);
	return 0;
}

int minisign_sig_parse(const char *text, size_t len, struct minisign_sig *out,
		       struct vend_err *err)
{
	struct line l[4];
	uint8_t raw[2 + MINISIGN_KEY_ID_LEN + 64];
	size_t tlen;
	int rc;

	if (len > MINISIGN_MAX_SIG_FILE)
		return err_set(err, MINISIGN_TOO_LARGE, "minisign signature: %zu bytes; at most %d",
			       len, MINISIGN_MAX_SIG_FILE);
	if (memchr(text, '\0', len))
		return err_set(err, MINISIGN_MALFORMED, "minisign signature: a NUL byte");
	if (split_lines(text, len, l, 4) != 4)
		return err_set(err, MINISIGN_MALFORMED,
			       "minisign signature: want four lines (untrusted comment, signature, "
			       "trusted comment, global signature)");
	rc = untrusted_line(&l[0], "signature", err);
	if (rc)
		return rc;
	if (!b64_exact(l[1].s, l[1].len, raw, sizeof(raw)))
		return err_set(err, MINISIGN_MALFORMED,
			       "minisign signature: line 2 is not the base64 of a %zu-byte signature",
			       sizeof(raw));
	if (raw[0] != 'E' || (raw[1] != 'd' && raw[1] != 'D'))
		return err_set(err, MINISIGN_MALFORMED,
			       "minisign signature: unknown algorithm (want \"Ed\" or \"ED\")");
	if (!has_prefix(&l[2], TRUSTED_PREFIX))
		return err_set(err, MINISIGN_MALFORMED,
			       "minisign signature: line 3 must start with \"%s\"", TRUSTED_PREFIX);
	tlen = l[2].len - strlen(TRUSTED_PREFIX);
	if (tlen > MINISIGN_MAX_COMMENT)
		return err_set(err, MINISIGN_MALFORMED,
			       "minisign signature: the trusted comment is %zu bytes; at most %d",
			       tlen, MINISIGN_MAX_COMMENT);
	if (!comment_ok(l[2].s + strlen(TRUSTED_PREFIX), tlen))
		return err_set(err, MINISIGN_MALFORMED,
			       "minisign signature: the trusted comment has control characters");
	if (!b64_exact(l[3].s, l[3].len, out->global_sig, sizeof(out->global_sig)))
		return err_set(err, MINISIGN_MALFORMED,
			       "minisign signature: line 4 is not the base64 of a 64-byte signature");
	out->prehashed = raw[1] == 'D';
	memcpy(out->id, raw + 2, MINISIGN_KEY_ID_LEN);
	memcpy(out->sig, raw + 2 + MINISIGN_KEY_ID_LEN, 64);
	memcpy(out->trusted_comment, l[2].s + strlen(TRUSTED_PREFIX), tlen);
	out->trusted_comment[tlen] = '\0';
	out->trusted_comment_len = tlen;
	return 0;
}

struct minisign_check *minisign_check_new(const struct minisign_key *key,
					  const struct minisign_sig *sig)
{
	struct minisign_check *c = XNEW(struct minisign_check, 1);

	c->key = *key;
	c->sig = *sig;
	buf_init(&c->legacy, MINISIGN_LEGACY_MAX);
	if (sig->prehashed)
		crypto_generichash_init(&c->blake, NULL, 0, crypto_generichash_BYTES_MAX);
	crypto_hash_sha256_init(&c->sha);
	return c;
}

void minisign_check_update(struct minisign_check *c, const void *data, size_t len)
{
	crypto_hash_sha256_update(&c->sha, data, len);
	c->size += len;
	if (c->sig.prehashed)
		crypto_generichash_update(&c->blake, data, len);
	else if (!c->too_large && buf_add(&c->legacy, data, len) != 0)
		c->too_large = true;
}

int minisign_check_final(struct minisign_check *c, struct minisign_result *res,
			 struct vend_err *err)
{
	uint8_t sha[crypto_hash_sha256_BYTES], hash[crypto_generichash_BYTES_MAX];
	char signer[MINISIGN_KEY_ID_HEX + 1], trusted[MINISIGN_KEY_ID_HEX + 1];
	const uint8_t *msg;
	size_t msg_len;
	struct buf global = BUF_INIT;
	int rc = 0;

	crypto_hash_sha256_final(&c->sha, sha);
	memcpy(c->digest, "sha256:", 7);
	hex_encode(sha, sizeof(sha), c->digest + 7);

	minisign_key_id_hex(c->sig.id, signer);
	minisign_key_id_hex(c->key.id, trusted);
	if (sodium_memcmp(c->sig.id, c->key.id, MINISIGN_KEY_ID_LEN) != 0) {
		rc = err_set(err, MINISIGN_WRONG_KEY,
			     "signed by key %s, not by the trusted key %s", signer, trusted);
		goto out;
	}
	if (c->sig.prehashed) {
		crypto_generichash_final(&c->blake, hash, sizeof(hash));
		msg = hash;
		msg_len = sizeof(hash);
	} else if (c->too_large) {
		rc = err_set(err, MINISIGN_TOO_LARGE,
			     "a legacy (\"Ed\") signature over more than %zu MiB; sign with "
			     "minisign -S (prehashed) instead", MINISIGN_LEGACY_MAX >> 20);
		goto out;
	} else {
		msg = (const uint8_t *)c->legacy.data;
		msg_len = c->legacy.len;
	}
	if (crypto_sign_verify_detached(c->sig.sig, msg, msg_len, c->key.pk) != 0) {
		rc = err_set(err, MINISIGN_BAD_SIGNATURE,
			     "the signature by key %s does not match the file", signer);
		goto out;
	}
	/* the trusted comment is signed together with the signature */
	buf_add(&global, c->sig.sig, sizeof(c->sig.sig));
	buf_add(&global, c->sig.trusted_comment, c->sig.trusted_comment_len);
	if (crypto_sign_verify_detached(c->sig.global_sig, (const uint8_t *)global.data,
					global.len, c->key.pk) != 0) {
		rc = err_set(err, MINISIGN_BAD_COMMENT,
			     "the trusted comment's signature by key %s does not verify", signer);
		goto out;
	}
	memcpy(res->key_id, signer, sizeof(signer));
	memcpy(res->trusted_comment, c->sig.trusted_comment, c->sig.trusted_comment_len + 1);
	memcpy(res->digest, c->digest, sizeof(c->digest));
	res->prehashed = c->sig.prehashed;
	res->size = c->size;
out:
	buf_release(&global);
	return rc;
}

void minisign_check_digest(const struct minisign_check *c, char *out)
{
	memcpy(out, c->digest, sizeof(c->digest));
}

void minisign_check_free(struct minisign_check *c)
{
	if (!c)
		return;
	buf_release(&c->legacy);
	free(c);
}

int minisign_verify(const struct minisign_key *key, const struct minisign_sig *sig,
		    const void *data, size_t len, struct minisign_result *res, char *digest,
		    struct vend_err *err)
{
	struct minisign_check *c = minisign_check_new(key, sig);
	int rc;

	minisign_check_update(c, data, len);
	rc = minisign_check_final(c, res, err);
	if (digest)
		minisign_check_digest(c, digest);
	minisign_check_free(c);
	return rc;
}

int minisign_verify_fd(const struct minisign_key *key, const struct minisign_sig *sig, int fd,
		       struct minisign_result *res, char *digest, struct vend_err *err)
{
	struct minisign_check *c = minisign_check_new(key, sig);
	uint8_t *chunk = xmalloc(1 << 16);
	int rc;

	for (;;) {
		ssize_t n = read(fd, chunk, 1 << 16);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(err, -errno, "reading the artifact: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		minisign_check_update(c, chunk, (size_t)n);
	}
	rc = minisign_check_final(c, res, err);
	if (digest)
		minisign_check_digest(c, digest);
out:
	free(chunk);
	minisign_check_free(c);
	return rc;
}
