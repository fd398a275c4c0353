/*
 * minisign signatures (https://jedisct1.github.io/minisign/): what vend
 * checks an artifact with before it deploys it (DESIGN §9, issue 8
 * point 5). Parses public keys (a .pub file, or its bare base64 line as a
 * TrustedKey document holds it) and .minisig files, strictly and within
 * size limits; verifies a file's bytes against them, streaming, with
 * libsodium; and computes the artifact's SHA-256 digest on the way.
 *
 * Both signature algorithms minisign writes are accepted: "ED" (the
 * default since minisign 0.10: Ed25519 over the BLAKE2b-512 hash of the
 * file, so any size streams) and the legacy "Ed" (Ed25519 over the file
 * itself, `minisign -S -l`; the file is held in memory, up to
 * MINISIGN_LEGACY_MAX). The trusted comment is checked with the global
 * signature over signature || trusted comment. Nothing here logs.
 *
 *	struct minisign_key key;  struct minisign_sig sig;
 *	minisign_key_parse(pub, publen, &key, &err);
 *	minisign_sig_parse(text, textlen, &sig, &err);
 *	minisign_verify_fd(&key, &sig, fd, &res, &err);   0: res.key_id, ...
 */
#ifndef VEND_ARTIFACT_MINISIGN_H
#define VEND_ARTIFACT_MINISIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define MINISIGN_KEY_ID_LEN 8
#define MINISIGN_KEY_ID_HEX 16           /* as minisign prints it: 16 upper-case hex */
#define MINISIGN_MAX_KEY_FILE 4096       /* bytes of a public key (file or line) */
#define MINISIGN_MAX_SIG_FILE 8192       /* bytes of a .minisig file */
#define MINISIGN_MAX_COMMENT 1024        /* bytes of a comment, without its prefix */
#define MINISIGN_LEGACY_MAX ((size_t)64 << 20) /* bytes of a file under an "Ed" signature */
#define MINISIGN_DIGEST_LEN (7 + 64)     /* "sha256:" and 64 hex digits */

/* Why a check failed: each function returns 0 or one of these. */
#define MINISIGN_MALFORMED (-EINVAL)     /* not a minisign key or signature file */
#define MINISIGN_TOO_LARGE (-E2BIG)      /* over a size limit */
#define MINISIGN_WRONG_KEY (-ENOKEY)     /* signed by a key with another key id */
#define MINISIGN_BAD_SIGNATURE (-EBADMSG) /* the file's signature does not verify */
#define MINISIGN_BAD_COMMENT (-EILSEQ)   /* the trusted comment's signature does not */

struct minisign_key {
	uint8_t id[MINISIGN_KEY_ID_LEN];
	uint8_t pk[32];                  /* Ed25519 public key */
};

struct minisign_sig {
	bool prehashed;                  /* "ED": the signature is over BLAKE2b-512(file) */
	uint8_t id[MINISIGN_KEY_ID_LEN]; /* the signer's key id */
	uint8_t sig[64];
	uint8_t global_sig[64];          /* over sig || trusted comment */
	char trusted_comment[MINISIGN_MAX_COMMENT + 1]; /* NUL-terminated */
	size_t trusted_comment_len;
};

struct minisign_result {
	char key_id[MINISIGN_KEY_ID_HEX + 1];
	char trusted_comment[MINISIGN_MAX_COMMENT + 1];
	char digest[MINISIGN_DIGEST_LEN + 1];  /* "sha256:<hex>" of the file */
	bool prehashed;
	uint64_t size;                   /* bytes of the file */
};

/* A short phrase for a return code: "malformed", "wrong key", "bad
 * signature", "bad trusted comment signature", "too large", or strerror's. */
const char *minisign_reason(int rc);

/* Parses a public key: the two-line .pub file ("untrusted comment: ..."
 * then the base64 line) or the base64 line alone, surrounding whitespace
 * allowed. MINISIGN_MALFORMED or MINISIGN_TOO_LARGE, with the detail in err. */
int minisign_key_parse(const char *text, size_t len, struct minisign_key *out,
		       struct vend_err *err);
/* Parses a .minisig file: untrusted comment line, signature line, trusted
 * comment line, global signature line; CRLF and trailing empty lines
 * allowed, nothing else. MINISIGN_MALFORMED or MINISIGN_TOO_LARGE. */
int minisign_sig_parse(const char *text, size_t len, struct minisign_sig *out,
		       struct vend_err *err);

/* A key id as minisign prints it ("18BC4229F0128507"); out has 17 bytes. */
void minisign_key_id_hex(const uint8_t id[MINISIGN_KEY_ID_LEN], char *out);
/* The key of keys[0..n) whose id the signature names, or NULL; borrows. */
const struct minisign_key *minisign_find_key(const struct minisign_key *keys, size_t n,
					     const struct minisign_sig *sig);

/* Streaming verification: new, update with the file's bytes in any
 * pieces, final. minisign_check_new copies key and sig. */
struct minisign_check;
struct minisign_check *minisign_check_new(const struct minisign_key *key,
					  const struct minisign_sig *sig);
void minisign_check_update(struct minisign_check *c, const void *data, size_t len);
/* 0 and res filled, or MINISIGN_WRONG_KEY, MINISIGN_BAD_SIGNATURE,
 * MINISIGN_BAD_COMMENT, MINISIGN_TOO_LARGE (a legacy signature over more
 * than MINISIGN_LEGACY_MAX bytes), with the detail in err. Call once. */
int minisign_check_final(struct minisign_check *c, struct minisign_result *res,
			 struct vend_err *err);
/* The file's digest ("sha256:<hex>", out has MINISIGN_DIGEST_LEN + 1
 * bytes), whether or not the signature verified; after final. */
void minisign_check_digest(const struct minisign_check *c, char *out);
void minisign_check_free(struct minisign_check *c); /* accepts NULL */

/* One call: the bytes in memory, or everything readable from fd (read to
 * its end; not closed). Return as minisign_check_final, or -errno of a
 * failed read. digest, when not NULL, gets the file's digest even when the
 * signature does not verify (not after a failed read). */
int minisign_verify(const struct minisign_key *key, const struct minisign_sig *sig,
		    const void *data, size_t len, struct minisign_result *res,
		    char *digest, struct vend_err *err);
int minisign_verify_fd(const struct minisign_key *key, const struct minisign_sig *sig, int fd,
		       struct minisign_result *res, char *digest, struct vend_err *err);

#endif
