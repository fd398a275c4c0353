/*
 * Signed checkpoints: the tree head of the audit log (origin, size, root
 * hash) in the C2SP tlog-checkpoint format, signed with Ed25519 as a C2SP
 * signed note (c2sp.org/tlog-checkpoint, c2sp.org/signed-note):
 *
 *     vend.example.com/audit            origin
 *     1234                              tree size, decimal
 *     zLf8gK0mO...=                     base64 root hash
 *                                       blank line
 *     — vend.example.com/audit AbCd...  em dash, key name, base64(key ID || signature)
 *
 * Keys are encoded as golang.org/x/mod/sumdb/note does, so that its tools
 * and vend's read each other's keys:
 *
 *     verifier key  NAME+KEYID+base64(0x01 || 32-byte public key)
 *     signer key    PRIVATE+KEY+NAME+KEYID+base64(0x01 || 32-byte seed)
 *
 * where KEYID is 8 hex digits of the key ID, the first four bytes (big
 * endian) of SHA-256(NAME || "\n" || 0x01 || public key).
 *
 * Parsing is strict: a note must be valid UTF-8 without control characters
 * other than newline, end in a newline, be at most NOTE_MAX bytes, hold at
 * most NOTE_MAX_SIGS signature lines, and every base64 field must be
 * canonical (RFC 4648 section 4, padded, zero pad bits). Signature lines by
 * other keys are ignored (the spec requires it), but each one by the given
 * key must verify, and at least one must be present.
 *
 * Errors: -EINVAL for malformed input, -E2BIG past a limit, -EBADMSG when
 * the signature is bad or missing; detail in the optional struct vend_err.
 */
#ifndef VEND_AUDIT_CHECKPOINT_H
#define VEND_AUDIT_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define NOTE_NAME_MAX 255          /* bytes in a key name or an origin */
#define NOTE_MAX ((size_t)1 << 20) /* bytes in a signed note */
#define NOTE_MAX_SIGS 100          /* signature lines in a note */
#define NOTE_PUBKEY_LEN 32
#define NOTE_SEED_LEN 32
#define NOTE_SIG_LEN 64

/* A key that signs. sk is secret: wipe with note_signer_wipe. */
struct note_signer {
	char name[NOTE_NAME_MAX + 1];
	uint32_t key_id;
	uint8_t pk[NOTE_PUBKEY_LEN];
	uint8_t sk[64]; /* libsodium's Ed25519 secret key: seed || pk */
};

/* A key that verifies. Plain data, no free needed. */
struct note_verifier {
	char name[NOTE_NAME_MAX + 1];
	uint32_t key_id;
	uint8_t pk[NOTE_PUBKEY_LEN];
};

/* Whether name may name a key: non-empty, at most NOTE_NAME_MAX bytes of
 * UTF-8 with no control characters, Unicode spaces or '+'. */
bool note_name_valid(const char *name, size_t len);
/* The key ID of an Ed25519 key (signed-note "Ed25519 signatures"). */
uint32_t note_key_id(const char *name, const uint8_t pk[NOTE_PUBKEY_LEN]);

/* A new random key named name (libsodium's randomness). Returns 0 or
 * -EINVAL (name not valid). */
int note_keygen(const char *name, struct note_signer *out);
/* The key of the given seed (deterministic: tests, key files). */
int note_signer_from_seed(const char *name, const uint8_t seed[NOTE_SEED_LEN],
			  struct note_signer *out);
/* Zeroes the secret key (sodium_memzero). NULL is fine. */
void note_signer_wipe(struct note_signer *s);
/* The verifier of a signer's key. */
void note_signer_verifier(const struct note_signer *s, struct note_verifier *out);

/* Appends the signer key encoding to out. It is a secret: the caller wipes
 * out->data (sodium_memzero) before releasing it. 0 or -E2BIG. */
int note_signer_encode(const struct note_signer *s, struct buf *out);
/* Decodes a signer key (len bytes, no newline), checking that its key ID
 * matches the key. Returns 0 or -EINVAL. */
int note_signer_decode(const char *skey, size_t len, struct note_signer *out,
		       struct vend_err *err);
/* Appends the verifier key encoding to out. 0 or -E2BIG. */
int note_verifier_encode(const struct note_verifier *v, struct buf *out);
/* Decodes a verifier key, checking its key ID. Returns 0 or -EINVAL. */
int note_verifier_decode(const char *vkey, size_t len, struct note_verifier *out,
			 struct vend_err *err);

/*
 * Appends the signed note of text (len bytes; it must be non-empty, end in
 * a newline, be valid UTF-8 without other control characters) to out: the
 * text, a blank line and one signature line by s. Returns 0, -EINVAL, or
 * -E2BIG (the note would exceed NOTE_MAX, or out's cap).
 */
int note_sign(const struct note_signer *s, const char *text, size_t len, struct buf *out);
/*
 * Parses the signed note msg (len bytes) and verifies it with v. On
 * success *text_len is the length of the signed text, which is msg's
 * first *text_len bytes (borrowed, ends in a newline). Returns 0, -EINVAL
 * (malformed), -E2BIG (too large or too many signatures), -EBADMSG (a
 * signature by v does not verify, or there is none).
 */
int note_open(const char *msg, size_t len, const struct note_verifier *v, size_t *text_len,
	      struct vend_err *err);

/* ---- tlog-checkpoint ------------------------------------------------------ */

struct checkpoint {
	char origin[NOTE_NAME_MAX + 1];
	uint64_t size;
	uint8_t root[32];
	size_t extensions; /* extension lines seen (opaque, not returned) */
};

/* Appends the checkpoint text "origin\nsize\nbase64(root)\n" to out.
 * origin: non-empty, at most NOTE_NAME_MAX bytes of UTF-8 without control
 * characters. Returns 0, -EINVAL or -E2BIG. */
int checkpoint_format(const char *origin, uint64_t size, const uint8_t root[32],
		      struct buf *out);
/* Parses checkpoint text (the signed text of a note, len bytes, ending in a
 * newline): origin, size (decimal, no leading zeros, fits uint64), root
 * (canonical base64 of 32 bytes), then optional non-empty extension lines.
 * Returns 0 or -EINVAL. */
int checkpoint_parse(const char *text, size_t len, struct checkpoint *out,
		     struct vend_err *err);
/* checkpoint_format + note_sign: appends the signed checkpoint to out. */
int checkpoint_sign(const struct note_signer *s, const char *origin, uint64_t size,
		    const uint8_t root[32], struct buf *out);
/*
 * note_open + checkpoint_parse: verifies the signed checkpoint msg with v
 * and, when origin is not NULL, that its origin is exactly origin. Fills
 * *out only on success. Errors as note_open and checkpoint_parse.
 */
int checkpoint_open(const char *msg, size_t len, const struct note_verifier *v,
		    const char *origin, struct checkpoint *out, struct vend_err *err);

#endif
