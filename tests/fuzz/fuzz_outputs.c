/* Fuzz target: the $VEND_OUTPUT parser (runner/outputs.c). */
#include <stddef.h>
#include <stdint.h>

#include "runner/outputs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vend_err err = VEND_ERR_INIT;
	json_t *o = NULL;

	if (outputs_parse((const char *)data, size, &o, &err) == 0) {
		/* Whatever it accepts is valid JSON text. */
		char *s = json_dumps(o, JSON_COMPACT);
		if (!s)
			__builtin_trap();
		free(s);
		json_decref(o);
	}
	err_free(&err);
	return 0;
}
