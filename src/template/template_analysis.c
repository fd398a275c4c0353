/*
 * `analysis:` of a step: the spec is checked by the verify module's own
 * parser (the runner checks it again once its `${{ }}` are resolved), so
 * this file only maps each problem back to its line in the YAML and checks
 * the interpolations.
 */
#include <stdlib.h>

#include "template/template_int.h"
#include "verify/analysis_spec.h"

/* The node a problem's field path names ("prometheus.metrics[1].name"),
 * or the deepest one that exists on the way. */
static const struct ynode *node_at(const struct ynode *n, const char *path)
{
	char key[128];

	while (*path) {
		size_t len = strcspn(path, ".[");
		const struct ynode *next = NULL;
		if (len) {
			snprintf(key, sizeof(key), "%.*s", (int)len, path);
			next = n->kind == YNODE_MAPPING ? ynode_get(n, key) : NULL;
		} else if (*path == '[') {
			size_t i = strtoul(path + 1, NULL, 10);
			len = strcspn(path, "]") + 1;
			if (n->kind == YNODE_SEQUENCE && i < n->n_items)
				next = n->items[i];
		}
		if (!next)
			break;
		n = next;
		path += len;
		if (*path == '.')
			path++;
		if (!path[0] || (path[0] == ']' && !path[1]))
			break;
	}
	return n;
}

/* Every scalar under n gets its ${{ }} checked, with its path. */
static void check_strings(struct tp *P, const struct ynode *n, const char *where, int depth)
{
	char path[256];

	if (depth > 8)
		return;
	if (n->kind == YNODE_SCALAR) {
		template__check_interp(P, n, where);
	} else if (n->kind == YNODE_MAPPING) {
		for (size_t i = 0; i < n->n_pairs; i++) {
			template__path(path, sizeof(path), where, n->pairs[i].key->str);
			check_strings(P, n->pairs[i].value, path, depth + 1);
		}
	} else {
		for (size_t i = 0; i < n->n_items; i++) {
			snprintf(path, sizeof(path), "%s[%zu]", where, i);
			check_strings(P, n->items[i], path, depth + 1);
		}
	}
}

json_t *template__parse_analysis(struct tp *P, const struct ynode *n, const char *where)
{
	struct vend_err err = VEND_ERR_INIT;
	struct analysis_spec spec;
	json_t *j = ynode_to_json(n), *out = NULL;
	char path[160];
	size_t i;
	json_t *f;

	template__path(path, sizeof(path), where, "analysis");
	if (analysis_spec_parse(j, false, &spec, &err)) {
		if (!json_array_size(err.fields))
			template__err(P, n, "%s: %s", path, err.msg);
		json_array_foreach(err.fields, i, f) {
			const char *field = json_string_value(json_object_get(f, "field"));
			const char *msg = json_string_value(json_object_get(f, "message"));
			template__err(P, node_at(n, field ? field : ""), "%s%s%s %s", path,
				      field && *field ? "." : "", field ? field : "", msg);
		}
	} else {
		out = analysis_spec_to_json(&spec);
	}
	check_strings(P, n, path, 0);
	analysis_spec_free(&spec);
	err_free(&err);
	json_decref(j);
	return out;
}
