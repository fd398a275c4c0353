/*
 * A URL query ("a=1&b=x%20y&flag") split into its name/value pairs and
 * decoded as libmicrohttpd decodes GET arguments: '+' is a space, %XX a
 * byte, except that "%00" is left as it is so that no name or value holds
 * a NUL. A pair without '=' has an empty value; empty pairs ("&&") are
 * skipped. For requests made inside the process (http_call_local), which
 * have no libmicrohttpd connection to ask.
 */
#ifndef VEND_UTIL_QUERY_H
#define VEND_UTIL_QUERY_H

#include <stddef.h>

struct query {
	char *pairs; /* "name\0value\0" repeated, owned */
	size_t len;
};

/* Splits the n bytes of q (a NUL among them ends it). Never fails. */
void query_parse(const char *q, size_t n, struct query *out);
/* The value of the first pair named name, or NULL. Borrowed. */
const char *query_get(const struct query *qy, const char *name);
void query_free(struct query *qy);

#endif
