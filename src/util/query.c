/* A URL query's pairs (see query.h). */
#include "util/hash.h"
#include "util/query.h"
#include "util/xalloc.h"

void query_parse(const char *q, size_t n, struct query *out)
{
	char *p;
	size_t o = 0;

	n = strnlen(q, n);
	/* Each byte gives at most one, and each pair two NULs more. */
	p = xmalloc(2 * n + 2);
	for (size_t i = 0; i < n; i++) {
		size_t start = o;
		bool in_value = false;

		for (; i < n && q[i] != '&'; i++) {
			int hi, lo;
			if (q[i] == '=' && !in_value) {
				p[o++] = '\0';
				in_value = true;
			} else if (q[i] == '%' && i + 2 < n && (hi = hex_digit((unsigned char)q[i + 1])) >= 0 &&
				   (lo = hex_digit((unsigned char)q[i + 2])) >= 0 && (hi || lo)) {
				p[o++] = (char)(hi * 16 + lo);
				i += 2;
			} else {
				p[o++] = q[i] == '+' ? ' ' : q[i];
			}
		}
		if (o == start)
			continue; /* an empty pair */
		p[o++] = '\0';
		if (!in_value)
			p[o++] = '\0'; /* "flag": an empty value */
	}
	out->pairs = p;
	out->len = o;
}

const char *query_get(const struct query *qy, const char *name)
{
	for (size_t i = 0; i < qy->len;) {
		const char *k = qy->pairs + i, *v = k + strlen(k) + 1;
		if (!strcmp(k, name))
			return v;
		i = (size_t)(v - qy->pairs) + strlen(v) + 1;
	}
	return NULL;
}

void query_free(struct query *qy)
{
	free(qy->pairs);
	qy->pairs = NULL;
	qy->len = 0;
}
