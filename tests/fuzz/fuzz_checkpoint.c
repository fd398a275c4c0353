/*
 * Fuzz target: C2SP signed notes, tlog-checkpoints and note keys
 * (audit/checkpoint.c). The first byte picks what the rest is fed to:
 *
 *   0  checkpoint_open against a fixed key (the corpus holds notes it signed)
 *   1  note_open, then checkpoint_parse of the signed text
 *   2  note_verifier_decode      3  note_signer_decode
 *
 * Whatever is accepted must be in the one canonical form: a checkpoint
 * re-formats to the same text, a key re-encodes to the same key (hex case
 * aside), and an opened note's text ends in a newline. And on every input,
 * the two strict base64 decoders (audit_int.h) agree.
 */
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "audit/audit_int.h"
#include "audit/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct note_verifier fixed;

static void init(void)
{
	static bool done;
	struct note_signer s;
	uint8_t seed[NOTE_SEED_LEN];

	if (done)
		return;
	for (int i = 0; i < NOTE_SEED_LEN; i++)
		seed[i] = (uint8_t)(i * 11 + 3);
	if (note_signer_from_seed("fuzz.example/log", seed, &s))
		__builtin_trap();
	note_signer_verifier(&s, &fixed);
	note_signer_wipe(&s);
	done = true;
}

static void same_ignoring_case(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen || strncasecmp(a, b, alen) != 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;
	struct vend_err err = VEND_ERR_INIT;
	struct buf b = BUF_INIT;

	init();
	if (size == 0)
		return 0;
	{
		uint8_t da[3072], db[3072];
		size_t na = 0, nb = 0, l = len < 4096 ? len : 4096;
		int ra = audit__b64_decode(in, l, da, sizeof(da), &na);
		int rb = audit__b64_decode_secret(in, l, db, sizeof(db), &nb);
		if (ra != rb || (ra == 0 && (na != nb || memcmp(da, db, na))))
			__builtin_trap();
	}
	switch (data[0] % 4) {
	case 0: {
		struct checkpoint c;
		if (checkpoint_open(in, len, &fixed, NULL, &c, &err) == 0) {
			/* the signed text starts with exactly what format writes */
			if (checkpoint_format(c.origin, c.size, c.root, &b) || b.len > len ||
			    memcmp(b.data, in, b.len) != 0)
				__builtin_trap();
		}
		break;
	}
	case 1: {
		size_t tl = 0;
		struct checkpoint c;
		if (note_open(in, len, &fixed, &tl, &err) == 0) {
			if (tl == 0 || tl > len || in[tl - 1] != '\n')
				__builtin_trap();
			if (checkpoint_parse(in, tl, &c, NULL) == 0 && !c.extensions) {
				if (checkpoint_format(c.origin, c.size, c.root, &b) || b.len != tl ||
				    memcmp(b.data, in, tl) != 0)
					__builtin_trap();
			}
		}
		/* and the parser on its own, on any bytes */
		if (checkpoint_parse(in, len, &c, NULL) == 0 && !c.extensions) {
			buf_reset(&b);
			if (checkpoint_format(c.origin, c.size, c.root, &b) || b.len != len ||
			    memcmp(b.data, in, len) != 0)
				__builtin_trap();
		}
		break;
	}
	case 2: {
		struct note_verifier v;
		if (note_verifier_decode(in, len, &v, &err) == 0) {
			if (note_verifier_encode(&v, &b))
				__builtin_trap();
			same_ignoring_case(b.data, b.len, in, len);
			if (note_key_id(v.name, v.pk) != v.key_id)
				__builtin_trap();
		}
		break;
	}
	case 3: {
		struct note_signer s;
		if (note_signer_decode(in, len, &s, &err) == 0) {
			if (note_signer_encode(&s, &b))
				__builtin_trap();
			same_ignoring_case(b.data, b.len, in, len);
			sodium_memzero(b.data, b.len);
			note_signer_wipe(&s);
		}
		break;
	}
	}
	buf_release(&b);
	err_free(&err);
	return 0;
}
