/*
 * C2SP signed notes with Ed25519 keys (c2sp.org/signed-note) and the
 * tlog-checkpoint text they carry (c2sp.org/tlog-checkpoint); key
 * encodings as in golang.org/x/mod/sumdb/note. See checkpoint.h.
 *
 * Base64 is RFC 4648 section 4, decoded strictly (audit__b64_decode: the
 * alphabet, padding, zero pad bits, the whole field), so every base64
 * field has exactly one accepted spelling.
 */
#include <sodium.h>

#include "audit/audit_int.h"
#include "audit/checkpoint.h"
#include "util/hash.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#define ALG_ED25519 0x01
#define SIG_DECODE_MAX 8192 /* bytes of one decoded signature (post-quantum fit) */

static const char em_dash_space[] = "\xe2\x80\x94 "; /* U+2014, U+0020 */

static void init_sodium(void)
{
	/* Idempotent and thread-safe; it fails only without a random source,
	 * which randombytes then reports by aborting. */
	if (sodium_init() < 0)
		abort();
}

/* ---- small parsers ------------------------------------------------------------ */

static int b64_append(struct buf *out, const uint8_t *bin, size_t len)
{
	char tmp[sodium_base64_ENCODED_LEN(4 + NOTE_SIG_LEN, sodium_base64_VARIANT_ORIGINAL)];

	if (len > 4 + NOTE_SIG_LEN)
		return -EINVAL;
	sodium_bin2base64(tmp, sizeof(tmp), bin, len, sodium_base64_VARIANT_ORIGINAL);
	return buf_adds(out, tmp);
}

/* The code point of the valid UTF-8 sequence at s (of l bytes). */
static uint32_t decode_cp(const unsigned char *s, size_t l)
{
	switch (l) {
	case 1:
		return s[0];
	case 2:
		return (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
	case 3:
		return (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	default:
		return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
		       (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
	}
}

/* Unicode White_Space (what Go's unicode.IsSpace tests). */
static bool is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202f || c == 0x205f || c == 0x3000;
}

/* signed-note Format: valid UTF-8, no control character but newline. */
static bool note_text_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t l = utf8_seq_len(p + i, len - i);
		if (!l || (p[i] < 0x20 && p[i] != '\n'))
			return false;
		i += l;
	}
	return true;
}

bool note_name_valid(const char *name, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;

	if (!name || len == 0 || len > NOTE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len;) {
		size_t l = utf8_seq_len(p + i, len - i);
		uint32_t c;
		if (!l)
			return false;
		c = decode_cp(p + i, l);
		if (c < 0x20 || c == '+' || is_space(c))
			return false;
		i += l;
	}
	return true;
}

/* An origin line: non-empty UTF-8 without control characters. */
static bool origin_valid(const char *s, size_t len)
{
	return len > 0 && len <= NOTE_NAME_MAX && note_text_ok(s, len) && !memchr(s, '\n', len);
}

static int hex8(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;

	if (len != 8)
		return -EINVAL;
	for (size_t i = 0; i < 8; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* Splits s[0:len] at the first '+': the part before goes to *part, *s and
 * *len move past the '+'. Returns false if there is no '+'. */
static bool chop_plus(const char **s, size_t *len, const char **part, size_t *plen)
{
	const char *p = memchr(*s, '+', *len);

	if (!p)
		return false;
	*part = *s;
	*plen = (size_t)(p - *s);
	*len -= *plen + 1;
	*s = p + 1;
	return true;
}

/* ---- keys ----------------------------------------------------------------------- */

/* signed-note, "Signatures": key ID = SHA-256(name || 0x0A || 0x01 || pk)[:4] */
uint32_t note_key_id(const char *name, const uint8_t pk[NOTE_PUBKEY_LEN])
{
	static const uint8_t sep[2] = { '\n', ALG_ED25519 };
	const struct sha256_part parts[] = {
		{ name, strlen(name) }, { sep, sizeof(sep) }, { pk, NOTE_PUBKEY_LEN }
	};
	uint8_t h[SHA256_LEN];

	sha256v(parts, 3, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

static int set_name(char *dst, const char *name, size_t len)
{
	if (!note_name_valid(name, len))
		return -EINVAL;
	memcpy(dst, name, len);
	dst[len] = '\0';
	return 0;
}

int note_signer_from_seed(const char *name, const uint8_t seed[NOTE_SEED_LEN],
			  struct note_signer *out)
{
	struct note_signer s;

	if (!name || !seed || !out)
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	if (set_name(s.name, name, strlen(name)))
		return -EINVAL;
	init_sodium();
	crypto_sign_seed_keypair(s.pk, s.sk, seed);
	s.key_id = note_key_id(s.name, s.pk);
	*out = s;
	sodium_memzero(&s, sizeof(s));
	return 0;
}

int note_keygen(const char *name, struct note_signer *out)
{
	uint8_t seed[NOTE_SEED_LEN];
	int rc;

	init_sodium();
	randombytes_buf(seed, sizeof(seed));
	rc = note_signer_from_seed(name, seed, out);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

void note_signer_wipe(struct note_signer *s)
{
	if (s)
		sodium_memzero(s, sizeof(*s));
}

void note_signer_verifier(const struct note_signer *s, struct note_verifier *out)
{
	memcpy(out->name, s->name, sizeof(out->name));
	out->key_id = s->key_id;
	memcpy(out->pk, s->pk, NOTE_PUBKEY_LEN);
}

int note_signer_encode(const struct note_signer *s, struct buf *out)
{
	uint8_t key[1 + NOTE_SEED_LEN];
	size_t len0 = out->len;
	int rc;

	key[0] = ALG_ED25519;
	crypto_sign_ed25519_sk_to_seed(key + 1, s->sk);
	rc = buf_printf(out, "PRIVATE+KEY+%s+%08" PRIx32 "+", s->name, s->key_id);
	if (!rc)
		rc = b64_append(out, key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	if (rc) {
		sodium_memzero(out->data + len0, out->len - len0);
		buf_truncate(out, len0);
	}
	return rc;
}

int note_signer_decode(const char *skey, size_t len, struct note_signer *out,
		       struct vend_err *err)
{
	const char *p1, *p2, *name, *hex;
	size_t l1, l2, nlen, hlen, klen;
	uint8_t key[1 + NOTE_SEED_LEN + 8];
	char namebuf[NOTE_NAME_MAX + 1];
	struct note_signer s;
	uint32_t id;
	int rc = -EINVAL;

	if (!skey || !out)
		return err_set(err, -EINVAL, "no signer key");
	if (!chop_plus(&skey, &len, &p1, &l1) || !chop_plus(&skey, &len, &p2, &l2) ||
	    l1 != 7 || memcmp(p1, "PRIVATE", 7) || l2 != 3 || memcmp(p2, "KEY", 3))
		return err_set(err, -EINVAL, "a signer key starts PRIVATE+KEY+");
	if (!chop_plus(&skey, &len, &name, &nlen) || !chop_plus(&skey, &len, &hex, &hlen) ||
	    !note_name_valid(name, nlen) || hex8(hex, hlen, &id))
		return err_set(err, -EINVAL, "a signer key is PRIVATE+KEY+NAME+KEYID+KEY");
	if (audit__b64_decode_secret(skey, len, key, sizeof(key), &klen))
		return err_set(err, -EINVAL, "signer key: bad base64");
	if (klen < 1 || key[0] != ALG_ED25519) {
		err_set(err, -EINVAL, "signer key: unknown algorithm");
		goto out;
	}
	if (klen != 1 + NOTE_SEED_LEN) {
		err_set(err, -EINVAL, "signer key: wrong length");
		goto out;
	}
	memcpy(namebuf, name, nlen);
	namebuf[nlen] = '\0';
	if (note_signer_from_seed(namebuf, key + 1, &s))
		goto out;
	/* The key ID is of the public key, which we only now have. */
	if (s.key_id != id) {
		note_signer_wipe(&s);
		err_set(err, -EINVAL, "signer key: key ID does not match the key");
		goto out;
	}
	*out = s;
	note_signer_wipe(&s);
	rc = 0;
out:
	sodium_memzero(key, sizeof(key));
	return rc;
}

int note_verifier_encode(const struct note_verifier *v, struct buf *out)
{
	uint8_t key[1 + NOTE_PUBKEY_LEN];
	size_t len0 = out->len;
	int rc;

	key[0] = ALG_ED25519;
	memcpy(key + 1, v->pk, NOTE_PUBKEY_LEN);
	rc = buf_printf(out, "%s+%08" PRIx32 "+", v->name, v->key_id);
	if (!rc)
		rc = b64_append(out, key, sizeof(key));
	if (rc)
		buf_truncate(out, len0);
	return rc;
}

int note_verifier_decode(const char *vkey, size_t len, struct note_verifier *out,
			 struct vend_err *err)
{
	const char *name, *hex;
	size_t nlen, hlen, klen;
	uint8_t key[1 + NOTE_PUBKEY_LEN + 8];
	struct note_verifier v;
	uint32_t id;

	if (!vkey || !out)
		return err_set(err, -EINVAL, "no verifier key");
	if (!chop_plus(&vkey, &len, &name, &nlen) || !chop_plus(&vkey, &len, &hex, &hlen) ||
	    !note_name_valid(name, nlen) || hex8(hex, hlen, &id))
		return err_set(err, -EINVAL, "a verifier key is NAME+KEYID+KEY");
	if (audit__b64_decode(vkey, len, key, sizeof(key), &klen))
		return err_set(err, -EINVAL, "verifier key: bad base64");
	if (klen < 1 || key[0] != ALG_ED25519)
		return err_set(err, -EINVAL, "verifier key: unknown algorithm");
	if (klen != 1 + NOTE_PUBKEY_LEN)
		return err_set(err, -EINVAL, "verifier key: wrong length");
	memset(&v, 0, sizeof(v));
	memcpy(v.name, name, nlen);
	memcpy(v.pk, key + 1, NOTE_PUBKEY_LEN);
	v.key_id = id;
	if (note_key_id(v.name, v.pk) != id)
		return err_set(err, -EINVAL, "verifier key: key ID does not match the key");
	*out = v;
	return 0;
}

/* ---- signed notes -------------------------------------------------------------- */

int note_sign(const struct note_signer *s, const char *text, size_t len, struct buf *out)
{
	uint8_t sig[4 + NOTE_SIG_LEN];
	size_t line, len0;
	int rc;

	if (!s || !text || !out || len == 0 || text[len - 1] != '\n' ||
	    !note_text_ok(text, len))
		return -EINVAL;
	/* "\n" + "— " + name + " " + base64(68 bytes) + "\n" */
	line = 1 + strlen(em_dash_space) + strlen(s->name) + 1 +
	       sodium_base64_ENCODED_LEN(sizeof(sig), sodium_base64_VARIANT_ORIGINAL) - 1 + 1;
	if (len > NOTE_MAX - line)
		return -E2BIG;
	rc = buf_grow(out, len + line);
	if (rc)
		return rc;
	init_sodium();
	sig[0] = (uint8_t)(s->key_id >> 24);
	sig[1] = (uint8_t)(s->key_id >> 16);
	sig[2] = (uint8_t)(s->key_id >> 8);
	sig[3] = (uint8_t)s->key_id;
	crypto_sign_detached(sig + 4, NULL, (const unsigned char *)text, len, s->sk);
	len0 = out->len;
	buf_add(out, text, len);
	buf_addc(out, '\n');
	buf_adds(out, em_dash_space);
	buf_adds(out, s->name);
	buf_addc(out, ' ');
	b64_append(out, sig, sizeof(sig));
	rc = buf_addc(out, '\n');
	if (rc || out->len - len0 != len + line) {
		buf_truncate(out, len0);
		return rc ? rc : -EINVAL;
	}
	return 0;
}

int note_open(const char *msg, size_t len, const struct note_verifier *v, size_t *text_len,
	      struct vend_err *err)
{
	uint8_t *bin = NULL;
	const char *p, *end;
	size_t tlen, vlen, nsig = 0, verified = 0;
	size_t split = 0;
	bool found = false;
	int rc;

	if (!msg || !v || !text_len)
		return err_set(err, -EINVAL, "nothing to verify");
	if (len > NOTE_MAX)
		return err_set(err, -E2BIG, "signed note: larger than %zu bytes", NOTE_MAX);
	if (!note_text_ok(msg, len))
		return err_set(err, -EINVAL,
			       "signed note: not UTF-8, or a control character other than newline");
	/* signed-note Format: the text is separated from the signatures by
	 * the last empty line. */
	for (size_t i = len; i >= 2; i--)
		if (msg[i - 1] == '\n' && msg[i - 2] == '\n') {
			split = i - 2;
			found = true;
			break;
		}
	if (!found)
		return err_set(err, -EINVAL, "signed note: no blank line before the signatures");
	tlen = split + 1;
	p = msg + split + 2;
	end = msg + len;
	if (p == end || end[-1] != '\n')
		return err_set(err, -EINVAL, "signed note: must end in a signature line");
	vlen = strlen(v->name);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *name, *sp, *b64;
		size_t nlen, blen, dlen = 0;
		uint32_t id;

		if (!nl || (size_t)(nl - p) < strlen(em_dash_space) ||
		    memcmp(p, em_dash_space, strlen(em_dash_space))) {
			rc = err_set(err, -EINVAL, "signed note: a signature line starts with \"— \"");
			goto out;
		}
		name = p + strlen(em_dash_space);
		sp = memchr(name, ' ', (size_t)(nl - name));
		if (!sp) {
			rc = err_set(err, -EINVAL, "signed note: a signature line is \"— NAME SIG\"");
			goto out;
		}
		nlen = (size_t)(sp - name);
		b64 = sp + 1;
		blen = (size_t)(nl - b64);
		if (!note_name_valid(name, nlen)) {
			rc = err_set(err, -EINVAL, "signed note: bad key name in a signature line");
			goto out;
		}
		if (++nsig > NOTE_MAX_SIGS) {
			rc = err_set(err, -E2BIG, "signed note: more than %d signatures",
				     NOTE_MAX_SIGS);
			goto out;
		}
		if (blen / 4 * 3 > SIG_DECODE_MAX) {
			rc = err_set(err, -E2BIG, "signed note: a signature is too long");
			goto out;
		}
		if (!bin)
			bin = xmalloc(SIG_DECODE_MAX);
		if (audit__b64_decode(b64, blen, bin, SIG_DECODE_MAX, &dlen) || dlen < 5) {
			rc = err_set(err, -EINVAL, "signed note: bad base64 in a signature line");
			goto out;
		}
		id = (uint32_t)bin[0] << 24 | (uint32_t)bin[1] << 16 | (uint32_t)bin[2] << 8 | bin[3];
		/* Only the key with both this name and this ID is ours; others
		 * are ignored, as the spec requires. */
		if (nlen == vlen && !memcmp(name, v->name, vlen) && id == v->key_id) {
			init_sodium();
			if (dlen != 4 + NOTE_SIG_LEN ||
			    crypto_sign_verify_detached(bin + 4, (const unsigned char *)msg, tlen,
							v->pk) != 0) {
				rc = err_set(err, -EBADMSG, "invalid signature for key %s+%08" PRIx32,
					     v->name, v->key_id);
				goto out;
			}
			verified++;
		}
		p = nl + 1;
	}
	if (!verified) {
		rc = err_set(err, -EBADMSG, "no signature by key %s+%08" PRIx32, v->name, v->key_id);
		goto out;
	}
	*text_len = tlen;
	rc = 0;
out:
	free(bin);
	return rc;
}

/* ---- checkpoints ------------------------------------------------------------------ */

int checkpoint_format(const char *origin, uint64_t size, const uint8_t root[32],
		      struct buf *out)
{
	size_t len0 = out->len;
	int rc;

	if (!origin || !root || !origin_valid(origin, strlen(origin)))
		return -EINVAL;
	/* tlog-checkpoint "Note text": origin, decimal size, base64 root */
	rc = buf_printf(out, "%s\n%" PRIu64 "\n", origin, size);
	if (!rc)
		rc = b64_append(out, root, 32);
	if (!rc)
		rc = buf_addc(out, '\n');
	if (rc)
		buf_truncate(out, len0);
	return rc;
}

int checkpoint_parse(const char *text, size_t len, struct checkpoint *out,
		     struct vend_err *err)
{
	struct checkpoint c;
	const char *p = text, *end = text + len, *line[3];
	size_t ll[3];
	uint8_t root[32 + 3];
	size_t rlen = 0;

	if (!text || !out)
		return err_set(err, -EINVAL, "no checkpoint");
	if (len == 0 || text[len - 1] != '\n' || len > NOTE_MAX || !note_text_ok(text, len))
		return err_set(err, -EINVAL, "checkpoint: lines of UTF-8 text, each ending in a newline");
	for (int i = 0; i < 3; i++) {
		const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
		if (!nl)
			return err_set(err, -EINVAL, "checkpoint: fewer than three lines");
		line[i] = p;
		ll[i] = (size_t)(nl - p);
		p = nl + 1;
	}
	memset(&c, 0, sizeof(c));
	/* tlog-checkpoint "Note text" 1: origin, non-empty */
	if (!origin_valid(line[0], ll[0]))
		return err_set(err, -EINVAL, "checkpoint: the origin line is empty or too long");
	memcpy(c.origin, line[0], ll[0]);
	/* 2: tree size, decimal, no leading zeroes unless 0 */
	if (ll[1] == 0 || ll[1] > 20 || (ll[1] > 1 && line[1][0] == '0'))
		return err_set(err, -EINVAL, "checkpoint: bad tree size");
	for (size_t i = 0; i < ll[1]; i++) {
		unsigned d = (unsigned)(line[1][i] - '0');
		if (line[1][i] < '0' || line[1][i] > '9' || c.size > (UINT64_MAX - d) / 10)
			return err_set(err, -EINVAL, "checkpoint: bad tree size");
		c.size = c.size * 10 + d;
	}
	/* 3: root hash, base64 */
	if (audit__b64_decode(line[2], ll[2], root, sizeof(root), &rlen) || rlen != 32)
		return err_set(err, -EINVAL, "checkpoint: the root hash is not base64 of 32 bytes");
	memcpy(c.root, root, 32);
	/* 4: extension lines, non-empty, opaque */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == p)
			return err_set(err, -EINVAL, "checkpoint: empty extension line");
		c.extensions++;
		p = nl + 1;
	}
	*out = c;
	return 0;
}

int checkpoint_sign(const struct note_signer *s, const char *origin, uint64_t size,
		    const uint8_t root[32], struct buf *out)
{
	struct buf text;
	int rc;

	if (!s || !out)
		return -EINVAL;
	buf_init(&text, NOTE_MAX);
	rc = checkpoint_format(origin, size, root, &text);
	if (!rc)
		rc = note_sign(s, text.data, text.len, out);
	buf_release(&text);
	return rc;
}

int checkpoint_open(const char *msg, size_t len, const struct note_verifier *v,
		    const char *origin, struct checkpoint *out, struct vend_err *err)
{
	struct checkpoint c;
	size_t tlen;
	int rc;

	if (!out)
		return err_set(err, -EINVAL, "no checkpoint");
	rc = note_open(msg, len, v, &tlen, err);
	if (rc)
		return rc;
	rc = checkpoint_parse(msg, tlen, &c, err);
	if (rc)
		return rc;
	if (origin && strcmp(c.origin, origin) != 0)
		return err_set(err, -EBADMSG, "checkpoint: origin is \"%s\", not \"%s\"", c.origin,
			       origin);
	*out = c;
	return 0;
}
