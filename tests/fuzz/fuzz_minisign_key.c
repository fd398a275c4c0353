/* Fuzz target: minisign public key parsing (artifact/minisign.c). */
#include <stddef.h>
#include <stdint.h>

#include "artifact/minisign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct minisign_key key;
	struct vend_err err = VEND_ERR_INIT;
	char id[MINISIGN_KEY_ID_HEX + 1];

	if (minisign_key_parse((const char *)data, size, &key, &err) == 0) {
		minisign_key_id_hex(key.id, id);
		if (strlen(id) != MINISIGN_KEY_ID_HEX)
			__builtin_trap();
	} else if (err.msg[0] == '\0') {
		__builtin_trap(); /* every refusal says why */
	}
	err_free(&err);
	return 0;
}
