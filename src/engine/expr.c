/*
 * Expression evaluation for templates. Until the CEL module is wired in,
 * an expression is a dotted path into the scope (params.x,
 * steps.build.outputs.image, run.id), which is what issue 2 requires.
 */
#include <ctype.h>

#include "engine/expr.h"
#include "template/interp.h"

static int lookup(json_t *scope, const char *expr, size_t len, json_t **out,
		  struct vend_err *err)
{
	char path[INTERP_MAX_EXPR + 1];
	json_t *cur = scope;
	char *p, *save = NULL, *part;

	while (len && isspace((unsigned char)*expr)) {
		expr++;
		len--;
	}
	while (len && isspace((unsigned char)expr[len - 1]))
		len--;
	if (len == 0 || len > INTERP_MAX_EXPR)
		return err_set(err, -EINVAL, "empty or too long expression");
	memcpy(path, expr, len);
	path[len] = '\0';
	for (p = path; (part = strtok_r(p, ".", &save)); p = NULL) {
		for (const char *c = part; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
				return err_set(err, -EINVAL, "unsupported expression \"%s\"", path);
		cur = json_object_get(cur, part);
		if (!cur)
			return err_set(err, -EINVAL, "\"%s\" does not exist", path);
	}
	*out = cur;
	return 0;
}

static int eval_into(void *ctx, const char *expr, size_t len, struct buf *out,
		     struct vend_err *err)
{
	json_t *v;
	int rc = lookup(ctx, expr, len, &v, err);

	if (rc)
		return rc;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return buf_add(out, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return buf_printf(out, "%.17g", json_real_value(v));
	case JSON_TRUE:
		return buf_adds(out, "true");
	case JSON_FALSE:
		return buf_adds(out, "false");
	case JSON_NULL:
		return 0;
	default: {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		rc = buf_adds(out, s ? s : "");
		free(s);
		return rc;
	}
	}
}

int expr_expand(const char *s, json_t *scope, struct buf *out, struct vend_err *err)
{
	return interp_expand(s, eval_into, scope, out, err);
}

int expr_condition(const char *src, json_t *scope, bool *out, struct vend_err *err)
{
	json_t *v;
	int rc = lookup(scope, src, strlen(src), &v, err);

	if (rc)
		return rc;
	if (!json_is_boolean(v))
		return err_set(err, -EINVAL, "condition \"%s\" is not a bool", src);
	*out = json_is_true(v);
	return 0;
}
