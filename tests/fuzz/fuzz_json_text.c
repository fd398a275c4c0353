/* Fuzz target: util/json_text.c against jansson's own compact dump. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_text.h"
#include "util/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Both write v the same, byte for byte, or both refuse it. */
static void same(const json_t *v)
{
	char *ours = json_text(v), *theirs = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!ours != !theirs || (ours && strcmp(ours, theirs)))
		__builtin_trap();
	free(ours);
	free(theirs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	json_t *raw, *holder;

	/* Any JSON text (reals, escapes, NULs in strings and keys, depth). */
	if (v) {
		same(v);
		json_decref(v);
	}
	/* Any bytes as a string and as a key, UTF-8 or not. */
	raw = json_stringn_nocheck((const char *)data, size);
	holder = json_object();
	if (raw) {
		same(raw);
		json_object_setn_new_nocheck(holder, (const char *)data, size, json_incref(raw));
		if (utf8_valid((const char *)data, size)) {
			same(holder);
		} else {
			/* jansson writes broken text ({":...}) for such a name */
			char *t = json_text(holder);
			if (t)
				__builtin_trap();
		}
		json_decref(raw);
	}
	json_decref(holder);
	/* The input's first 8 bytes as a double, when it is one JSON holds. */
	if (size >= 8) {
		double d;
		memcpy(&d, data, sizeof(d));
		v = json_real(d);
		if (v) {
			same(v);
			json_decref(v);
		}
	}
	return 0;
}
