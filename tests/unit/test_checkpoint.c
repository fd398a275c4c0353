/*
 * Tests of audit/checkpoint: C2SP signed notes and tlog-checkpoints.
 *
 * Known answers come from golang.org/x/mod, sumdb/note/note_test.go
 * (TestNewVerifier, TestNewSigner, TestSign, TestOpen: the PeterNeumann and
 * EnochRoot keys, texts and signatures), and from the C2SP specs' examples
 * (signed-note.md, tlog-checkpoint.md in github.com/C2SP/C2SP). The two
 * signed checkpoints in checkpoint_known_answers were made independently
 * with Python's hashlib and the `cryptography` package (OpenSSL's Ed25519)
 * from the PeterNeumann signer key.
 */
#include <sodium.h>

#include "audit/audit_int.h"
#include "audit/checkpoint.h"
#include "tap.h"
#include "util/xalloc.h"

/* note_test.go */
static const char peter_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char peter_skey[] =
	"PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char enoch_vkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char go_text[] = "If you think cryptography is the answer to your problem,\n"
			      "then you don't know what your problem is.\n";
static const char peter_sig[] = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIu"
				"GUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_sig[] = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp"
				"+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

static struct note_verifier vkey(const char *s)
{
	struct note_verifier v;
	struct vend_err e = VEND_ERR_INIT;
	if (note_verifier_decode(s, strlen(s), &v, &e))
		tap_fail(__FILE__, __LINE__, "verifier key %s: %s", s, e.msg);
	return v;
}

/* a + b + c ... as one new string */
static char *cat(const char *a, const char *b, const char *c, const char *d)
{
	struct buf x = BUF_INIT;
	buf_adds(&x, a);
	buf_adds(&x, b ? b : "");
	buf_adds(&x, c ? c : "");
	buf_adds(&x, d ? d : "");
	return buf_detach(&x, NULL);
}

/* s with ins inserted at byte pos, as new */
static char *insert_at(const char *s, size_t pos, const char *ins)
{
	struct buf x = BUF_INIT;
	buf_add(&x, s, pos);
	buf_adds(&x, ins);
	buf_adds(&x, s + pos);
	return buf_detach(&x, NULL);
}

static int open_with(const char *msg, const struct note_verifier *v)
{
	size_t tl = 0;
	return note_open(msg, strlen(msg), v, &tl, NULL);
}

/* TestNewVerifier */
TEST(go_verifier_key_and_its_manglings)
{
	struct note_verifier v;
	struct buf b = BUF_INIT;
	char k[sizeof(peter_vkey)];
	size_t n = strlen(peter_vkey);

	v = vkey(peter_vkey);
	CHECK_STR(v.name, "PeterNeumann");
	CHECK_INT(v.key_id, 0xc74f20a3);
	CHECK_INT(note_key_id(v.name, v.pk), 0xc74f20a3);
	CHECK_INT(note_verifier_encode(&v, &b), 0);
	CHECK_STR(b.data, peter_vkey);
	buf_release(&b);
	/* every proper substring, and every byte incremented, is rejected */
	for (size_t i = 0; i <= n; i++)
		for (size_t j = i + 1; j <= n; j++)
			if (i != 0 || j != n)
				CHECK_INT(note_verifier_decode(peter_vkey + i, j - i, &v, NULL),
					  -EINVAL);
	memcpy(k, peter_vkey, sizeof(k));
	for (size_t i = 0; i < n; i++) {
		k[i]++;
		CHECK_INT(note_verifier_decode(k, n, &v, NULL), -EINVAL);
		k[i]--;
	}
	/* wrong length key, unknown algorithm; both with adjusted key hash */
	CHECK_INT(note_verifier_decode("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
				       "LDE4izWy10TWBADKEY==", 73, &v, NULL), -EINVAL);
	{
		struct vend_err e = VEND_ERR_INIT;
		const char *bad = "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
		CHECK_INT(note_verifier_decode(bad, strlen(bad), &v, &e), -EINVAL);
		CHECK_CONTAINS(e.msg, "unknown algorithm");
	}
}

/* TestNewSigner */
TEST(go_signer_key_and_its_manglings)
{
	struct note_signer s;
	struct note_verifier v;
	struct buf b = BUF_INIT;
	char k[sizeof(peter_skey)];
	size_t n = strlen(peter_skey);

	CHECK_INT(note_signer_decode(peter_skey, n, &s, NULL), 0);
	CHECK_STR(s.name, "PeterNeumann");
	CHECK_INT(s.key_id, 0xc74f20a3);
	note_signer_verifier(&s, &v);
	b.max = 0;
	CHECK_INT(note_verifier_encode(&v, &b), 0);
	CHECK_STR(b.data, peter_vkey);
	buf_reset(&b);
	CHECK_INT(note_signer_encode(&s, &b), 0);
	CHECK_STR(b.data, peter_skey);
	sodium_memzero(b.data, b.len);
	buf_release(&b);
	note_signer_wipe(&s);
	CHECK(sodium_is_zero((const unsigned char *)&s, sizeof(s)));
	for (size_t i = 0; i <= n; i++)
		for (size_t j = i + 1; j <= n; j++)
			if (i != 0 || j != n)
				CHECK_INT(note_signer_decode(peter_skey + i, j - i, &s, NULL),
					  -EINVAL);
	memcpy(k, peter_skey, sizeof(k));
	for (size_t i = 0; i < n; i++) {
		k[i]++;
		CHECK_INT(note_signer_decode(k, n, &s, NULL), -EINVAL);
		k[i]--;
	}
}

/* TestSign */
TEST(go_sign_known_answer)
{
	struct note_signer s;
	struct buf b = BUF_INIT;
	char *want = cat(go_text, "\n", peter_sig, NULL);

	CHECK_INT(note_signer_decode(peter_skey, strlen(peter_skey), &s, NULL), 0);
	CHECK_INT(note_sign(&s, go_text, strlen(go_text), &b), 0);
	CHECK_STR(b.data, want);
	/* text must end in a newline, be UTF-8, hold no control characters */
	buf_reset(&b);
	CHECK_INT(note_sign(&s, "abc", 3, &b), -EINVAL);
	CHECK_INT(note_sign(&s, "", 0, &b), -EINVAL);
	CHECK_INT(note_sign(&s, "a\rb\n", 4, &b), -EINVAL);
	CHECK_INT(note_sign(&s, "a\0b\n", 4, &b), -EINVAL);
	CHECK_INT(note_sign(&s, "\xff\n", 2, &b), -EINVAL);
	CHECK_INT(b.len, 0);
	/* size limit */
	{
		size_t big = NOTE_MAX - 10;
		char *t = malloc(big);
		memset(t, 'a', big);
		t[big - 1] = '\n';
		CHECK_INT(note_sign(&s, t, big, &b), -E2BIG);
		free(t);
	}
	buf_release(&b);
	free(want);
	note_signer_wipe(&s);
}

/* TestOpen */
TEST(go_open_known_answers)
{
	struct note_verifier peter = vkey(peter_vkey), enoch = vkey(enoch_vkey), other;
	struct note_signer gen;
	char *msg, *bad_peter, *bad_enoch;
	size_t tl = 0;
	struct vend_err e = VEND_ERR_INIT;

	msg = cat(go_text, "\n", peter_sig, enoch_sig);
	CHECK_INT(note_open(msg, strlen(msg), &peter, &tl, NULL), 0);
	CHECK_INT(tl, strlen(go_text));
	CHECK(memcmp(msg, go_text, tl) == 0);
	CHECK_INT(open_with(msg, &enoch), 0);
	/* neither signature is by this key */
	CHECK_INT(note_keygen("PeterNeumann", &gen), 0);
	note_signer_verifier(&gen, &other);
	CHECK_INT(note_open(msg, strlen(msg), &other, &tl, &e), -EBADMSG);
	CHECK_CONTAINS(e.msg, "no signature by key PeterNeumann+");
	free(msg);

	/* too many signatures */
	{
		struct buf x = BUF_INIT;
		buf_adds(&x, go_text);
		buf_adds(&x, "\n");
		for (int i = 0; i < 101; i++)
			buf_adds(&x, peter_sig);
		CHECK_INT(open_with(x.data, &peter), -E2BIG);
		buf_release(&x);
	}
	/* invalid signature: ABCD inserted in the base64 */
	bad_peter = insert_at(peter_sig, 60, "ABCD");
	msg = cat(go_text, "\n", bad_peter, NULL);
	CHECK_INT(note_open(msg, strlen(msg), &peter, &tl, &e), -EBADMSG);
	CHECK_CONTAINS(e.msg, "invalid signature for key PeterNeumann+c74f20a3");
	free(msg);
	/* duplicated signatures, and a broken one by a key we do not know */
	bad_enoch = insert_at(enoch_sig, 60, "ABCD");
	{
		struct buf x = BUF_INIT;
		buf_adds(&x, go_text);
		buf_adds(&x, "\n");
		buf_adds(&x, peter_sig);
		buf_adds(&x, peter_sig);
		buf_adds(&x, enoch_sig);
		buf_adds(&x, enoch_sig);
		buf_adds(&x, bad_enoch);
		CHECK_INT(open_with(x.data, &peter), 0);
		CHECK_INT(open_with(x.data, &enoch), -EBADMSG); /* enoch's own is broken */
		buf_release(&x);
	}
	/* malformed */
	{
		char *bad[7];
		bad[0] = cat(go_text, NULL, NULL, NULL);
		bad[1] = cat(go_text, "\n", NULL, NULL);
		bad[2] = cat(go_text, "\n", peter_sig, NULL);
		bad[2][strlen(bad[2]) - 1] = '\0'; /* no final newline */
		bad[3] = cat("\x01", go_text, "\n", peter_sig);
		bad[4] = cat("\xff", go_text, "\n", peter_sig);
		bad[5] = cat(go_text, "\n",
			     "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZ"
			     "SNXgKvqfqdngotpRZb6KE6RyyBwJnAM=", NULL);
		bad[6] = cat(go_text, "\n", peter_sig, "Unexpected line.\n");
		for (int i = 0; i < 7; i++) {
			if (open_with(bad[i], &peter) != -EINVAL)
				tap_fail(__FILE__, __LINE__, "malformed note %d accepted", i);
			free(bad[i]);
		}
	}
	/* a signature named for another key, or with another key ID, is not
	 * ours: ignored, so the note has none */
	{
		char *misnamed = cat(go_text, "\n",
				     "— CarmenSandiego x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIu"
				     "GUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", NULL);
		char *wrong_id = cat(go_text, "\n",
				     "— PeterNeumann xxxxo/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIu"
				     "GUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", NULL);
		CHECK_INT(open_with(misnamed, &peter), -EBADMSG);
		CHECK_INT(open_with(wrong_id, &peter), -EBADMSG);
		free(misnamed);
		free(wrong_id);
	}
	free(bad_peter);
	free(bad_enoch);
	note_signer_wipe(&gen);
}

/* The C2SP examples parse; their keys are not ours, so they do not verify. */
TEST(c2sp_examples_parse_but_are_not_signed_by_us)
{
	struct note_verifier peter = vkey(peter_vkey);
	struct checkpoint c;
	struct vend_err e = VEND_ERR_INIT;
	/* signed-note.md */
	const char *poem = "Ognuno sta solo sul cuor della terra\n"
			   "trafitto da un raggio di sole:\n"
			   "\n"
			   "ed è subito sera.\n"
			   "\n"
			   "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddn"
			   "GITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
	/* tlog-checkpoint.md */
	const char *ckpt = "example.com/behind-the-sofa\n"
			   "20852163\n"
			   "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
			   "\n"
			   "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJ"
			   "urmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
	size_t tl;

	CHECK_INT(note_open(poem, strlen(poem), &peter, &tl, &e), -EBADMSG);
	CHECK_CONTAINS(e.msg, "no signature");
	CHECK_INT(note_open(ckpt, strlen(ckpt), &peter, &tl, NULL), -EBADMSG);
	/* the text part of the checkpoint example is a valid checkpoint */
	CHECK_INT(checkpoint_parse(ckpt, strlen(ckpt) - strlen(strstr(ckpt, "\n\n")) + 1, &c,
				   NULL), 0);
	CHECK_STR(c.origin, "example.com/behind-the-sofa");
	CHECK_INT(c.size, 20852163);
	CHECK_INT(c.root[0], 0x0a);
	CHECK_INT(c.extensions, 0);
}

/* Made by an independent implementation (see the top of this file). */
static const char py_ckpt1[] =
	"PeterNeumann\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n"
	"— PeterNeumann x08goyw1WL6iZD4GagectIEwy1dBJcu1w1xKzfGPJaPzS+8xGDsAojSszwytUnvMDG2Qs6"
	"yQC6sGr2c9X4K9VN/2Mwk=\n";
static const char py_ckpt2[] =
	"example.com/log\n18446744073709551615\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
	"ext one\n\n"
	"— PeterNeumann x08go6AWPqvojf4aI39o+Pg0GZ900Sg8pyTemruvZLSkdkjaZR2BXfmGVlbO9Inh6BRfjokYv"
	"Pmcst0l6FL92Ct1PwY=\n";

TEST(checkpoint_known_answers)
{
	struct note_signer s;
	struct note_verifier v = vkey(peter_vkey);
	struct checkpoint c;
	struct buf b = BUF_INIT;
	uint8_t root[32];
	struct vend_err e = VEND_ERR_INIT;

	CHECK_INT(note_signer_decode(peter_skey, strlen(peter_skey), &s, NULL), 0);
	crypto_hash_sha256(root, (const unsigned char *)"", 0);
	CHECK_INT(checkpoint_sign(&s, "PeterNeumann", 0, root, &b), 0);
	CHECK_STR(b.data, py_ckpt1);
	CHECK_INT(checkpoint_open(py_ckpt1, strlen(py_ckpt1), &v, "PeterNeumann", &c, &e), 0);
	CHECK_STR(c.origin, "PeterNeumann");
	CHECK_INT(c.size, 0);
	CHECK(memcmp(c.root, root, 32) == 0);

	memset(&c, 0, sizeof(c));
	CHECK_INT(checkpoint_open(py_ckpt2, strlen(py_ckpt2), &v, NULL, &c, &e), 0);
	CHECK_STR(c.origin, "example.com/log");
	CHECK(c.size == UINT64_MAX);
	for (int i = 0; i < 32; i++)
		CHECK_INT(c.root[i], i);
	CHECK_INT(c.extensions, 1);
	/* the origin must be the one asked for */
	CHECK_INT(checkpoint_open(py_ckpt2, strlen(py_ckpt2), &v, "PeterNeumann", &c, &e),
		  -EBADMSG);
	CHECK_CONTAINS(e.msg, "origin");
	buf_release(&b);
	note_signer_wipe(&s);
}

TEST(keygen_sign_open_round_trip)
{
	struct note_signer s, s2;
	struct note_verifier v, v2;
	struct buf sk = BUF_INIT, vk = BUF_INIT, note = BUF_INIT;
	struct checkpoint c;
	uint8_t root[32], seed[32] = { 1, 2, 3 };

	CHECK_INT(note_keygen("vend.example.com/audit", &s), 0);
	note_signer_verifier(&s, &v);
	CHECK_INT(note_signer_encode(&s, &sk), 0);
	CHECK_INT(note_verifier_encode(&v, &vk), 0);
	CHECK(!strncmp(sk.data, "PRIVATE+KEY+vend.example.com/audit+", 35));
	CHECK_INT(note_signer_decode(sk.data, sk.len, &s2, NULL), 0);
	CHECK_INT(note_verifier_decode(vk.data, vk.len, &v2, NULL), 0);
	CHECK(memcmp(&s, &s2, sizeof(s)) == 0);
	CHECK(memcmp(&v, &v2, sizeof(v)) == 0);
	for (int i = 0; i < 32; i++)
		root[i] = (uint8_t)(i * 7);
	CHECK_INT(checkpoint_sign(&s2, s2.name, 41, root, &note), 0);
	CHECK_INT(checkpoint_open(note.data, note.len, &v2, v2.name, &c, NULL), 0);
	CHECK_INT(c.size, 41);
	CHECK(memcmp(c.root, root, 32) == 0);
	/* two keys never share a signature */
	CHECK_INT(note_keygen("vend.example.com/audit", &s2), 0);
	note_signer_verifier(&s2, &v2);
	CHECK(v2.key_id != v.key_id || memcmp(v2.pk, v.pk, 32) != 0);
	CHECK_INT(checkpoint_open(note.data, note.len, &v2, NULL, &c, NULL), -EBADMSG);
	/* seeds are deterministic */
	CHECK_INT(note_signer_from_seed("x", seed, &s), 0);
	CHECK_INT(note_signer_from_seed("x", seed, &s2), 0);
	CHECK(memcmp(&s, &s2, sizeof(s)) == 0);
	/* bad names */
	CHECK_INT(note_keygen("", &s), -EINVAL);
	CHECK_INT(note_keygen("a+b", &s), -EINVAL);
	CHECK_INT(note_keygen("a b", &s), -EINVAL);
	CHECK_INT(note_keygen("a\xe3\x80\x80" "b", &s), -EINVAL); /* U+3000 */
	CHECK_INT(note_keygen("a\xc2\xa0", &s), -EINVAL);        /* U+00A0 */
	CHECK(note_name_valid("h\xc3\xa9llo/x", 8));
	CHECK(!note_name_valid("\xff", 1));
	sodium_memzero(sk.data, sk.len);
	buf_release(&sk);
	buf_release(&vk);
	buf_release(&note);
	note_signer_wipe(&s);
	note_signer_wipe(&s2);
}

/* Whatever byte of a signed checkpoint changes, it no longer verifies. */
TEST(tampering_with_any_byte_is_rejected)
{
	struct note_signer s;
	struct note_verifier v;
	struct buf note = BUF_INIT;
	struct checkpoint c;
	uint8_t root[32];
	static const uint8_t flips[] = { 0x01, 0x02, 0x20, 0x40, 0x80 };
	long tried = 0;

	CHECK_INT(note_keygen("log.example/a", &s), 0);
	note_signer_verifier(&s, &v);
	memset(root, 0x5a, 32);
	CHECK_INT(checkpoint_sign(&s, "log.example/a", 123456789, root, &note), 0);
	for (size_t i = 0; i < note.len; i++)
		for (size_t f = 0; f < sizeof(flips); f++) {
			int rc;
			note.data[i] ^= (char)flips[f];
			rc = checkpoint_open(note.data, note.len, &v, NULL, &c, NULL);
			if (rc != -EINVAL && rc != -EBADMSG)
				tap_fail(__FILE__, __LINE__, "byte %zu ^ %#x: rc %d", i, flips[f], rc);
			note.data[i] ^= (char)flips[f];
			tried++;
		}
	CHECK_INT(checkpoint_open(note.data, note.len, &v, NULL, &c, NULL), 0);
	/* origin, size and root changed and re-signed by another key */
	{
		struct note_signer evil;
		struct buf x = BUF_INIT;
		CHECK_INT(note_keygen("log.example/a", &evil), 0);
		CHECK_INT(checkpoint_sign(&evil, "log.example/a", 123456790, root, &x), 0);
		CHECK_INT(checkpoint_open(x.data, x.len, &v, NULL, &c, NULL), -EBADMSG);
		buf_release(&x);
		note_signer_wipe(&evil);
	}
	/* a truncated note: every prefix fails */
	for (size_t n = 0; n < note.len; n++) {
		int rc = checkpoint_open(note.data, n, &v, NULL, &c, NULL);
		CHECK(rc == -EINVAL || rc == -EBADMSG);
	}
	CHECK(tried > 500);
	buf_release(&note);
	note_signer_wipe(&s);
}

static int parse(const char *text)
{
	struct checkpoint c;
	return checkpoint_parse(text, strlen(text), &c, NULL);
}

TEST(checkpoint_text_is_parsed_strictly)
{
	const char *r = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
	char t[256];

#define T(fmt, ...) (snprintf(t, sizeof(t), fmt, __VA_ARGS__), parse(t))
	CHECK_INT(T("o\n0\n%s\n", r), 0);
	CHECK_INT(T("o\n18446744073709551615\n%s\n", r), 0);
	CHECK_INT(T("o\n18446744073709551616\n%s\n", r), -EINVAL);
	CHECK_INT(T("o\n99999999999999999999\n%s\n", r), -EINVAL);
	CHECK_INT(T("o\n01\n%s\n", r), -EINVAL);
	CHECK_INT(T("o\n00\n%s\n", r), -EINVAL);
	CHECK_INT(T("o\n-1\n%s\n", r), -EINVAL);
	CHECK_INT(T("o\n+1\n%s\n", r), -EINVAL);
	CHECK_INT(T("o\n 1\n%s\n", r), -EINVAL);
	CHECK_INT(T("o\n1 \n%s\n", r), -EINVAL);
	CHECK_INT(T("o\n\n%s\n", r), -EINVAL);
	CHECK_INT(T("\n1\n%s\n", r), -EINVAL);
	CHECK_INT(T("o\n1\n%s", r), -EINVAL);          /* no final newline */
	CHECK_INT(T("o\n1\n%s\r\n", r), -EINVAL);     /* CR */
	CHECK_INT(T("o\n1\n%s\next\n", r), 0);
	CHECK_INT(T("o\n1\n%s\next\n\nmore\n", r), -EINVAL); /* empty extension */
	CHECK_INT(T("o\n1\n%s\n", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg=="), -EINVAL);
	CHECK_INT(T("o\n1\n%s\n", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g"), -EINVAL);
	CHECK_INT(T("o\n1\n%s\n", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9="), -EINVAL);
	CHECK_INT(T("o\n1\n%s\n", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"), -EINVAL);
	CHECK_INT(T("o\n1\n %s\n", r), -EINVAL);
	CHECK_INT(T("o\n1\n%s\n", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"), -EINVAL);
	/* bytes >= 0x80 are not base64 (libsodium 1.0.18 reads them as '/') */
	CHECK_INT(T("o\n1\n%s\n", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\xe0\xba\x86="), -EINVAL);
	CHECK_INT(T("o\n1\n%s\n", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH\xc3\xbf="), -EINVAL);
	CHECK_INT(parse("o\n1\n"), -EINVAL);
	CHECK_INT(parse(""), -EINVAL);
#undef T
}

TEST(signed_note_syntax_is_strict)
{
	struct note_signer s;
	struct note_verifier v;
	struct buf note = BUF_INIT, x = BUF_INIT;
	const char *text = "log\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
	char *sigline;

	CHECK_INT(note_keygen("log", &s), 0);
	note_signer_verifier(&s, &v);
	CHECK_INT(note_sign(&s, text, strlen(text), &note), 0);
	sigline = strstr(note.data, "\n\n") + 2;
	CHECK_INT(open_with(note.data, &v), 0);

#define WITH(a, b, c) (buf_reset(&x), buf_adds(&x, a), buf_adds(&x, b), buf_adds(&x, c), \
		       open_with(x.data, &v))
	/* other signatures before and after ours are ignored... */
	CHECK_INT(WITH(note.data, "— other.example/key AAAAAAA=\n", ""), 0);
	CHECK_INT(WITH(text, "\n— other AAAAAAAA\n", sigline), 0);
	/* ...but must still be well-formed */
	CHECK_INT(WITH(note.data, "— other AAAA\n", ""), -EINVAL);        /* < 5 bytes */
	CHECK_INT(WITH(note.data, "— other AAAAAAA\n", ""), -EINVAL);     /* bad base64 */
	CHECK_INT(WITH(note.data, "— other AAAAAAB=\n", ""), -EINVAL);    /* pad bits */
	CHECK_INT(WITH(note.data, "— other  AAAAAAA=\n", ""), -EINVAL);   /* two spaces */
	CHECK_INT(WITH(note.data, "— a+b AAAAAAA=\n", ""), -EINVAL);
	CHECK_INT(WITH(note.data, "—  AAAAAAA=\n", ""), -EINVAL);         /* empty name */
	CHECK_INT(WITH(note.data, "— other\n", ""), -EINVAL);
	CHECK_INT(WITH(note.data, "- other AAAAAAA=\n", ""), -EINVAL);    /* ASCII dash */
	CHECK_INT(WITH(note.data, "\n", ""), -EINVAL);                    /* blank line last */
	CHECK_INT(WITH(note.data, "— other AAAAAAA=\r\n", ""), -EINVAL);
	CHECK_INT(WITH(note.data, "— other AAAAAAA=", ""), -EINVAL);       /* no final newline */
	/* ours, twice, is fine; ours broken anywhere is not */
	CHECK_INT(WITH(note.data, sigline, ""), 0);
	{
		char *broken = xstrdup(sigline);
		char *p = strrchr(broken, '=') - 2;
		*p = *p == 'A' ? 'B' : 'A';
		CHECK_INT(WITH(note.data, broken, ""), -EBADMSG);
		CHECK_INT(WITH(text, "\n", broken), -EBADMSG);
		free(broken);
	}
	/* a blank line inside the text: the last one separates */
	CHECK_INT(WITH("a\n\nb\n", "", ""), -EINVAL);
	{
		struct buf y = BUF_INIT;
		CHECK_INT(note_sign(&s, "a\n\nb\n", 5, &y), 0);
		size_t tl;
		CHECK_INT(note_open(y.data, y.len, &v, &tl, NULL), 0);
		CHECK_INT(tl, 5);
		buf_release(&y);
	}
	/* size limit: 1 MiB */
	{
		struct buf big = BUF_INIT;
		buf_grow(&big, NOTE_MAX + 1);
		buf_adds(&big, text);
		while (big.len < NOTE_MAX - strlen(sigline) - 1)
			buf_adds(&big, "x\n");
		struct buf y = BUF_INIT;
		y.max = NOTE_MAX * 2;
		buf_adds(&y, big.data);
		buf_adds(&y, "\n");
		buf_adds(&y, sigline);
		CHECK(y.len > NOTE_MAX);
		CHECK_INT(open_with(y.data, &v), -E2BIG);
		buf_release(&y);
		buf_release(&big);
	}
#undef WITH
	buf_release(&note);
	buf_release(&x);
	note_signer_wipe(&s);
}

/* The fast base64 decoder and the libsodium one (behind its alphabet
 * check) accept exactly the same strings, with the same bytes; and both
 * refuse every non-canonical spelling. */
TEST(base64_decoders_agree)
{
	static const char alpha[] = "AQgw/+9Zaz=\xe0\x80 \n-_";
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	uint8_t a[64], b[64];
	long accepted = 0;

	for (long i = 0; i < 400000; i++) {
		char s[24];
		size_t len, na = 0, nb = 0;
		int ra, rb;
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		len = seed % 17;
		for (size_t k = 0; k < len; k++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			/* mostly letters, so that some strings are valid */
			s[k] = (seed >> 8) % 8 ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[(seed >> 16) % 64]
					       : alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		if (len >= 2 && (seed >> 30) % 3 == 0)
			s[len - 1] = '=';
		if (len >= 2 && (seed >> 33) % 5 == 0)
			s[len - 2] = '=';
		ra = audit__b64_decode(s, len, a, sizeof(a), &na);
		rb = audit__b64_decode_secret(s, len, b, sizeof(b), &nb);
		if (ra != rb || (ra == 0 && (na != nb || memcmp(a, b, na))))
			tap_fail(__FILE__, __LINE__, "decoders disagree on %.*s", (int)len, s);
		accepted += ra == 0;
	}
	CHECK(accepted > 1000);
	/* non-canonical spellings */
	{
		const char *bad[] = { "AB==", "AAB=", "A===", "====", "AA=A", "AA==AA==", "AAA",
				      "AAA\xe0", "AA\n=", "AA= =", "" };
		size_t n;
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			CHECK_INT(audit__b64_decode(bad[i], strlen(bad[i]), a, sizeof(a), &n), -EINVAL);
			CHECK_INT(audit__b64_decode_secret(bad[i], strlen(bad[i]), a, sizeof(a), &n),
				  -EINVAL);
		}
		CHECK_INT(audit__b64_decode("YWJj", 4, a, sizeof(a), &n), 0);
		CHECK_INT(n, 3);
		CHECK(!memcmp(a, "abc", 3));
		CHECK_INT(audit__b64_decode("YWI=", 4, a, sizeof(a), &n), 0);
		CHECK_INT(n, 2);
		CHECK_INT(audit__b64_decode("YQ==", 4, a, sizeof(a), &n), 0);
		CHECK_INT(n, 1);
		CHECK_INT(audit__b64_decode("YWJj", 4, a, 2, &n), -EINVAL); /* no room */
	}
}
