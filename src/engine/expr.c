/*
 * Template expressions in CEL (src/cel): ${{ }} in strings, `when:` and
 * `validate:` conditions. The scope is a JSON object whose top-level keys
 * (params, steps, run, ...) become the expression's variables.
 */
#include "cel/cel.h"
#include "engine/expr.h"
#include "template/interp.h"

struct eval {
	struct cel_activation *act;
	struct cel_ctx *ctx;
};

static int setup(struct eval *e, json_t *scope, struct vend_err *err)
{
	const char *key;
	json_t *v;

	e->act = cel_activation_new();
	e->ctx = cel_ctx_new();
	json_object_foreach(scope, key, v) {
		struct cel_value *cv = cel_value_from_json(v);
		if (!cv || cel_activation_bind(e->act, key, cv))
			return err_set(err, -EINVAL, "%s cannot be given to an expression "
						     "(too deep or not UTF-8)", key);
	}
	return 0;
}

static void teardown(struct eval *e)
{
	cel_activation_free(e->act);
	cel_ctx_free(e->ctx);
}

/* Compiles and evaluates src. *out may point into the program (its
 * constants) and into e->ctx: the caller frees *prog after using it. */
static int eval(struct eval *e, const char *src, size_t len, struct cel_program **prog,
		const struct cel_value **out, struct vend_err *err)
{
	struct cel_error ce = { 0 };
	int rc = cel_compile(src, len, NULL, prog, &ce);

	if (!rc)
		rc = cel_eval(*prog, e->act, e->ctx, out, &ce);
	if (rc) {
		if (ce.column > 0)
			err_set(err, rc, "`%.*s`: column %d: %s", (int)(len > 200 ? 200 : len), src,
				ce.column, ce.message);
		else
			err_set(err, rc, "`%.*s`: %s", (int)(len > 200 ? 200 : len), src, ce.message);
	}
	return rc;
}

static int expand_one(void *ctx, const char *expr, size_t len, struct buf *out,
		      struct vend_err *err)
{
	struct cel_program *p = NULL;
	const struct cel_value *v;
	int rc = eval(ctx, expr, len, &p, &v, err);

	if (!rc && cel_value_to_string_interp(v, out))
		rc = err_set(err, -E2BIG, "the value of `%.*s` is too large", (int)len, expr);
	cel_program_free(p);
	return rc;
}

int expr_expand(const char *s, json_t *scope, struct buf *out, struct vend_err *err)
{
	struct eval e;
	int rc;

	if (!interp_has_expr(s))
		return buf_adds(out, s);
	rc = setup(&e, scope, err);
	if (!rc)
		rc = interp_expand(s, expand_one, &e, out, err);
	teardown(&e);
	return rc;
}

int expr_condition(const char *src, json_t *scope, bool *out, struct vend_err *err)
{
	struct eval e;
	struct cel_program *p = NULL;
	const struct cel_value *v;
	int rc = setup(&e, scope, err);

	if (!rc)
		rc = eval(&e, src, strlen(src), &p, &v, err);
	if (!rc && cel_value_kind(v) != CEL_BOOL)
		rc = err_set(err, -EINVAL, "`%s` gives a %s, not a bool", src, cel_value_type_name(v));
	if (!rc)
		*out = cel_value_bool(v);
	cel_program_free(p);
	teardown(&e);
	return rc;
}
