/*
 * docs/openapi.yaml and the server's route table describe the same API:
 * every route is documented with the roles that may call it, and every
 * documented operation exists.
 */
#include <ctype.h>

#include "engine/auth.h"
#include "http/http.h"
#include "tap.h"
#include "template/yaml.h"
#include "util/fsutil.h"

static const struct ynode *get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YNODE_MAPPING)
		return NULL;
	for (size_t i = 0; i < map->n_pairs; i++)
		if (!strcmp(map->pairs[i].key->str, key))
			return map->pairs[i].value;
	return NULL;
}

static unsigned roles_of(const struct ynode *seq)
{
	unsigned roles = 0;
	CHECK(seq && seq->kind == YNODE_SEQUENCE);
	for (size_t i = 0; i < seq->n_items; i++) {
		unsigned r = role_parse(seq->items[i]->str);
		CHECK(r != 0);
		roles |= r;
	}
	return roles;
}

TEST(openapi_matches_the_route_table)
{
	struct buf text = BUF_INIT;
	struct diags d = DIAGS_INIT;
	struct yfile *f;
	const struct ynode *paths;
	size_t documented = 0;

	CHECK_INT(fs_read_file("docs/openapi.yaml", 1 << 20, &text), 0);
	CHECK_INT(yfile_load("docs/openapi.yaml", text.data, text.len, &f, &d), 0);
	paths = get(f->docs[0].root, "paths");
	CHECK(paths != NULL);

	for (size_t i = 0; i < http_route_count; i++) {
		const struct http_route *r = &http_routes[i];
		char method[8];
		const struct ynode *op;
		size_t k;

		for (k = 0; r->method[k] && k < sizeof(method) - 1; k++)
			method[k] = (char)tolower((unsigned char)r->method[k]);
		method[k] = '\0';
		op = get(get(paths, r->pattern), method);
		if (!op)
			tap_fail(__FILE__, __LINE__, "%s %s is not in docs/openapi.yaml", r->method,
				 r->pattern);
		if (roles_of(get(op, "x-vend-roles")) != r->roles)
			tap_fail(__FILE__, __LINE__, "%s %s: x-vend-roles differ from the route table",
				 r->method, r->pattern);
	}
	for (size_t p = 0; p < paths->n_pairs; p++) {
		const struct ynode *item = paths->pairs[p].value;
		for (size_t m = 0; m < item->n_pairs; m++) {
			const char *method = item->pairs[m].key->str;
			bool found = false;
			if (!strcmp(method, "parameters") || !strcmp(method, "summary"))
				continue;
			documented++;
			for (size_t i = 0; i < http_route_count; i++)
				if (!strcasecmp(http_routes[i].method, method) &&
				    !strcmp(http_routes[i].pattern, paths->pairs[p].key->str))
					found = true;
			if (!found)
				tap_fail(__FILE__, __LINE__, "documented %s %s has no route", method,
					 paths->pairs[p].key->str);
		}
	}
	CHECK_INT(documented, http_route_count);
	yfile_free(f);
	buf_release(&text);
}
