/*
 * Sealing secret values at rest with XChaCha20-Poly1305 (libsodium's
 * crypto_aead_xchacha20poly1305_ietf_*): random 192-bit nonces are safe to
 * pick at random for any number of values, unlike 96-bit ones.
 */
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>

#include "secrets/vault.h"
#include "util/fsutil.h"
#include "util/xalloc.h"

#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES

_Static_assert(NONCE + TAG == VAULT_OVERHEAD, "VAULT_OVERHEAD");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == VAULT_KEY_BYTES, "key size");

void vault_key_random(struct vault_key *out)
{
	crypto_aead_xchacha20poly1305_ietf_keygen(out->k);
}

void vault_key_wipe(struct vault_key *key)
{
	sodium_memzero(key, sizeof(*key));
}

void vault_wipe(struct buf *b)
{
	if (b->data && b->len)
		sodium_memzero(b->data, b->len);
	buf_release(b);
}

static int create_key(const char *path, struct vault_key *out, struct vend_err *err)
{
	char hex[VAULT_KEY_BYTES * 2 + 2];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	ssize_t n;

	if (fd < 0)
		return -errno;
	vault_key_random(out);
	sodium_bin2hex(hex, sizeof(hex), out->k, VAULT_KEY_BYTES);
	hex[VAULT_KEY_BYTES * 2] = '\n';
	n = write(fd, hex, VAULT_KEY_BYTES * 2 + 1);
	sodium_memzero(hex, sizeof(hex));
	if (n != VAULT_KEY_BYTES * 2 + 1 || fsync(fd) < 0) {
		int rc = n < 0 ? -errno : -EIO;
		close(fd);
		unlink(path);
		return err_set(err, rc, "cannot write the master key %s: %s", path, strerror(-rc));
	}
	close(fd);
	return 0;
}

int vault_key_load(const char *path, bool create, struct vault_key *out,
		   struct vend_err *err)
{
	struct buf b = BUF_INIT;
	struct vault_key k;
	struct stat st;
	size_t len;
	int rc;

	if (create) {
		rc = create_key(path, &k, err);
		if (rc == 0) {
			*out = k;
			vault_key_wipe(&k);
			return 0;
		}
		if (rc != -EEXIST)
			return err->msg[0] ? rc : err_set(err, rc, "cannot create the master key "
							       "%s: %s", path, strerror(-rc));
	}
	if (stat(path, &st) < 0)
		return err_set(err, -errno, "cannot read the master key %s: %s", path,
			       strerror(errno));
	if (st.st_mode & 077)
		return err_set(err, -EACCES, "the master key %s is readable by others (mode "
			       "%03o); make it 0600 or 0400", path, (unsigned)(st.st_mode & 0777));
	buf_init(&b, 4096);
	rc = fs_read_file(path, 4096, &b);
	if (rc) {
		vault_wipe(&b);
		return err_set(err, rc, "cannot read the master key %s: %s", path, strerror(-rc));
	}
	len = b.len;
	while (len && (b.data[len - 1] == '\n' || b.data[len - 1] == '\r' ||
		       b.data[len - 1] == ' '))
		len--;
	if (len == VAULT_KEY_BYTES * 2 &&
	    sodium_hex2bin(k.k, VAULT_KEY_BYTES, b.data, len, NULL, NULL, NULL) == 0)
		rc = 0;
	else if (b.len == VAULT_KEY_BYTES)
		memcpy(k.k, b.data, VAULT_KEY_BYTES), rc = 0;
	else
		rc = err_set(err, -EINVAL, "the master key %s is not 64 hex digits (or 32 bytes)",
			     path);
	vault_wipe(&b);
	if (!rc)
		*out = k;
	vault_key_wipe(&k);
	return rc;
}

int vault_seal(const struct vault_key *key, const char *ad, const void *data, size_t len,
	       struct buf *out)
{
	unsigned char *p;
	unsigned long long clen;
	int rc;

	if (len > VAULT_MAX_VALUE)
		return -E2BIG;
	p = xmalloc(len + VAULT_OVERHEAD);
	randombytes_buf(p, NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(p + NONCE, &clen, data, len,
						   (const unsigned char *)ad, strlen(ad), NULL, p,
						   key->k);
	rc = buf_add(out, p, NONCE + (size_t)clen);
	free(p);
	return rc ? -E2BIG : 0;
}

int vault_open(const struct vault_key *key, const char *ad, const void *sealed, size_t len,
	       struct buf *out)
{
	const unsigned char *p = sealed;
	unsigned long long mlen;
	unsigned char *m;
	int rc = 0;

	if (len < VAULT_OVERHEAD || len - VAULT_OVERHEAD > VAULT_MAX_VALUE)
		return -EBADMSG;
	m = xmalloc(len - VAULT_OVERHEAD + 1);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(m, &mlen, NULL, p + NONCE, len - NONCE,
						       (const unsigned char *)ad, strlen(ad), p,
						       key->k))
		rc = -EBADMSG;
	else if (buf_add(out, m, (size_t)mlen))
		rc = -E2BIG;
	sodium_memzero(m, len - VAULT_OVERHEAD + 1);
	free(m);
	return rc;
}
