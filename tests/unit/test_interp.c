/* Unit tests for template/interp: finding ${{ }} in env values, lock and
 * environment, where the expression ends, and expansion through a callback. */
#include <time.h>

#include "tap.h"
#include "template/interp.h"

/* Evaluates an expression to "<expr>" so the output shows what was found. */
static int echo_eval(void *ctx, const char *expr, size_t len, struct buf *out,
		     struct vend_err *err)
{
	int *calls = ctx;
	if (calls)
		(*calls)++;
	buf_addc(out, '<');
	buf_add(out, expr, len);
	buf_addc(out, '>');
	return 0;
}

static int fail_eval(void *ctx, const char *expr, size_t len, struct buf *out,
		     struct vend_err *err)
{
	return err_set(err, -EPERM, "no");
}

static const char *expand(const char *s, int *rc_out)
{
	static char result[8192];
	struct buf b = BUF_INIT;
	struct vend_err err = VEND_ERR_INIT;
	int rc = interp_expand(s, echo_eval, NULL, &b, &err);
	if (rc_out)
		*rc_out = rc;
	snprintf(result, sizeof(result), "%s", rc ? err.msg : b.data);
	buf_release(&b);
	err_free(&err);
	return result;
}

TEST(interp_expands_simple_expressions)
{
	CHECK_STR(expand("plain text", NULL), "plain text");
	CHECK_STR(expand("", NULL), "");
	CHECK_STR(expand("${{ params.x }}", NULL), "<params.x>");
	CHECK_STR(expand("a${{params.x}}b${{ y }}c", NULL), "a<params.x>b<y>c");
	CHECK_STR(expand("${{\n  params.x\t}}", NULL), "<params.x>");
	CHECK_STR(expand("${{ params.service }}/${{ params.environment }}", NULL),
		  "<params.service>/<params.environment>");
}

TEST(interp_dollar_escape_is_literal)
{
	CHECK_STR(expand("$${{ not an expr }}", NULL), "${{ not an expr }}");
	CHECK_STR(expand("$$${{ x }}", NULL), "$${{ x }}");
	CHECK_STR(expand("cost: $5 and $$ and ${x} and ${ {", NULL),
		  "cost: $5 and $$ and ${x} and ${ {");
	CHECK_STR(expand("$${{a}}${{b}}", NULL), "${{a}}<b>");
}

TEST(interp_skips_braces_inside_string_literals)
{
	CHECK_STR(expand("${{ 'a}}b' }}", NULL), "<'a}}b'>");
	CHECK_STR(expand("${{ \"a}}b\" + x }}", NULL), "<\"a}}b\" + x>");
	CHECK_STR(expand("${{ 'it\\'s }}' }}", NULL), "<'it\\'s }}'>");
	CHECK_STR(expand("${{ \"q\\\"}}\" }}!", NULL), "<\"q\\\"}}\">!");
	CHECK_STR(expand("${{ '''a}}'b''' }}", NULL), "<'''a}}'b'''>");
	CHECK_STR(expand("${{ \"\"\"x\"}}\"\"\" }}", NULL), "<\"\"\"x\"}}\"\"\">");
	/* Raw strings: a backslash does not escape the quote. */
	CHECK_STR(expand("${{ r'a\\' }}", NULL), "<r'a\\'>");
	CHECK_STR(expand("${{ R\"\\\" }}", NULL), "<R\"\\\">");
	CHECK_STR(expand("${{ br'\\' }}", NULL), "<br'\\'>");
	/* Not raw: the r ends an identifier. */
	CHECK_STR(expand("${{ fr'\\'}}' }}", NULL), "<fr'\\'}}'>");
	CHECK_STR(expand("${{ '' }}", NULL), "<''>");
}

TEST(interp_counts_map_literal_braces)
{
	CHECK_STR(expand("${{ {'a': {'b': 1}} }}", NULL), "<{'a': {'b': 1}}>");
	CHECK_STR(expand("${{ {'a': 1}}}", NULL), "<{'a': 1}>");
	CHECK_STR(expand("${{ x }}}", NULL), "<x>}");
}

TEST(interp_falls_back_to_first_close_on_bad_syntax)
{
	/* An unterminated string or brace: CEL will say what is wrong. */
	CHECK_STR(expand("${{ 'abc }} rest", NULL), "<'abc> rest");
	CHECK_STR(expand("${{ a { }} b", NULL), "<a {> b");
	CHECK_STR(expand("${{ a { }} ${{ b }}", NULL), "<a {> <b>");
	CHECK_STR(expand("${{ {'x': 1} }}$", NULL), "<{'x': 1}>$");
	CHECK_STR(expand("${{ 'cost: $5 }}' }}", NULL), "<'cost: $5 }}'>");
}

TEST(interp_reports_unterminated_with_offset)
{
	int rc;
	CHECK_CONTAINS(expand("abc ${{ params.x", &rc), "unterminated ${{ at offset 4");
	CHECK_INT(rc, -EINVAL);
	CHECK_CONTAINS(expand("${{ a }} ${{ b }", &rc), "offset 9");
	CHECK_INT(rc, -EINVAL);
	CHECK_CONTAINS(expand("${{", &rc), "offset 0");
	CHECK_INT(rc, -EINVAL);
}

TEST(interp_rejects_empty_expression)
{
	int rc;
	CHECK_CONTAINS(expand("x ${{ }}", &rc), "empty");
	CHECK_INT(rc, -EINVAL);
	CHECK_CONTAINS(expand("${{}}", &rc), "empty");
}

TEST(interp_caps_expression_length)
{
	char *s = malloc(INTERP_MAX_EXPR + 64);
	int rc;

	/* Exactly the cap: accepted. */
	memcpy(s, "${{", 3);
	memset(s + 3, 'x', INTERP_MAX_EXPR);
	memcpy(s + 3 + INTERP_MAX_EXPR, "}}", 3);
	expand(s, &rc);
	CHECK_INT(rc, 0);
	/* One more byte: refused. */
	memset(s + 3, 'x', INTERP_MAX_EXPR + 1);
	memcpy(s + 4 + INTERP_MAX_EXPR, "}}", 3);
	CHECK_CONTAINS(expand(s, &rc), "longer than 4096");
	CHECK_INT(rc, -E2BIG);
	free(s);
}

TEST(interp_eval_error_is_returned)
{
	struct buf b = BUF_INIT;
	struct vend_err err = VEND_ERR_INIT;
	CHECK_INT(interp_expand("a ${{ x }}", fail_eval, NULL, &b, &err), -EPERM);
	CHECK_STR(err.msg, "no");
	buf_release(&b);
}

TEST(interp_expand_respects_buffer_cap)
{
	struct buf b;
	struct vend_err err = VEND_ERR_INIT;
	buf_init(&b, 5);
	CHECK_INT(interp_expand("0123456789", echo_eval, NULL, &b, &err), -E2BIG);
	buf_release(&b);
}

struct seen {
	char exprs[8][64];
	size_t offsets[8];
	int n;
};

static int collect(void *ctx, const char *expr, size_t len, size_t offset)
{
	struct seen *s = ctx;
	if (s->n == 8)
		return 42;
	snprintf(s->exprs[s->n], 64, "%.*s", (int)len, expr);
	s->offsets[s->n] = offset;
	s->n++;
	return 0;
}

TEST(interp_each_reports_expressions_and_offsets)
{
	struct seen s = { .n = 0 };
	CHECK_INT(interp_each("a ${{ x }} $${{ no }} ${{'}}'}}", collect, &s), 0);
	CHECK_INT(s.n, 2);
	CHECK_STR(s.exprs[0], "x");
	CHECK_INT(s.offsets[0], 6);
	CHECK_STR(s.exprs[1], "'}}'");
	CHECK_INT(s.offsets[1], 25);
	memset(&s, 0, sizeof(s));
	CHECK_INT(interp_each("${{ a }} ${{ b", collect, &s), -EINVAL);
	CHECK_INT(s.n, 1);
	memset(&s, 0, sizeof(s));
	CHECK_INT(interp_each("${{a}}${{a}}${{a}}${{a}}${{a}}${{a}}${{a}}${{a}}${{a}}",
			      collect, &s), 42);
}

TEST(interp_next_gives_spans)
{
	struct interp_span sp;
	size_t pos = 0;
	const char *s = "ab${{  x  }}cd";
	CHECK_INT(interp_next(s, &pos, &sp), 1);
	CHECK_INT(sp.start, 2);
	CHECK_INT(sp.expr, 7);
	CHECK_INT(sp.expr_len, 1);
	CHECK_INT(sp.end, 12);
	CHECK_INT(pos, 12);
	CHECK_INT(interp_next(s, &pos, &sp), 0);
}

TEST(interp_has_expr_finds_any)
{
	CHECK(interp_has_expr("x ${{ y }}"));
	CHECK(interp_has_expr("${{"));
	CHECK(!interp_has_expr("${ {"));
	CHECK(!interp_has_expr(""));
}

TEST(interp_is_linear_on_hostile_input)
{
	/* Many openers, none closed; and many unbalanced braces. */
	size_t n = 1 << 20;
	char *s = malloc(n + 1);
	int rc;
	for (size_t i = 0; i < n; i += 4)
		memcpy(s + i, "${{{", 4);
	s[n] = '\0';
	alarm(10);
	expand(s, &rc);
	CHECK(rc != 0);
	for (size_t i = 0; i < n; i++)
		s[i] = "${{'"[i % 4];
	expand(s, &rc);
	CHECK(rc != 0);
	/* Unbalanced braces in every expression, each one closed. */
	memset(s, ' ', n);
	for (size_t i = 0; i + 7 <= n; i += 7)
		memcpy(s + i, "${{ {}}", 7);
	s[n] = '\0';
	{
		clock_t t0 = clock();
		expand(s, &rc);
		CHECK_INT(rc, 0);
		CHECK(clock() - t0 < CLOCKS_PER_SEC);
	}
	free(s);
}
