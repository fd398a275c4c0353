/* Fuzz target: the URL query splitter (util/query.c). */
#include <stddef.h>
#include <stdint.h>

#include "client/client.h"
#include "util/query.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct query qy;
	size_t pairs = 0, half = size / 2;
	char *name, *value, *en, *ev, *text;

	/* Any bytes: every pair a name and a value inside the buffer, each
	 * found again by its name (or an earlier pair of the same name). */
	query_parse((const char *)data, size, &qy);
	for (size_t i = 0; i < qy.len;) {
		const char *k = qy.pairs + i, *v;
		size_t kl = strnlen(k, qy.len - i);
		v = k + kl + 1;
		if ((size_t)(v - qy.pairs) >= qy.len || !query_get(&qy, k))
			__builtin_trap();
		i = (size_t)(v - qy.pairs) + strnlen(v, qy.len - (size_t)(v - qy.pairs)) + 1;
		pairs++;
	}
	if (qy.len > 2 * size + 2 || pairs > size)
		__builtin_trap();
	query_free(&qy);

	/* A name and a value as the client encodes them come back whole. */
	name = strndup((const char *)data, half);
	value = strndup((const char *)data + half, size - half);
	if (*name) {
		en = client_escape(name);
		ev = client_escape(value);
		text = xasprintf("%s=%s&%s=other", en, ev, en);
		query_parse(text, strlen(text), &qy);
		if (!query_get(&qy, name) || strcmp(query_get(&qy, name), value))
			__builtin_trap();
		query_free(&qy);
		free(text);
		free(en);
		free(ev);
	}
	free(name);
	free(value);
	return 0;
}
