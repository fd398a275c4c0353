/*
 * Finding ${{ expr }} in template strings (see interp.h). The only subtle
 * part is where an expression ends: CEL string literals may hold "}}" and
 * map literals nest braces, so the scanner skips string literals (with
 * their escapes, triple quotes and raw prefixes) and counts the braces the
 * expression opens. When that careful scan finds no end (a stray quote or
 * brace, or a '$', which CEL has only inside strings), the first "}}" is
 * taken instead, so that the CEL parser reports the real syntax error at
 * its place rather than "unterminated" here.
 */
#include "template/interp.h"

static bool is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Whether the quote at s[q] opens a raw string: a prefix of r (and maybe b,
 * in either order and case) that itself starts a token; from bounds the
 * look-back. CEL spec: lexical structure, string literals. */
static bool raw_prefix(const char *s, size_t from, size_t q)
{
	bool r = false, b = false;
	size_t n = 0, k;

	while (n < 2 && q - n > from) {
		char c = s[q - n - 1];
		if (!r && (c == 'r' || c == 'R'))
			r = true;
		else if (!b && (c == 'b' || c == 'B'))
			b = true;
		else
			break;
		n++;
	}
	if (!r)
		return false;
	k = q - n;
	return k == from || !is_ident(s[k - 1]);
}

/* Skips the string literal whose opening quote is at s[i], not past limit.
 * Returns the offset just past its closing quote, or 0 if it does not end
 * before limit. */
static size_t skip_string(const char *s, size_t from, size_t i, size_t limit)
{
	char q = s[i];
	bool raw = raw_prefix(s, from, i);
	bool triple = s[i + 1] == q && s[i + 2] == q;
	size_t j = i + (triple ? 3 : 1);

	while (j < limit && s[j]) {
		if (s[j] == '\\' && !raw) {
			if (!s[j + 1])
				return 0;
			j += 2;
			continue;
		}
		if (s[j] == q) {
			if (!triple)
				return j + 1;
			if (s[j + 1] == q && s[j + 2] == q)
				return j + 3;
		}
		j++;
	}
	return 0;
}

/* Finds the "}}" closing an expression that starts at s[from]. Returns 0
 * and its offset in *close, -EINVAL if there is none, -E2BIG if the only
 * ones are too far. */
static int find_close(const char *s, size_t from, size_t *close)
{
	size_t limit = from + INTERP_MAX_EXPR + 2; /* room for the "}}" itself */
	size_t i = from;
	int depth = 0;

	while (i < limit && s[i]) {
		char c = s[i];

		if (c == '\'' || c == '"') {
			size_t next = skip_string(s, from, i, limit);
			if (!next)
				break;
			i = next;
			continue;
		}
		if (c == '$') {
			/* Not CEL outside a string: the expression is broken,
			 * and stopping here keeps the scan of a string full of
			 * bad expressions linear. */
			break;
		} else if (c == '{') {
			depth++;
		} else if (c == '}') {
			if (depth == 0 && s[i + 1] == '}') {
				if (i - from > INTERP_MAX_EXPR)
					break;
				*close = i;
				return 0;
			}
			if (depth > 0)
				depth--;
		}
		i++;
	}
	/* No careful end within the limit: fall back to the first "}}". A
	 * loop, not strstr: that one may measure all of s first (sanitizers'
	 * does), which is quadratic over many expressions. */
	for (i = from; s[i]; i++) {
		if (s[i] == '}' && s[i + 1] == '}') {
			if (i - from > INTERP_MAX_EXPR)
				return -E2BIG;
			*close = i;
			return 0;
		}
	}
	return -EINVAL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int interp_next(const char *s, size_t *pos, struct interp_span *sp)
{
	size_t i = *pos;

	for (; s[i]; i++) {
		size_t from, close, a, b;
		int rc;

		if (s[i] != '$')
			continue;
		if (s[i + 1] == '$' && s[i + 2] == '{' && s[i + 3] == '{') {
			i += 3; /* "$${{" is a literal "${{"; the loop adds one */
			continue;
		}
		if (s[i + 1] != '{' || s[i + 2] != '{')
			continue;
		sp->start = i;
		from = i + 3;
		rc = find_close(s, from, &close);
		if (rc)
			return rc;
		a = from;
		b = close;
		while (a < b && is_blank(s[a]))
			a++;
		while (b > a && is_blank(s[b - 1]))
			b--;
		sp->expr = a;
		sp->expr_len = b - a;
		sp->end = close + 2;
		*pos = sp->end;
		return 1;
	}
	*pos = i;
	return 0;
}

/* Copies literal text s[a, b) to out, turning "$${{" into "${{". */
static int add_literal(struct buf *out, const char *s, size_t a, size_t b)
{
	size_t run = a;

	for (size_t j = a; j < b;) {
		if (b - j >= 4 && !memcmp(s + j, "$${{", 4)) {
			buf_add(out, s + run, j - run);
			buf_add(out, "${{", 3);
			j += 4;
			run = j;
			continue;
		}
		j++;
	}
	buf_add(out, s + run, b - run);
	return out->err;
}

int interp_expand(const char *s, interp_eval_fn eval, void *ctx,
		  struct buf *out, struct vend_err *err)
{
	struct interp_span sp;
	size_t pos = 0, lit = 0;
	int rc;

	for (;;) {
		rc = interp_next(s, &pos, &sp);
		if (rc == 0)
			break;
		if (rc == -EINVAL) {
			err_set(err, rc, "unterminated ${{ at offset %zu", sp.start);
			goto out;
		}
		if (rc == -E2BIG) {
			err_set(err, rc, "expression at offset %zu is longer than %d bytes",
				sp.start, INTERP_MAX_EXPR);
			goto out;
		}
		rc = add_literal(out, s, lit, sp.start);
		if (rc) {
			err_set(err, rc, "expanded text is too long");
			goto out;
		}
		if (sp.expr_len == 0) {
			rc = err_set(err, -EINVAL, "empty ${{ }} at offset %zu", sp.start);
			goto out;
		}
		rc = eval(ctx, s + sp.expr, sp.expr_len, out, err);
		if (rc)
			goto out;
		lit = sp.end;
	}
	rc = add_literal(out, s, lit, pos);
	if (rc)
		err_set(err, rc, "expanded text is too long");
out:
	return rc;
}

int interp_each(const char *s, interp_each_fn fn, void *ctx)
{
	struct interp_span sp;
	size_t pos = 0;
	int rc;

	while ((rc = interp_next(s, &pos, &sp)) == 1) {
		rc = fn(ctx, s + sp.expr, sp.expr_len, sp.expr);
		if (rc)
			return rc;
	}
	return rc;
}

int interp_has_expr(const char *s)
{
	return strstr(s, "${{") != NULL;
}
