/*
 * Checking a template's artifact (DESIGN §9, issue 8 point 5): fetching
 * it over HTTP(S) within limits, and verifying its minisign signature
 * against the catalog's TrustedKeys, giving what a run records and what
 * policies see: {signed, signer, key_id, digest, trusted_comment, reason}.
 * Nothing here logs; the engine reads catalog files and keys and calls in.
 */
#ifndef VEND_ARTIFACT_ARTIFACT_H
#define VEND_ARTIFACT_ARTIFACT_H

#include <jansson.h>
#include <stddef.h>

#include "artifact/minisign.h"
#include "util/buf.h"
#include "util/err.h"

#define ARTIFACT_MAX_SIZE ((size_t)64 << 20)   /* bytes of an artifact vend checks */
#define ARTIFACT_FETCH_TIMEOUT_MS 30000L       /* per URL, connect included */

/* A TrustedKey document: its metadata.name (borrowed) and its key. */
struct artifact_key {
	const char *name;
	struct minisign_key key;
};

/* Fetches an http:// or https:// URL (redirects followed, still only
 * http(s), at most 5) into out, at most max bytes, within timeout_ms.
 * 0; -EINVAL (not http(s)), -E2BIG (over max), -EIO (failed or a status
 * other than 2xx) with the detail in err. out is reset first. */
int artifact_fetch(const char *url, size_t max, long timeout_ms, struct buf *out,
		   struct vend_err *err);

/* Verifies data against the signature text sig (NULL: there is none)
 * with whichever of keys[0..n) the signature names. Always returns a new
 * object {signed, signer, key_id, digest, trusted_comment, reason}:
 * signer and key_id name the key when one matched (null otherwise),
 * digest is "sha256:<hex>" of data in every case, reason is null when
 * signed and a sentence otherwise. */
json_t *artifact_verify(const struct artifact_key *keys, size_t n, const void *data,
			size_t len, const char *sig, size_t sig_len);

#endif
