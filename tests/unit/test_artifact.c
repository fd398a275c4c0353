/*
 * Unit tests for artifact/artifact: what a run records about its
 * artifact. A key pair made at test time by Debian's minisign signs a
 * file; artifact_verify accepts it with the TrustedKey's name, key id,
 * trusted comment and digest, and refuses a changed byte, a missing
 * signature, a key that is not trusted and a malformed signature, each
 * with its reason and still with the digest. artifact_fetch refuses what
 * is not http(s) without touching the network.
 */

#include "artifact/artifact.h"
#include "tap.h"
#include "testproc.h"
#include "util/buf.h"
#include "util/fsutil.h"

/* sha256 of "the artifact's bytes\n" (sha256sum) */
#define DIGEST "sha256:b8a14e33ab1220237a82ec1522244577655f211dc2af12336ecbc04593b20d0d"

static struct buf slurp(const char *name)
{
	struct buf b = BUF_INIT;
	CHECK_INT(fs_read_file(test_path(name), (size_t)1 << 20, &b), 0);
	return b;
}

static struct minisign_key key_of(const char *name)
{
	struct minisign_key k;
	struct vend_err err = VEND_ERR_INIT;
	struct buf b = slurp(name);
	CHECK_INT(minisign_key_parse(b.data, b.len, &k, &err), 0);
	buf_release(&b);
	return k;
}

static const char *s(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "(null)";
}

TEST(artifact_verify_reports_what_a_run_records)
{
	const char *content = "the artifact's bytes\n";
	struct artifact_key keys[2];
	struct buf sig, bad;
	json_t *r;

	test_scratch("artifact");
	char *g1[] = { "minisign", "-G", "-W", "-p", test_path("a.pub"), "-s", test_path("a.key"), NULL };
	char *g2[] = { "minisign", "-G", "-W", "-p", test_path("b.pub"), "-s", test_path("b.key"), NULL };
	if (test_run_quiet(g1) || test_run_quiet(g2))
		tap_fail(__FILE__, __LINE__, "minisign -G -W failed: is minisign installed?");
	CHECK_INT(fs_write_scratch(test_path("f"), content, strlen(content), 0644), 0);
	char *sign[] = { "minisign", "-S", "-s", test_path("b.key"), "-m", test_path("f"), "-t", "ci", NULL };
	CHECK_INT(test_run_quiet(sign), 0);
	keys[0] = (struct artifact_key){ "other", key_of("a.pub") };
	keys[1] = (struct artifact_key){ "release", key_of("b.pub") };
	sig = slurp("f.minisig");

	/* Signed: the key the signature names is picked among several. */
	r = artifact_verify(keys, 2, content, strlen(content), sig.data, sig.len);
	CHECK(json_is_true(json_object_get(r, "signed")));
	CHECK_STR(s(r, "signer"), "release");
	CHECK_STR(s(r, "trusted_comment"), "ci");
	CHECK(json_is_null(json_object_get(r, "reason")));
	CHECK(strlen(s(r, "key_id")) == 16);
	CHECK_STR(s(r, "digest"), DIGEST);
	json_decref(r);

	/* One changed byte. */
	r = artifact_verify(keys, 2, "the artifact's bytes!", 21, sig.data, sig.len);
	CHECK(json_is_false(json_object_get(r, "signed")));
	CHECK(json_is_null(json_object_get(r, "signer")));
	CHECK(!strncmp(s(r, "reason"), "bad signature (key ", 19));
	CHECK(strstr(s(r, "reason"), "TrustedKey release") != NULL);
	CHECK(!strncmp(s(r, "digest"), "sha256:", 7));
	json_decref(r);

	/* No signature; a key not trusted; a malformed signature. */
	r = artifact_verify(keys, 2, content, strlen(content), NULL, 0);
	CHECK_STR(s(r, "reason"), "no signature");
	CHECK(!strncmp(s(r, "digest"), "sha256:", 7));
	json_decref(r);
	r = artifact_verify(keys, 1, content, strlen(content), sig.data, sig.len);
	CHECK(strstr(s(r, "reason"), "which is not a TrustedKey") != NULL);
	json_decref(r);
	bad = slurp("f.minisig");
	bad.data[bad.len / 2] = '\n';
	r = artifact_verify(keys, 2, content, strlen(content), bad.data, bad.len);
	CHECK(!strncmp(s(r, "reason"), "signature malformed", 19));
	json_decref(r);
	buf_release(&bad);
	buf_release(&sig);
	test_scratch_remove();
}

TEST(artifact_fetch_only_http)
{
	struct buf b = BUF_INIT;
	struct vend_err err = VEND_ERR_INIT;

	CHECK_INT(artifact_fetch("file:///etc/passwd", 1024, 1000, &b, &err), -EINVAL);
	CHECK(strstr(err.msg, "not an http:// or https:// URL") != NULL);
	CHECK_INT((int)b.len, 0);
	err_free(&err);
	buf_release(&b);
}
