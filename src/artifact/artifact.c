/*
 * Artifact checks (artifact.h): a bounded libcurl fetch and the
 * verification that turns minisign's answer into what a run records.
 */
#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "artifact/artifact.h"
#include "util/hash.h"

struct sink {
	struct buf *out;
	size_t max;
	bool over;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;

	if (s->out->len + len > s->max || buf_add(s->out, p, len)) {
		s->over = true;
		return 0;        /* makes curl stop with CURLE_WRITE_ERROR */
	}
	return len;
}

int artifact_fetch(const char *url, size_t max, long timeout_ms, struct buf *out,
		   struct vend_err *err)
{
	struct sink s = { out, max, false };
	CURL *e;
	CURLcode cc;
	long status = 0;
	int rc = 0;

	buf_reset(out);
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return err_set(err, -EINVAL, "%s is not an http:// or https:// URL", url);
	e = curl_easy_init();
	if (!e)
		return err_set(err, -EIO, "cannot start a fetch of %s", url);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "vend-artifact");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &s);
	cc = curl_easy_perform(e);
	if (s.over || cc == CURLE_FILESIZE_EXCEEDED) {
		rc = err_set(err, -E2BIG, "%s is larger than %zu bytes", url, max);
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = err_set(err, -EIO, "cannot fetch %s: %s", url, curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299)
		rc = err_set(err, -EIO, "cannot fetch %s: HTTP status %ld", url, status);
out:
	curl_easy_cleanup(e);
	if (rc)
		buf_reset(out);
	return rc;
}

json_t *artifact_verify(const struct artifact_key *keys, size_t n, const void *data,
			size_t len, const char *sig, size_t sig_len)
{
	struct minisign_sig ms;
	struct minisign_result res;
	struct vend_err err = VEND_ERR_INIT;
	const struct artifact_key *k = NULL;
	char digest[MINISIGN_DIGEST_LEN + 1] = "", id[MINISIGN_KEY_ID_HEX + 1] = "";
	char reason[600] = "";
	json_t *out;
	int rc;

	/* The digest is recorded whatever the signature says. */
	{
		uint8_t h[SHA256_LEN];
		sha256(data, len, h);
		memcpy(digest, "sha256:", 7);
		sodium_bin2hex(digest + 7, sizeof(digest) - 7, h, sizeof(h));
	}
	if (!sig) {
		snprintf(reason, sizeof(reason), "no signature");
		goto out;
	}
	rc = minisign_sig_parse(sig, sig_len, &ms, &err);
	if (rc) {
		snprintf(reason, sizeof(reason), "signature %s: %s", minisign_reason(rc), err.msg);
		goto out;
	}
	minisign_key_id_hex(ms.id, id);
	for (size_t i = 0; i < n && !k; i++)
		if (!memcmp(keys[i].key.id, ms.id, sizeof(ms.id)))
			k = &keys[i];
	if (!k) {
		snprintf(reason, sizeof(reason), "signed by key %s, which is not a TrustedKey", id);
		goto out;
	}
	rc = minisign_verify(&k->key, &ms, data, len, &res, NULL, &err);
	if (rc) {
		snprintf(reason, sizeof(reason), "%s (key %s, TrustedKey %s)%s%s",
			 minisign_reason(rc), id, k->name, err.msg[0] ? ": " : "", err.msg);
		goto out;
	}
out:
	out = json_pack("{s:b, s:o, s:o, s:s, s:o, s:o}", "signed", !reason[0],
			"signer", k && !reason[0] ? json_string(k->name) : json_null(),
			"key_id", id[0] ? json_string(id) : json_null(), "digest", digest,
			"trusted_comment", !reason[0] ? json_string(res.trusted_comment)
						     : json_null(),
			"reason", reason[0] ? json_string(reason) : json_null());
	err_free(&err);
	return out;
}
