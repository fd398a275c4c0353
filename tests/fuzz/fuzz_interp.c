/*
 * libFuzzer target for ${{ }} splitting: an input is a template string (an
 * env value, a lock). Expansion through an echoing evaluator must agree
 * with the scanner: every expression it reports lies inside the string,
 * within the length cap, between a "${{" and a "}}", and the expanded text
 * holds exactly the literal parts and the evaluated expressions.
 */
#include "template/interp.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int bracket_eval(void *ctx, const char *expr, size_t len, struct buf *out,
			struct vend_err *err)
{
	size_t *count = ctx;
	/* Its length, not its text: an expression may itself hold "${{". */
	(*count)++;
	buf_printf(out, "[%zu]", len);
	return 0;
}

struct each_state {
	const char *s;
	size_t len;
	size_t n;
};

static int each_check(void *ctx, const char *expr, size_t len, size_t offset)
{
	struct each_state *st = ctx;

	if (offset + len > st->len || expr != st->s + offset)
		abort();
	if (len > INTERP_MAX_EXPR)
		abort();
	st->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size); /* stops at a NUL */
	size_t len = strlen(s), pos = 0, found = 0, evaluated = 0;
	struct buf out = BUF_INIT;
	struct vend_err err = VEND_ERR_INIT;
	struct each_state st = { s, len, 0 };
	struct interp_span sp;
	int rc, each_rc, expand_rc;

	while ((rc = interp_next(s, &pos, &sp)) == 1) {
		if (sp.start + 3 > sp.expr || sp.expr + sp.expr_len + 2 > sp.end ||
		    sp.end > len || memcmp(s + sp.start, "${{", 3) ||
		    memcmp(s + sp.end - 2, "}}", 2) || pos != sp.end)
			abort();
		found++;
	}
	if (rc != 0 && rc != -EINVAL && rc != -E2BIG)
		abort();
	each_rc = interp_each(s, each_check, &st);
	if (st.n != found || each_rc != rc)
		abort();
	expand_rc = interp_expand(s, bracket_eval, &evaluated, &out, &err);
	if (expand_rc == 0) {
		if (evaluated != found || rc != 0)
			abort();
		/* No "${{" survives expansion except from a "$${{" escape. */
		if (strstr(out.data, "${{") && !strstr(s, "$${{"))
			abort();
	} else if (!err.msg[0]) {
		abort();
	}
	if (interp_has_expr(s) != (strstr(s, "${{") != NULL))
		abort();
	buf_release(&out);
	err_free(&err);
	free(s);
	return 0;
}
