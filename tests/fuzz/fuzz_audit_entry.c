/*
 * Fuzz target: the two readers of an entry's canonical bytes must agree
 * (audit/entry.c). audit_entry_decode parses with jansson and re-encodes;
 * audit_entry_check scans without building anything (the fast path of
 * export verification). They must accept exactly the same inputs, and an
 * accepted input must re-encode to itself.
 */
#include <stddef.h>
#include <stdint.h>

#include "audit/entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vend_err e1 = VEND_ERR_INIT, e2 = VEND_ERR_INIT;
	json_t *j = NULL;
	int a = audit_entry_check(data, size, &e1);
	int b = audit_entry_decode(data, size, &j, &e2);

	if ((a == 0) != (b == 0))
		__builtin_trap();
	if (b == 0) {
		struct buf out = BUF_INIT;
		if (audit_entry_encode(j, &out, NULL) || out.len != size ||
		    memcmp(out.data, data, size) != 0)
			__builtin_trap();
		buf_release(&out);
		json_decref(j);
	}
	err_free(&e1);
	err_free(&e2);
	return 0;
}
