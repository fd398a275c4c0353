/*
 * Fuzz target: minisign signature parsing (artifact/minisign.c); what
 * parses is verified against a fixed key and message, which must fail
 * cleanly with one of the documented reasons.
 */
#include <stddef.h>
#include <stdint.h>

#include "artifact/minisign.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the key of tests/fuzz/corpus/minisign_sig's seeds */
	static const char pub[] = "RWQHhRLwKUK8GGnYyz4LwXsTQdhgl3dlPEJNecH3FKKfUdmC1C8AWHO5";
	struct minisign_key key;
	struct minisign_sig sig;
	struct minisign_result res;
	struct vend_err err = VEND_ERR_INIT;
	int rc;

	if (minisign_key_parse(pub, sizeof(pub) - 1, &key, &err) != 0)
		__builtin_trap();
	rc = minisign_sig_parse((const char *)data, size, &sig, &err);
	if (rc == 0) {
		if (strlen(sig.trusted_comment) != sig.trusted_comment_len ||
		    sig.trusted_comment_len > MINISIGN_MAX_COMMENT)
			__builtin_trap();
		rc = minisign_verify(&key, &sig, "hello\n", 6, &res, NULL, &err);
		if (rc != 0 && rc != MINISIGN_WRONG_KEY && rc != MINISIGN_BAD_SIGNATURE &&
		    rc != MINISIGN_BAD_COMMENT)
			__builtin_trap();
	} else if (rc != MINISIGN_MALFORMED && rc != MINISIGN_TOO_LARGE) {
		__builtin_trap();
	}
	err_free(&err);
	return 0;
}
