/* Strict base64 decoding for the audit module (see audit_int.h). */
#include <sodium.h>

#include "audit/audit_int.h"

int audit__b64_decode(const char *s, size_t len, uint8_t *out, size_t max, size_t *n)
{
	const char *end = NULL;

	if (len == 0 || len % 4 != 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || (c == '=' && i >= len - 2)))
			return -EINVAL;
	}
	if (sodium_base642bin(out, max, s, len, NULL, n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + len)
		return -EINVAL;
	return 0;
}
