/*
 * The vault: how secret values are kept at rest (DESIGN §9, issue 8).
 *
 * One master key (32 random bytes, in VEND_MASTER_KEY_FILE or
 * DATA/master.key, mode 0600) seals every secret value with libsodium's
 * XChaCha20-Poly1305 AEAD. A sealed value is nonce (24 bytes) || ciphertext
 * || tag (16 bytes); the associated data names what the value is
 * ("secret:SCOPE/NAME#VERSION", "run:ID"), so a sealed value copied to
 * another row of the database does not open there.
 *
 * Per-run keys: a run's secret parameters are sealed under a key of their
 * own, itself sealed under the master key; deleting the run's key when the
 * run ends makes the parameters unreadable for good.
 *
 * Plain bytes live in struct buf or in sodium_malloc'd keys; callers wipe
 * what they decrypted (vault_wipe) once used. Nothing here logs.
 */
#ifndef VEND_SECRETS_VAULT_H
#define VEND_SECRETS_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

#define VAULT_KEY_BYTES 32
#define VAULT_OVERHEAD (24 + 16) /* nonce + tag */
#define VAULT_MAX_VALUE (64 * 1024)

struct vault_key {
	unsigned char k[VAULT_KEY_BYTES];
};

/* Reads the master key from path (64 hex digits, or exactly 32 raw
 * bytes); when the file does not exist and create is set, makes a new
 * random key there with mode 0600 (O_EXCL: two servers starting at once
 * agree on one key). -ENOENT, -EINVAL (not a key), -EACCES (readable by
 * others: the file must be 0600 or 0400). */
int vault_key_load(const char *path, bool create, struct vault_key *out,
		   struct vend_err *err);
/* A new random key. */
void vault_key_random(struct vault_key *out);
/* Wipes the key (sodium_memzero). */
void vault_key_wipe(struct vault_key *key);

/* Appends the sealed value (VAULT_OVERHEAD + len bytes) to out. ad is the
 * associated data (a NUL-terminated label). 0 or -E2BIG. */
int vault_seal(const struct vault_key *key, const char *ad, const void *data, size_t len,
	       struct buf *out);
/* Appends the plain value to out. -EBADMSG if the value was not sealed
 * with this key and label (a wrong master key, or a tampered row). */
int vault_open(const struct vault_key *key, const char *ad, const void *sealed, size_t len,
	       struct buf *out);

/* Zeroes the buffer's bytes and releases it. */
void vault_wipe(struct buf *b);

#endif
