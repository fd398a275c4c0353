/*
 * Unit tests for artifact/minisign: keys and signatures made at test time
 * by Debian's minisign (scripts/deps.sh installs it): a key pair with
 * `minisign -G -W`, signatures with `minisign -S` (prehashed, the default)
 * and `minisign -S -l` (legacy). vend accepts them and reports the signer
 * key id minisign printed, the trusted comment and the SHA-256 digest; one
 * changed byte of the file, the signature or the trusted comment is
 * refused with the reason that fits; malformed files are refused.
 */
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>

#include "artifact/minisign.h"
#include "tap.h"
#include "testproc.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/hash.h"

static void write_file(const char *name, const void *data, size_t len)
{
	CHECK_INT(fs_write_scratch(test_path(name), data, len, 0644), 0);
}

static struct buf read_file(const char *name)
{
	struct buf b = BUF_INIT;
	CHECK_INT(fs_read_file(test_path(name), (size_t)1 << 30, &b), 0);
	return b;
}

/* A fresh directory with a key pair "k" and a file "f" signed both ways:
 * f.minisig (prehashed) and f.legacy.minisig. */
static void setup(const char *content, const char *comment)
{
	test_scratch("minisign");
	char *gen[] = { "minisign", "-G", "-W", "-p", test_path("k.pub"), "-s", test_path("k.key"), NULL };
	if (test_run_quiet(gen) != 0)
		tap_fail(__FILE__, __LINE__, "minisign -G -W failed: is minisign installed?");
	write_file("f", content, strlen(content));
	char *sign[] = { "minisign", "-S", "-s", test_path("k.key"), "-m", test_path("f"),
			 "-t", (char *)comment, NULL };
	CHECK_INT(test_run_quiet(sign), 0);
	char *legacy[] = { "minisign", "-S", "-l", "-s", test_path("k.key"), "-m", test_path("f"),
			   "-x", test_path("f.legacy.minisig"), "-t", (char *)comment, NULL };
	CHECK_INT(test_run_quiet(legacy), 0);
}

static void cleanup(void)
{
	test_scratch_remove();
}

static struct minisign_key load_key(const char *name)
{
	struct minisign_key key;
	struct vend_err err = VEND_ERR_INIT;
	struct buf b = read_file(name);

	if (minisign_key_parse(b.data, b.len, &key, &err) != 0)
		tap_fail(__FILE__, __LINE__, "%s: %s", name, err.msg);
	buf_release(&b);
	return key;
}

/* Parses the signature text and verifies data; returns the code. */
static int verify_text(const struct minisign_key *key, const char *sig, size_t sig_len,
		       const char *data, size_t len, struct minisign_result *res,
		       struct vend_err *err)
{
	struct minisign_sig s;
	int rc = minisign_sig_parse(sig, sig_len, &s, err);
	return rc ? rc : minisign_verify(key, &s, data, len, res, NULL, err);
}

static int verify_files(const struct minisign_key *key, const char *sig_name,
			const char *file_name, struct minisign_result *res, struct vend_err *err)
{
	struct buf sig = read_file(sig_name), f = read_file(file_name);
	int rc = verify_text(key, sig.data, sig.len, f.data, f.len, res, err);
	buf_release(&sig);
	buf_release(&f);
	return rc;
}

TEST(minisign_accepts_what_minisign_signs)
{
	const char *content = "artifact payments-1.4.2.tar.gz contents\n";
	struct minisign_key key;
	struct minisign_result res;
	struct vend_err err = VEND_ERR_INIT;
	struct buf pub;
	char id[32], sha[SHA256_HEX_LEN + 1], want[80];

	setup(content, "release 1.4.2 by ci");
	key = load_key("k.pub");
	/* the id minisign printed in the public key's comment */
	pub = read_file("k.pub");
	CHECK(sscanf(pub.data, "untrusted comment: minisign public key %16s", id) == 1);
	/* minisign prints it without leading zeros; vend always with 16 digits */
	while (strlen(id) < 16) {
		memmove(id + 1, id, strlen(id) + 1);
		id[0] = '0';
	}
	sha256_hex(content, strlen(content), sha);
	snprintf(want, sizeof(want), "sha256:%s", sha);
	for (int legacy = 0; legacy < 2; legacy++) {
		if (verify_files(&key, legacy ? "f.legacy.minisig" : "f.minisig", "f", &res,
				 &err) != 0)
			tap_fail(__FILE__, __LINE__, "legacy=%d: %s", legacy, err.msg);
		CHECK_STR(res.key_id, id);
		CHECK_STR(res.trusted_comment, "release 1.4.2 by ci");
		CHECK_STR(res.digest, want);
		CHECK_INT(res.prehashed, !legacy);
		CHECK_INT(res.size, strlen(content));
	}
	buf_release(&pub);
	cleanup();
}

TEST(minisign_key_forms)
{
	struct minisign_key a, b;
	struct vend_err err = VEND_ERR_INIT;
	struct buf pub;
	const char *line;
	char bare[128];

	setup("x", "c");
	a = load_key("k.pub");
	pub = read_file("k.pub");
	line = strchr(pub.data, '\n') + 1;
	/* the key line alone, as a TrustedKey holds it; with spaces; CRLF */
	CHECK_INT(minisign_key_parse(line, 56, &b, &err), 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	snprintf(bare, sizeof(bare), "  %.56s \n", line);
	CHECK_INT(minisign_key_parse(bare, strlen(bare), &b, &err), 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	snprintf(bare, sizeof(bare), "untrusted comment: k\r\n%.56s\r\n", line);
	CHECK_INT(minisign_key_parse(bare, strlen(bare), &b, &err), 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	buf_release(&pub);
	cleanup();
}

TEST(minisign_refuses_malformed_keys)
{
	static const char *const bad[] = {
		"",
		"RWQHhRLwKUK8GGnYyz4LwXsTQdhgl3dlPEJNecH3FKKfUdmC1C8AWHO",    /* short */
		"RWQHhRLwKUK8GGnYyz4LwXsTQdhgl3dlPEJNecH3FKKfUdmC1C8AWHO5=", /* long */
		"RWQHhRLwKUK8GGnYyz4LwXsTQdhgl3dlPEJNecH3FKKfUdmC1C8AWHO!",  /* alphabet */
		"RWQHhRLw KUK8GGnYyz4LwXsTQdhgl3dlPEJNecH3FKKfUdmC1C8AWHO5", /* space */
		"UkQHhRLwKUK8GGnYyz4LwXsTQdhgl3dlPEJNecH3FKKfUdmC1C8AWHO5",  /* alg "RD" */
		"untrusted comment: k\n",
		"untrusted comment: k\nRWQHhRLwKUK8GGnYyz4LwXsTQdhgl3dlPEJNecH3FKKfUdmC1C8AWHO5\nmore\n",
		"comment: k\nRWQHhRLwKUK8GGnYyz4LwXsTQdhgl3dlPEJNecH3FKKfUdmC1C8AWHO5\n",
	};
	struct minisign_key k;
	struct vend_err err = VEND_ERR_INIT;
	char *big = calloc(1, MINISIGN_MAX_KEY_FILE + 2);

	CHECK_INT(minisign_key_parse(bad[1] - 0, 0, &k, &err), MINISIGN_MALFORMED);
	/* the good one, so that each bad one differs by what it says */
	CHECK_INT(minisign_key_parse("RWQHhRLwKUK8GGnYyz4LwXsTQdhgl3dlPEJNecH3FKKfUdmC1C8AWHO5", 56,
				     &k, &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (minisign_key_parse(bad[i], strlen(bad[i]), &k, &err) != MINISIGN_MALFORMED)
			tap_fail(__FILE__, __LINE__, "accepted bad key %zu: %s", i, bad[i]);
	memset(big, ' ', MINISIGN_MAX_KEY_FILE + 1);
	CHECK_INT(minisign_key_parse(big, MINISIGN_MAX_KEY_FILE + 1, &k, &err), MINISIGN_TOO_LARGE);
	free(big);
}

TEST(minisign_one_changed_byte_of_the_file_is_refused)
{
	const char *content = "0123456789abcdefghijklmnopqrstuvwxyz\n";
	struct minisign_key key;
	struct minisign_result res;
	struct vend_err err = VEND_ERR_INIT;
	char f[64];

	setup(content, "c");
	key = load_key("k.pub");
	for (int legacy = 0; legacy < 2; legacy++) {
		struct buf sig = read_file(legacy ? "f.legacy.minisig" : "f.minisig");
		for (size_t i = 0; i < strlen(content); i++) {
			memcpy(f, content, strlen(content));
			f[i] ^= 1;
			CHECK_INT(verify_text(&key, sig.data, sig.len, f, strlen(content), &res, &err),
				  MINISIGN_BAD_SIGNATURE);
		}
		CHECK_CONTAINS(err.msg, "does not match the file");
		/* a byte more, a byte less */
		CHECK_INT(verify_text(&key, sig.data, sig.len, content, strlen(content) - 1, &res,
				      &err), MINISIGN_BAD_SIGNATURE);
		CHECK_INT(verify_text(&key, sig.data, sig.len, "0123456789abcdefghijklmnopqrstuvwxyz\n\n",
				      strlen(content) + 1, &res, &err), MINISIGN_BAD_SIGNATURE);
		buf_release(&sig);
	}
	cleanup();
}

TEST(minisign_every_changed_byte_of_the_signature_file)
{
	/* Each byte of the .minisig, changed: the untrusted comment is not
	 * signed (still verifies); every other change is refused, for the
	 * reason of the line it falls in. */
	struct minisign_key key;
	struct minisign_result res;
	struct vend_err err = VEND_ERR_INIT;

	setup("payload\n", "timestamp:1700000000\tfile:f");
	key = load_key("k.pub");
	for (int legacy = 0; legacy < 2; legacy++) {
		struct buf sig = read_file(legacy ? "f.legacy.minisig" : "f.minisig");
		size_t line = 0, comment_fail = 0, sig_fail = 0, malformed = 0;

		for (size_t i = 0; i < sig.len; i++) {
			char *m = malloc(sig.len);
			int rc;

			memcpy(m, sig.data, sig.len);
			/* a letter for a letter keeps base64 lines base64 */
			m[i] = m[i] == 'A' ? 'B' : m[i] == '\n' ? 'x' : (char)(m[i] == 'B' ? 'A' : m[i] ^ 1);
			rc = verify_text(&key, m, sig.len, "payload\n", 8, &res, &err);
			if (line == 0 && i >= strlen("untrusted comment: ") && sig.data[i] != '\n') {
				if (rc != 0 && rc != MINISIGN_MALFORMED)
					tap_fail(__FILE__, __LINE__, "byte %zu: %s", i, err.msg);
			} else if (rc == 0) {
				tap_fail(__FILE__, __LINE__, "legacy=%d: byte %zu ('%c', line %zu) "
					 "changed, accepted", legacy, i, sig.data[i], line + 1);
			} else if (rc != MINISIGN_MALFORMED && sig.data[i] != '\n' &&
				   (line == 1) != (rc != MINISIGN_BAD_COMMENT)) {
				/* line 2 is the file's signature, 3 and 4 the comment's */
				tap_fail(__FILE__, __LINE__, "byte %zu of line %zu: %s", i, line + 1,
					 minisign_reason(rc));
			}
			comment_fail += rc == MINISIGN_BAD_COMMENT;
			sig_fail += rc == MINISIGN_BAD_SIGNATURE || rc == MINISIGN_WRONG_KEY;
			malformed += rc == MINISIGN_MALFORMED;
			if (sig.data[i] == '\n')
				line++;
			free(m);
		}
		/* the trusted comment (27 bytes) and the global signature line
		 * fail the comment check; the signature line the file check */
		printf("# legacy=%d: %zu bad comment, %zu bad signature, %zu malformed\n", legacy,
		       comment_fail, sig_fail, malformed);
		CHECK(comment_fail >= 27 + 40);
		CHECK(sig_fail >= 60);
		CHECK(malformed >= 4);
		buf_release(&sig);
	}
	cleanup();
}

/* Re-encodes line 2 of a signature after f changed its bytes. */
static void edit_sig_line(struct buf *sig, void (*f)(uint8_t raw[74]))
{
	char *l2 = strchr(sig->data, '\n') + 1, *end = strchr(l2, '\n');
	uint8_t raw[74];
	size_t n;
	char enc[128];

	CHECK(sodium_base642bin(raw, sizeof(raw), l2, (size_t)(end - l2), NULL, &n, NULL,
				sodium_base64_VARIANT_ORIGINAL) == 0 && n == 74);
	f(raw);
	sodium_bin2base64(enc, sizeof(enc), raw, 74, sodium_base64_VARIANT_ORIGINAL);
	CHECK_INT(strlen(enc), end - l2);
	memcpy(l2, enc, strlen(enc));
}

static void flip_key_id(uint8_t raw[74]) { raw[2] ^= 0x80; }
static void flip_signature(uint8_t raw[74]) { raw[40] ^= 1; }
static void swap_algorithm(uint8_t raw[74]) { raw[1] = raw[1] == 'D' ? 'd' : 'D'; }

TEST(minisign_reasons)
{
	struct minisign_key key, other;
	struct minisign_result res;
	struct vend_err err = VEND_ERR_INIT;
	struct buf sig, tc;
	char *p;

	setup("payload\n", "trusted");
	key = load_key("k.pub");

	/* another key pair: wrong key, named by both ids */
	char *gen[] = { "minisign", "-G", "-W", "-p", test_path("o.pub"), "-s", test_path("o.key"), NULL };
	CHECK_INT(test_run_quiet(gen), 0);
	other = load_key("o.pub");
	CHECK_INT(verify_files(&other, "f.minisig", "f", &res, &err), MINISIGN_WRONG_KEY);
	CHECK_CONTAINS(err.msg, "not by the trusted key");
	CHECK_STR(minisign_reason(MINISIGN_WRONG_KEY), "wrong key");
	/* a key with the same id but another public key: bad signature */
	memcpy(other.id, key.id, sizeof(key.id));
	CHECK_INT(verify_files(&other, "f.minisig", "f", &res, &err), MINISIGN_BAD_SIGNATURE);

	sig = read_file("f.minisig");
	edit_sig_line(&sig, flip_key_id);
	CHECK_INT(verify_text(&key, sig.data, sig.len, "payload\n", 8, &res, &err),
		  MINISIGN_WRONG_KEY);
	buf_release(&sig);

	sig = read_file("f.minisig");
	edit_sig_line(&sig, flip_signature);
	CHECK_INT(verify_text(&key, sig.data, sig.len, "payload\n", 8, &res, &err),
		  MINISIGN_BAD_SIGNATURE);
	buf_release(&sig);

	/* "ED" read as legacy and back: the signature is over another message */
	for (int legacy = 0; legacy < 2; legacy++) {
		sig = read_file(legacy ? "f.legacy.minisig" : "f.minisig");
		edit_sig_line(&sig, swap_algorithm);
		CHECK_INT(verify_text(&key, sig.data, sig.len, "payload\n", 8, &res, &err),
			  MINISIGN_BAD_SIGNATURE);
		buf_release(&sig);
	}

	/* a changed trusted comment */
	tc = read_file("f.minisig");
	p = strstr(tc.data, "trusted comment: trusted") + strlen("trusted comment: ");
	*p = 'T';
	CHECK_INT(verify_text(&key, tc.data, tc.len, "payload\n", 8, &res, &err),
		  MINISIGN_BAD_COMMENT);
	CHECK_CONTAINS(err.msg, "trusted comment");
	CHECK_STR(minisign_reason(MINISIGN_BAD_COMMENT), "bad trusted comment signature");
	buf_release(&tc);
	cleanup();
}

TEST(minisign_refuses_malformed_signatures)
{
	struct minisign_sig s;
	struct vend_err err = VEND_ERR_INIT;
	struct buf sig, m = BUF_INIT;
	char *l2, *l3, *l4;

	setup("x", "tc");
	sig = read_file("f.minisig");
	CHECK_INT(minisign_sig_parse(sig.data, sig.len, &s, &err), 0);
	CHECK_STR(s.trusted_comment, "tc");
	l2 = strchr(sig.data, '\n') + 1;
	l3 = strchr(l2, '\n') + 1;
	l4 = strchr(l3, '\n') + 1;

#define BAD(...)                                                                   \
	do {                                                                       \
		buf_reset(&m);                                                     \
		buf_printf(&m, __VA_ARGS__);                                       \
		if (minisign_sig_parse(m.data, m.len, &s, &err) != MINISIGN_MALFORMED) \
			tap_fail(__FILE__, __LINE__, "accepted:\n%s", m.data);     \
	} while (0)
	BAD("%.*s", (int)(l4 - sig.data), sig.data);                  /* three lines */
	BAD("%sextra\n", sig.data);                                   /* five lines */
	BAD("comment: x\n%s", l2);                                    /* no prefix */
	BAD("%.*s %s", (int)(l3 - sig.data - 1), sig.data, l3);       /* space after line 2 */
	BAD("%.*s=\n%s", (int)(l3 - sig.data - 1), sig.data, l3);     /* padding */
	BAD("%.*suntrusted comment: x\n%s", (int)(l3 - sig.data), sig.data, l4);
	BAD("%.*strusted comment: a\x01z\n%s", (int)(l3 - sig.data), sig.data, l4);
	BAD("%.*s%.*s", (int)(l4 - sig.data), sig.data, (int)(strlen(l4) - 2), l4); /* short */
	buf_reset(&m);
	buf_printf(&m, "%.*strusted comment: ", (int)(l3 - sig.data), sig.data);
	for (int i = 0; i <= MINISIGN_MAX_COMMENT; i++)
		buf_addc(&m, 'c');
	buf_printf(&m, "\n%s", l4);
	CHECK_INT(minisign_sig_parse(m.data, m.len, &s, &err), MINISIGN_MALFORMED);
	CHECK_CONTAINS(err.msg, "at most 1024");
	/* CRLF line ends and trailing empty lines are fine */
	buf_reset(&m);
	for (const char *p = sig.data; *p; p++) {
		if (*p == '\n')
			buf_addc(&m, '\r');
		buf_addc(&m, *p);
	}
	buf_adds(&m, "\n\n");
	CHECK_INT(minisign_sig_parse(m.data, m.len, &s, &err), 0);
	CHECK_STR(s.trusted_comment, "tc");
	/* a NUL, and a file over the limit */
	CHECK_INT(minisign_sig_parse("untrusted comment: \0", 20, &s, &err), MINISIGN_MALFORMED);
	buf_reset(&m);
	while (m.len <= MINISIGN_MAX_SIG_FILE)
		buf_adds(&m, "untrusted comment: padding\n");
	CHECK_INT(minisign_sig_parse(m.data, m.len, &s, &err), MINISIGN_TOO_LARGE);
#undef BAD
	buf_release(&m);
	buf_release(&sig);
	cleanup();
}

TEST(minisign_streams_large_files)
{
	/* 24 MiB, prehashed, read from a descriptor in pieces; the same file
	 * under a legacy signature too (held in memory up to its limit) */
	struct minisign_key key;
	struct minisign_sig s;
	struct minisign_result res;
	struct vend_err err = VEND_ERR_INIT;
	struct buf sig, big = BUF_INIT;
	char digest[MINISIGN_DIGEST_LEN + 1], sha[SHA256_HEX_LEN + 1];
	int fd;

	setup("x", "big");
	key = load_key("k.pub");
	buf_init(&big, (size_t)32 << 20);
	for (uint32_t i = 0; big.len < ((size_t)24 << 20); i++)
		buf_add(&big, &i, sizeof(i));
	write_file("big", big.data, big.len);
	char *sign[] = { "minisign", "-S", "-s", test_path("k.key"), "-m", test_path("big"), NULL };
	CHECK_INT(test_run_quiet(sign), 0);
	char *legacy[] = { "minisign", "-S", "-l", "-s", test_path("k.key"), "-m", test_path("big"),
			   "-x", test_path("big.legacy"), NULL };
	CHECK_INT(test_run_quiet(legacy), 0);
	sha256_hex(big.data, big.len, sha);

	for (int l = 0; l < 2; l++) {
		sig = read_file(l ? "big.legacy" : "big.minisig");
		CHECK_INT(minisign_sig_parse(sig.data, sig.len, &s, &err), 0);
		fd = open(test_path("big"), O_RDONLY | O_CLOEXEC);
		if (minisign_verify_fd(&key, &s, fd, &res, digest, &err) != 0)
			tap_fail(__FILE__, __LINE__, "%s", err.msg);
		close(fd);
		CHECK_INT(res.size, big.len);
		CHECK_STR(digest + 7, sha);
		CHECK_STR(res.digest, digest);
		buf_release(&sig);
	}

	/* the streaming API: pieces of odd sizes; a changed byte fails and
	 * still gives the digest of what was read */
	sig = read_file("big.minisig");
	minisign_sig_parse(sig.data, sig.len, &s, &err);
	big.data[12345678] ^= 1;
	struct minisign_check *c = minisign_check_new(&key, &s);
	for (size_t at = 0, n = 1; at < big.len; at += n, n = n * 3 % 100003 + 1)
		minisign_check_update(c, big.data + at, at + n > big.len ? big.len - at : n);
	CHECK_INT(minisign_check_final(c, &res, &err), MINISIGN_BAD_SIGNATURE);
	minisign_check_digest(c, digest);
	sha256_hex(big.data, big.len, sha);
	CHECK_STR(digest + 7, sha);
	minisign_check_free(c);
	buf_release(&sig);
	buf_release(&big);
	cleanup();
}

TEST(minisign_legacy_limit)
{
	/* a legacy signature over more than MINISIGN_LEGACY_MAX: refused as
	 * too large, without holding it all (the signature itself is empty:
	 * the size decides before it is looked at) */
	struct minisign_key key = { { 1 }, { 0 } };
	struct minisign_sig s = { 0 };
	struct minisign_result res;
	struct vend_err err = VEND_ERR_INIT;
	struct minisign_check *c;
	static char chunk[1 << 20];

	memcpy(s.id, key.id, sizeof(key.id));
	c = minisign_check_new(&key, &s);
	for (size_t i = 0; i <= MINISIGN_LEGACY_MAX >> 20; i++)
		minisign_check_update(c, chunk, sizeof(chunk));
	CHECK_INT(minisign_check_final(c, &res, &err), MINISIGN_TOO_LARGE);
	CHECK_CONTAINS(err.msg, "minisign -S");
	minisign_check_free(c);
}

TEST(minisign_signature_made_with_libsodium)
{
	/* Both algorithms built by hand from the format, for a key that
	 * minisign never saw: vend's verifier follows the format, not one
	 * tool's output. */
	uint8_t pk[32], sk[64], raw[74], gsig[64], blake[64];
	char l2[128], l4[128], pub[128];
	const char *msg = "hand-made", *tc = "made by test";
	struct buf text = BUF_INIT, global = BUF_INIT;
	struct minisign_key key;
	struct minisign_result res;
	struct vend_err err = VEND_ERR_INIT;

	CHECK(sodium_init() >= 0);
	crypto_sign_keypair(pk, sk);
	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	memcpy(raw + 10, pk, 32);
	sodium_bin2base64(pub, sizeof(pub), raw, 42, sodium_base64_VARIANT_ORIGINAL);
	CHECK_INT(minisign_key_parse(pub, strlen(pub), &key, &err), 0);
	for (int pre = 0; pre < 2; pre++) {
		memcpy(raw, pre ? "ED" : "Ed", 2);
		crypto_generichash(blake, 64, (const uint8_t *)msg, strlen(msg), NULL, 0);
		crypto_sign_detached(raw + 10, NULL, pre ? blake : (const uint8_t *)msg,
				     pre ? 64 : strlen(msg), sk);
		buf_reset(&global);
		buf_add(&global, raw + 10, 64);
		buf_adds(&global, tc);
		crypto_sign_detached(gsig, NULL, (const uint8_t *)global.data, global.len, sk);
		sodium_bin2base64(l2, sizeof(l2), raw, 74, sodium_base64_VARIANT_ORIGINAL);
		sodium_bin2base64(l4, sizeof(l4), gsig, 64, sodium_base64_VARIANT_ORIGINAL);
		buf_reset(&text);
		buf_printf(&text, "untrusted comment: hand\n%s\ntrusted comment: %s\n%s\n", l2, tc, l4);
		if (verify_text(&key, text.data, text.len, msg, strlen(msg), &res, &err) != 0)
			tap_fail(__FILE__, __LINE__, "pre=%d: %s", pre, err.msg);
		CHECK_STR(res.key_id, "0807060504030201");
		CHECK_STR(res.trusted_comment, tc);
	}
	buf_release(&text);
	buf_release(&global);
}
