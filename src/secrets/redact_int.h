/* Shared between the redactor's files (redact.c, forms.c); not an API. */
#ifndef VEND_SECRETS_REDACT_INT_H
#define VEND_SECRETS_REDACT_INT_H

#include <stddef.h>
#include <stdint.h>

/* A growing list of forms of secret values; every byte is wiped when it is
 * freed. */
struct redact__pat {
	uint8_t *p;  /* owned */
	size_t len;
};
struct redact__pats {
	struct redact__pat *v;
	size_t n, cap;
	size_t bytes; /* sum of lengths */
};

/* Appends a copy of p (skipped when shorter than REDACT_MIN_VALUE). */
void redact__pats_add(struct redact__pats *l, const uint8_t *p, size_t len);
/* Moves every form of src to the end of dst; src is left empty. */
void redact__pats_move(struct redact__pats *dst, struct redact__pats *src);
/* Wipes and frees every form; l is empty and reusable. */
void redact__pats_clear(struct redact__pats *l);
/* Sorts and removes duplicates. */
void redact__pats_unique(struct redact__pats *l);

/* Appends to l every form of the value v (n >= REDACT_MIN_VALUE). */
void redact__forms(struct redact__pats *l, const uint8_t *v, size_t n);

#endif
