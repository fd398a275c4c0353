/*
 * Fuzz target: verification of an audit export (audit/verify.c), the
 * JSON-lines stream `vend audit verify --file` reads. The input is the
 * file; lines are fed one by one to a verifier holding a fixed key.
 *
 * The corpus holds exports of a fixed 16-entry log signed by that key.
 * Nothing may crash; a failure names an entry no further than one past
 * what was read; and an export accepted with a checkpoint covering all its
 * entries must have exactly that log's root for that size (the fuzzer can
 * move and repeat signed checkpoints but not forge them, so anything else
 * accepted is a hole).
 */
#include <stddef.h>
#include <stdint.h>

#include "audit/entry.h"
#include "audit/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NLOG 16

static struct note_verifier key;
static uint8_t roots[NLOG + 1][MERKLE_HASH_LEN];

/* Entry i of the fixed log (the same as in the corpus). */
static void entry_bytes(unsigned i, struct buf *out)
{
	char t[40];
	json_t *e;

	snprintf(t, sizeof(t), "2026-01-02T03:04:05.%03uZ", i);
	e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:n, s:n, s:{s:I}}", "time", t, "actor",
		      "alice", "action", "run.request", "target", "web", "result", "ok",
		      "run_id", (json_int_t)i, "trace_id", "request_id", "details", "n",
		      (json_int_t)i);
	if (audit_entry_encode(e, out, NULL))
		__builtin_trap();
	json_decref(e);
}

static void init(void)
{
	static bool done;
	struct note_signer s;
	struct merkle_stream st;
	uint8_t seed[NOTE_SEED_LEN];

	if (done)
		return;
	for (int i = 0; i < NOTE_SEED_LEN; i++)
		seed[i] = (uint8_t)(i * 11 + 3);
	if (note_signer_from_seed("fuzz.example/log", seed, &s))
		__builtin_trap();
	note_signer_verifier(&s, &key);
	note_signer_wipe(&s);
	merkle_stream_init(&st);
	merkle_stream_root(&st, roots[0]);
	for (unsigned i = 0; i < NLOG; i++) {
		struct buf b = BUF_INIT;
		entry_bytes(i, &b);
		merkle_stream_push_data(&st, b.data, b.len);
		merkle_stream_root(&st, roots[i + 1]);
		buf_release(&b);
	}
	done = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_verifier *v;
	struct audit_verify_result res;
	struct vend_err err = VEND_ERR_INIT;
	const char *p = (const char *)data, *end = p + size;
	uint64_t lines = 0;
	int rc = 0;

	init();
	if (audit_verify_new(&key, NULL, &v))
		__builtin_trap();
	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		rc = audit_verify_line(v, p, (size_t)(nl - p), &err);
		lines++;
		p = nl + 1;
	}
	rc = audit_verify_finish(v, &res, &err);
	audit_verify_free(v);
	if (rc != 0 && rc != -EINVAL && rc != -EBADMSG && rc != -E2BIG)
		__builtin_trap();
	if (rc == 0) {
		if (res.bad_index != AUDIT_NO_INDEX || res.signed_size > res.entries)
			__builtin_trap();
		if (res.checkpoints && res.signed_size == res.entries &&
		    (res.entries > NLOG || memcmp(res.root, roots[res.entries], MERKLE_HASH_LEN)))
			__builtin_trap();
	} else {
		if (!err.msg[0])
			__builtin_trap();
		if (res.bad_index != AUDIT_NO_INDEX && res.bad_index > res.entries)
			__builtin_trap();
		if (res.bad_line > lines)
			__builtin_trap();
	}
	err_free(&err);
	return 0;
}
