/*
 * Fuzz target: the two readers of an entry's canonical bytes must agree
 * (audit/entry.c). audit_entry_decode parses with jansson and re-encodes;
 * audit_entry_check scans without building anything (the fast path of
 * export verification). They must accept exactly the same inputs, and an
 * accepted input must re-encode to itself, by audit_entry_encode and by
 * the server's writer, audit_entry_write, from its members.
 */
#include <stddef.h>
#include <stdint.h>

#include "audit/entry.h"
#include "util/timeutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* audit_entry_write over the members of a decoded entry. */
static int write_from_members(const json_t *j, struct buf *out)
{
	json_t *run = json_object_get(j, "run_id");
	struct audit_fields f = {
		.actor = json_string_value(json_object_get(j, "actor")),
		.action = json_string_value(json_object_get(j, "action")),
		.result = json_string_value(json_object_get(j, "result")),
		.target = json_string_value(json_object_get(j, "target")),
		.run_id = json_is_null(run) ? -1 : json_integer_value(run),
		.trace_id = json_string_value(json_object_get(j, "trace_id")),
		.request_id = json_string_value(json_object_get(j, "request_id")),
	};

	if (time_parse(json_string_value(json_object_get(j, "time")), &f.time_ms))
		return -1;
	return audit_entry_write(&f, json_object_get(j, "details"), out, NULL);
}

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
		if (write_from_members(j, &out) || out.len != size || memcmp(out.data, data, size))
			__builtin_trap();
		buf_release(&out);
		json_decref(j);
	}
	err_free(&e1);
	err_free(&e2);
	return 0;
}
