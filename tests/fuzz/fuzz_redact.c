/*
 * Fuzz target: the redactor (secrets/redact.c). The input names up to four
 * secret values, then the text: byte 0 says how many values, each value is
 * a length byte (6 + n % 24) and its bytes, the rest is the text. The text
 * is streamed in pieces cut where the input says and must come out exactly
 * as the naive masker writes it, holding back less than the longest form
 * after every write.
 */
#include <stddef.h>
#include <stdint.h>

#include "secrets/redact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct redact_set *set = redact_set_new();
	struct redact_stream *rs;
	struct redact_stats st;
	struct buf want = BUF_INIT, got = BUF_INIT;
	size_t at = 1, nv;
	uint32_t cut = 2166136261u;

	if (size < 1)
		goto out;
	nv = data[0] % 5;
	for (size_t v = 0; v < nv && at < size; v++) {
		size_t len = 6 + data[at++] % 24;
		if (at + len > size)
			break;
		if (redact_set_add(set, data + at, len, NULL) != 0)
			__builtin_trap();
		at += len;
	}
	if (redact_set_compile(set, NULL) != 0)
		__builtin_trap();
	redact_set_stats(set, &st);
	redact_naive(set, data + at, size - at, &want);
	rs = redact_stream_new(set);
	while (at < size) {
		/* piece lengths from a hash of the input: 1 to 64 bytes */
		size_t n;
		cut = (cut ^ data[at]) * 16777619u;
		n = 1 + (cut >> 8) % 64;
		if (n > size - at)
			n = size - at;
		redact_write(rs, data + at, n, &got);
		if (redact_stream_held(rs) >= (st.max_len ? st.max_len : 1))
			__builtin_trap();
		at += n;
	}
	redact_flush(rs, &got);
	if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0)
		__builtin_trap();
	redact_stream_free(rs);
out:
	buf_release(&want);
	buf_release(&got);
	redact_set_free(set);
	return 0;
}
