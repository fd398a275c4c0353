/* Inside the audit module: helpers its files share. */
#ifndef VEND_AUDIT_AUDIT_INT_H
#define VEND_AUDIT_AUDIT_INT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes s[0:len], which must be canonical padded base64 (RFC 4648
 * section 4: only the 64 letters and '=' padding, length a multiple of
 * four, zero pad bits), into out (room for max bytes); the length goes to
 * *n. Returns 0 or -EINVAL.
 *
 * audit__b64_decode is a plain table decoder, for public data (it is many
 * times faster than libsodium's constant-time one, which dominated export
 * verification). audit__b64_decode_secret, for secret keys, is
 * sodium_base642bin behind an alphabet check: libsodium 1.0.18 (Debian 12)
 * reads every byte >= 0x80 as a letter, so "AAA\xe0" decodes like "AAA/"
 * and one encoding would have many spellings. Both accept exactly the same
 * inputs (test_checkpoint checks them against each other).
 */
int audit__b64_decode(const char *s, size_t len, uint8_t *out, size_t max, size_t *n);
int audit__b64_decode_secret(const char *s, size_t len, uint8_t *out, size_t max, size_t *n);

#endif
