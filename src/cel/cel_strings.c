/*
 * CEL strings: `matches` over PCRE2 with the RE2 syntax subset (CEL spec:
 * Regular Expressions), and the strings extension of cel-go (charAt,
 * indexOf, lastIndexOf, lowerAscii, upperAscii, replace, split, substring,
 * trim, join, reverse, strings.quote, format). Indexes count code points.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>

#include "cel/cel_int.h"
#include "util/buf.h"
#include "util/xalloc.h"

#define NO(ev, n) cel__no_overload(ev, n)
#define MATCH_LIMIT 100000
#define DEPTH_LIMIT 5000

/* ---- regular expressions ---- */

/* RE2 has no backreferences, lookaround, atomic groups, recursion,
 * conditionals or possessive quantifiers; PCRE2 has. Refuse them, so that
 * a pattern means what it would mean in cel-go and cannot backtrack
 * catastrophically through those features. */
static const char *re2_check(const char *p, size_t n)
{
	bool in_class = false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '\\') {
			if (i + 1 >= n)
				return "trailing backslash";
			char e = p[i + 1];
			if (!in_class && ((e >= '1' && e <= '9') || e == 'g' || e == 'k'))
				return "backreferences are not supported (RE2 syntax)";
			if (e == 'Q') {
				/* \Q...\E quotes literally */
				const char *q = memmem(p + i + 2, n - i - 2, "\\E", 2);
				i = q ? (size_t)(q - p) + 1 : n;
				continue;
			}
			i++;
			continue;
		}
		if (in_class) {
			if (c == ']')
				in_class = false;
			continue;
		}
		if (c == '[') {
			in_class = true;
			if (i + 1 < n && p[i + 1] == '^')
				i++;
			if (i + 1 < n && p[i + 1] == ']')
				i++;
			continue;
		}
		if (c == '(' && i + 1 < n && p[i + 1] == '?') {
			char k = i + 2 < n ? p[i + 2] : 0;
			char k2 = i + 3 < n ? p[i + 3] : 0;
			if (k == '=' || k == '!' || k == '>' || k == '(' || k == 'R' ||
			    k == '&' || k == 'C' || k == '|' || (k >= '0' && k <= '9') ||
			    k == '+' || (k == '<' && (k2 == '=' || k2 == '!')) ||
			    (k == 'P' && (k2 == '=' || k2 == '>')))
				return "unsupported group syntax (RE2 syntax)";
		}
		if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < n &&
		    p[i + 1] == '+')
			return "possessive quantifiers are not supported (RE2 syntax)";
	}
	return NULL;
}

void *cel__regex_compile(const char *pat, size_t len, char *errbuf, size_t errlen)
{
	const char *bad = re2_check(pat, len);
	pcre2_code *code;
	int ec;
	PCRE2_SIZE eo;

	if (bad) {
		snprintf(errbuf, errlen, "invalid regular expression: %s", bad);
		return NULL;
	}
	code = pcre2_compile((PCRE2_SPTR)pat, len,
			     PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C,
			     &ec, &eo, NULL);
	if (!code) {
		PCRE2_UCHAR msg[120];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(errbuf, errlen, "invalid regular expression at %zu: %s",
			 (size_t)eo, (const char *)msg);
		return NULL;
	}
	return code;
}

void cel__regex_free(void *code)
{
	pcre2_code_free(code);
}

void cel__ctx_regex_release(struct cel_ctx *ctx)
{
	for (int i = 0; i < CEL__REGEX_CACHE; i++) {
		free(ctx->re[i].pat);
		pcre2_code_free(ctx->re[i].code);
		ctx->re[i].pat = NULL;
		ctx->re[i].code = NULL;
	}
	pcre2_match_data_free(ctx->match_data);
	pcre2_match_context_free(ctx->match_ctx);
	ctx->match_data = NULL;
	ctx->match_ctx = NULL;
}

struct cel_value cel__call_matches(struct cel__ev *ev, const struct cel__node *n,
				   struct cel_value *a, int argc)
{
	struct cel_ctx *ctx = ev->ctx;
	pcre2_code *code = n->call.aux;
	int rc;

	if (a[0].kind != CEL_STRING || a[1].kind != CEL_STRING)
		return NO(ev, n);
	if (!code) {
		const struct cel__str *p = a[1].s;
		for (int i = 0; i < CEL__REGEX_CACHE && !code; i++)
			if (ctx->re[i].pat && ctx->re[i].len == p->len &&
			    !memcmp(ctx->re[i].pat, p->data, p->len))
				code = ctx->re[i].code;
		if (!code) {
			char msg[200];
			unsigned slot;
			if (!cel__charge(ev, n, p->len))
				return cel__err(ev, n, "limit");
			code = cel__regex_compile(p->data, p->len, msg, sizeof(msg));
			if (!code)
				return cel__err(ev, n, "%s", msg);
			slot = ctx->re_next++ % CEL__REGEX_CACHE;
			free(ctx->re[slot].pat);
			pcre2_code_free(ctx->re[slot].code);
			ctx->re[slot].pat = xstrndup(p->data, p->len);
			ctx->re[slot].len = p->len;
			ctx->re[slot].code = code;
		}
	}
	if (!ctx->match_data) {
		ctx->match_data = pcre2_match_data_create(1, NULL);
		ctx->match_ctx = pcre2_match_context_create(NULL);
		pcre2_set_match_limit(ctx->match_ctx, MATCH_LIMIT);
		pcre2_set_depth_limit(ctx->match_ctx, DEPTH_LIMIT);
		pcre2_set_heap_limit(ctx->match_ctx, 20000); /* KiB */
	}
	if (!cel__charge(ev, n, a[0].s->len / 16 + 1))
		return cel__err(ev, n, "limit");
	rc = pcre2_match(code, (PCRE2_SPTR)a[0].s->data, a[0].s->len, 0, 0,
			 ctx->match_data, ctx->match_ctx);
	if (rc >= 0)
		return cel__v_bool(true);
	if (rc == PCRE2_ERROR_NOMATCH)
		return cel__v_bool(false);
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT)
		return cel__err(ev, n, "regular expression match limit exceeded (%d steps)",
				MATCH_LIMIT);
	return cel__err(ev, n, "regular expression match failed (%d)", rc);
}

/* ---- code point helpers ---- */

/* Byte offset of code point index i (i <= count). */
static size_t cp_offset(const char *s, size_t n, int64_t i)
{
	size_t off = 0;
	while (i > 0 && off < n) {
		off++;
		while (off < n && ((unsigned char)s[off] & 0xc0) == 0x80)
			off++;
		i--;
	}
	return off;
}

static bool is_str(const struct cel_value *v)
{
	return v->kind == CEL_STRING;
}

static struct cel_value f_char_at(struct cel__ev *ev, const struct cel__node *n,
				  struct cel_value *a, int argc)
{
	if (!is_str(&a[0]) || a[1].kind != CEL_INT)
		return NO(ev, n);
	const struct cel__str *s = a[0].s;
	if (!cel__charge(ev, n, s->len / 64))
		return cel__err(ev, n, "limit");
	int64_t len = (int64_t)cel__utf8_count(s->data, s->len), i = a[1].i;
	if (i < 0 || i > len)
		return cel__err(ev, n, "index out of range: %" PRId64, i);
	size_t off = cp_offset(s->data, s->len, i);
	size_t end = cp_offset(s->data, s->len, i + 1);
	return cel__mk_string(ev, n, s->data + off, end - off, false);
}

static struct cel_value f_index_of(struct cel__ev *ev, const struct cel__node *n,
				   struct cel_value *a, int argc)
{
	bool last = n->call.name[0] == 'l';
	if (!is_str(&a[0]) || !is_str(&a[1]) || (argc == 3 && a[2].kind != CEL_INT))
		return NO(ev, n);
	const struct cel__str *s = a[0].s, *t = a[1].s;
	int64_t len = (int64_t)cel__utf8_count(s->data, s->len);
	int64_t start = argc == 3 ? a[2].i : (last ? len : 0);
	if (start < 0 || start > len)
		return cel__err(ev, n, "index out of range: %" PRId64, start);
	if (!cel__charge(ev, n, s->len / 16))
		return cel__err(ev, n, "limit");
	/* One pass over the code points (no quadratic re-scans). */
	int64_t found = -1, i = 0;
	for (size_t off = 0;; i++) {
		if (i > start && last)
			break;
		if ((last || i >= start) && s->len - off >= t->len &&
		    (t->len == 0 || !memcmp(s->data + off, t->data, t->len))) {
			found = i;
			if (!last)
				break;
		}
		if (off >= s->len)
			break;
		off++;
		while (off < s->len && ((unsigned char)s->data[off] & 0xc0) == 0x80)
			off++;
	}
	return cel__v_int(found);
}

static struct cel_value f_case(struct cel__ev *ev, const struct cel__node *n,
			       struct cel_value *a, int argc)
{
	bool upper = n->call.name[0] == 'u';
	struct cel_value r;
	if (!is_str(&a[0]))
		return NO(ev, n);
	r = cel__mk_string(ev, n, a[0].s->data, a[0].s->len, false);
	if (r.kind == CEL__ERROR)
		return r;
	for (size_t i = 0; i < r.s->len; i++) {
		char c = r.s->data[i];
		if (upper && c >= 'a' && c <= 'z')
			r.s->data[i] = (char)(c - 32);
		else if (!upper && c >= 'A' && c <= 'Z')
			r.s->data[i] = (char)(c + 32);
	}
	return r;
}

static struct cel_value buf_result(struct cel__ev *ev, const struct cel__node *n,
				   struct buf *b)
{
	struct cel_value r;
	if (b->err)
		r = cel__limit(ev, n, "string too long (limit max_string_len=%zu)",
			       ev->lim->max_string_len);
	else
		r = cel__mk_string(ev, n, b->data, b->len, false);
	buf_release(b);
	return r;
}

static struct cel_value f_replace(struct cel__ev *ev, const struct cel__node *n,
				  struct cel_value *a, int argc)
{
	struct buf b;
	int64_t limit = -1;

	if (!is_str(&a[0]) || !is_str(&a[1]) || !is_str(&a[2]) ||
	    (argc == 4 && a[3].kind != CEL_INT))
		return NO(ev, n);
	if (argc == 4)
		limit = a[3].i;
	const struct cel__str *s = a[0].s, *o = a[1].s, *w = a[2].s;
	buf_init(&b, ev->lim->max_string_len);
	size_t i = 0;
	int64_t done = 0;
	while (i <= s->len) {
		if (limit >= 0 && done >= limit)
			break;
		const char *hit;
		if (o->len == 0) {
			hit = s->data + i; /* Go: empty old matches at each rune */
		} else {
			hit = memmem(s->data + i, s->len - i, o->data, o->len);
			if (!hit)
				break;
		}
		size_t at = (size_t)(hit - s->data);
		buf_add(&b, s->data + i, at - i);
		buf_add(&b, w->data, w->len);
		done++;
		if (o->len == 0) {
			if (at >= s->len) {
				i = s->len + 1;
				break;
			}
			size_t nx = at + 1;
			while (nx < s->len && ((unsigned char)s->data[nx] & 0xc0) == 0x80)
				nx++;
			buf_add(&b, s->data + at, nx - at);
			i = nx;
		} else {
			i = at + o->len;
		}
		if (b.err)
			break;
	}
	if (i < s->len)
		buf_add(&b, s->data + i, s->len - i);
	if (!b.err && !cel__charge(ev, n, b.len / 16)) {
		buf_release(&b);
		return cel__err(ev, n, "limit");
	}
	return buf_result(ev, n, &b);
}

static struct cel_value f_split(struct cel__ev *ev, const struct cel__node *n,
				struct cel_value *a, int argc)
{
	struct cel_value r = { .kind = CEL_LIST };
	int64_t limit = -1;

	if (!is_str(&a[0]) || !is_str(&a[1]) || (argc == 3 && a[2].kind != CEL_INT))
		return NO(ev, n);
	if (argc == 3)
		limit = a[2].i;
	r.l = cel__mk_list(ev, n, 0);
	if (!r.l)
		return cel__err(ev, n, "limit");
	if (limit == 0)
		return r;
	const struct cel__str *s = a[0].s, *sep = a[1].s;
	size_t i = 0;
	for (;;) {
		size_t at, next;
		bool last = limit > 0 && (int64_t)r.l->len == limit - 1;
		if (sep->len == 0) {
			if (i >= s->len)
				break;
			at = i + 1;
			while (at < s->len && ((unsigned char)s->data[at] & 0xc0) == 0x80)
				at++;
			next = at;
			if (last)
				at = next = s->len;
		} else {
			const char *hit = last ? NULL :
				memmem(s->data + i, s->len - i, sep->data, sep->len);
			at = hit ? (size_t)(hit - s->data) : s->len;
			next = hit ? at + sep->len : s->len + 1;
		}
		struct cel_value part = cel__mk_string(ev, n, s->data + i, at - i, false);
		if (part.kind == CEL__ERROR || !cel__list_push(ev, n, r.l, part))
			return cel__err(ev, n, "limit");
		if (next > s->len && sep->len)
			break;
		i = next;
		if (sep->len == 0 && i >= s->len)
			break;
	}
	return r;
}

static struct cel_value f_substring(struct cel__ev *ev, const struct cel__node *n,
				    struct cel_value *a, int argc)
{
	if (!is_str(&a[0]) || a[1].kind != CEL_INT || (argc == 3 && a[2].kind != CEL_INT))
		return NO(ev, n);
	const struct cel__str *s = a[0].s;
	if (!cel__charge(ev, n, s->len / 64))
		return cel__err(ev, n, "limit");
	int64_t len = (int64_t)cel__utf8_count(s->data, s->len);
	int64_t b = a[1].i, e = argc == 3 ? a[2].i : len;
	if (b < 0 || b > len)
		return cel__err(ev, n, "index out of range: %" PRId64, b);
	if (e < 0 || e > len)
		return cel__err(ev, n, "index out of range: %" PRId64, e);
	if (b > e)
		return cel__err(ev, n, "invalid substring range. start: %" PRId64 ", end: %" PRId64, b, e);
	size_t ob = cp_offset(s->data, s->len, b), oe = cp_offset(s->data, s->len, e);
	return cel__mk_string(ev, n, s->data + ob, oe - ob, false);
}

/* Go's unicode.IsSpace. */
static bool is_space(uint32_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

static struct cel_value f_trim(struct cel__ev *ev, const struct cel__node *n,
			       struct cel_value *a, int argc)
{
	if (!is_str(&a[0]))
		return NO(ev, n);
	const char *s = a[0].s->data;
	size_t b = 0, e = a[0].s->len;
	while (b < e) {
		uint32_t cp;
		int k = cel__utf8_decode(s + b, e - b, &cp);
		if (!is_space(cp))
			break;
		b += (size_t)k;
	}
	while (e > b) {
		size_t st = e - 1;
		uint32_t cp;
		while (st > b && ((unsigned char)s[st] & 0xc0) == 0x80)
			st--;
		cel__utf8_decode(s + st, e - st, &cp);
		if (!is_space(cp))
			break;
		e = st;
	}
	return cel__mk_string(ev, n, s + b, e - b, false);
}

static struct cel_value f_join(struct cel__ev *ev, const struct cel__node *n,
			       struct cel_value *a, int argc)
{
	struct buf b;

	if (a[0].kind != CEL_LIST || (argc == 2 && !is_str(&a[1])))
		return NO(ev, n);
	buf_init(&b, ev->lim->max_string_len);
	for (size_t i = 0; i < a[0].l->len; i++) {
		const struct cel_value *e = &a[0].l->v[i];
		if (e->kind != CEL_STRING) {
			buf_release(&b);
			return NO(ev, n);
		}
		if (i && argc == 2)
			buf_add(&b, a[1].s->data, a[1].s->len);
		buf_add(&b, e->s->data, e->s->len);
	}
	return buf_result(ev, n, &b);
}

static struct cel_value f_reverse(struct cel__ev *ev, const struct cel__node *n,
				  struct cel_value *a, int argc)
{
	struct cel_value r;
	if (!is_str(&a[0]))
		return NO(ev, n);
	const struct cel__str *s = a[0].s;
	r = cel__mk_string(ev, n, NULL, s->len, false);
	if (r.kind == CEL__ERROR)
		return r;
	size_t o = s->len;
	for (size_t i = 0; i < s->len;) {
		size_t k = 1;
		while (i + k < s->len && ((unsigned char)s->data[i + k] & 0xc0) == 0x80)
			k++;
		o -= k;
		memcpy(r.s->data + o, s->data + i, k);
		i += k;
	}
	return r;
}

static struct cel_value f_quote(struct cel__ev *ev, const struct cel__node *n,
				struct cel_value *a, int argc)
{
	struct buf b;
	if (!is_str(&a[0]))
		return NO(ev, n);
	const struct cel__str *s = a[0].s;
	buf_init(&b, ev->lim->max_string_len);
	buf_addc(&b, '"');
	for (size_t i = 0; i < s->len; i++) {
		unsigned char c = (unsigned char)s->data[i];
		switch (c) {
		case '\a': buf_adds(&b, "\\a"); break;
		case '\b': buf_adds(&b, "\\b"); break;
		case '\f': buf_adds(&b, "\\f"); break;
		case '\n': buf_adds(&b, "\\n"); break;
		case '\r': buf_adds(&b, "\\r"); break;
		case '\t': buf_adds(&b, "\\t"); break;
		case '\v': buf_adds(&b, "\\v"); break;
		case '\\': buf_adds(&b, "\\\\"); break;
		case '"': buf_adds(&b, "\\\""); break;
		default:
			if (c < 0x20 || c == 0x7f)
				buf_printf(&b, "\\x%02x", c);
			else
				buf_addc(&b, (char)c);
		}
	}
	buf_addc(&b, '"');
	return buf_result(ev, n, &b);
}

/* ---- format ---- */

static void fmt_double_name(double d, struct buf *b)
{
	if (d != d)
		buf_adds(b, "NaN");
	else if (isinf(d))
		buf_adds(b, d > 0 ? "Infinity" : "-Infinity");
	else
		cel__format_double(d, b);
}

static int str_cmp(const void *x, const void *y)
{
	const struct buf *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int r = memcmp(a->data, b->data, n);
	return r ? r : (a->len > b->len) - (a->len < b->len);
}

/* %s of any value (cel-go's string clause). */
static void fmt_s(const struct cel_value *v, struct buf *b, int depth)
{
	if (depth > 100) {
		buf_adds(b, "...");
		return;
	}
	switch (v->kind) {
	case CEL_NULL: buf_adds(b, "null"); break;
	case CEL_BOOL: buf_adds(b, v->b ? "true" : "false"); break;
	case CEL_INT: buf_printf(b, "%" PRId64, v->i); break;
	case CEL_UINT: buf_printf(b, "%" PRIu64, v->u); break;
	case CEL_DOUBLE: fmt_double_name(v->d, b); break;
	case CEL_STRING:
	case CEL_BYTES: buf_add(b, v->s->data, v->s->len); break;
	case CEL_TIMESTAMP: cel__format_timestamp(v->i, v->nsec, b); break;
	case CEL_DURATION: cel__format_duration(v->i, v->nsec, b); break;
	case CEL_TYPE: buf_adds(b, cel__type_names[v->t]); break;
	case CEL_LIST:
		buf_addc(b, '[');
		for (size_t i = 0; i < v->l->len; i++) {
			if (i)
				buf_adds(b, ", ");
			fmt_s(&v->l->v[i], b, depth + 1);
		}
		buf_addc(b, ']');
		break;
	case CEL_MAP: {
		size_t n = v->m->len;
		struct buf *ents = XNEW(struct buf, n ? n : 1);
		for (size_t i = 0; i < n; i++) {
			buf_init(&ents[i], b->max);
			fmt_s(&v->m->k[i], &ents[i], depth + 1);
			buf_adds(&ents[i], ": ");
			fmt_s(&v->m->v[i], &ents[i], depth + 1);
		}
		qsort(ents, n, sizeof(*ents), str_cmp);
		buf_addc(b, '{');
		for (size_t i = 0; i < n; i++) {
			if (i)
				buf_adds(b, ", ");
			buf_add(b, ents[i].data, ents[i].len);
			buf_release(&ents[i]);
		}
		free(ents);
		buf_addc(b, '}');
		break;
	}
	default: break;
	}
}

static void fmt_radix(uint64_t u, bool neg, int base, bool upper, struct buf *b)
{
	char tmp[70];
	int k = 0;
	const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	do {
		tmp[k++] = dig[u % (unsigned)base];
		u /= (unsigned)base;
	} while (u);
	if (neg)
		buf_addc(b, '-');
	while (k)
		buf_addc(b, tmp[--k]);
}

static const char *kind_name(const struct cel_value *v)
{
	return v->kind == CEL_NULL ? "null_type" : cel__type_names[cel__type_of(v)];
}

/* One clause; returns an error message or NULL. */
static const char *fmt_clause(char verb, int prec, const struct cel_value *v,
			      struct buf *b, char *msg, size_t msglen)
{
	switch (verb) {
	case 's':
		fmt_s(v, b, 0);
		return NULL;
	case 'd':
		if (v->kind == CEL_INT)
			buf_printf(b, "%" PRId64, v->i);
		else if (v->kind == CEL_UINT)
			buf_printf(b, "%" PRIu64, v->u);
		else if (v->kind == CEL_DOUBLE && (v->d != v->d || isinf(v->d)))
			fmt_double_name(v->d, b);
		else
			goto bad_d;
		return NULL;
	case 'f':
	case 'e': {
		double d;
		if (v->kind == CEL_DOUBLE)
			d = v->d;
		else if (v->kind == CEL_INT)
			d = (double)v->i;
		else if (v->kind == CEL_UINT)
			d = (double)v->u;
		else
			goto bad_fe;
		if (d != d || isinf(d))
			fmt_double_name(d, b);
		else
			buf_printf(b, verb == 'f' ? "%.*f" : "%.*e", prec < 0 ? 6 : prec, d);
		return NULL;
	}
	case 'b':
	case 'o':
	case 'x':
	case 'X': {
		int base = verb == 'b' ? 2 : verb == 'o' ? 8 : 16;
		if (v->kind == CEL_INT)
			fmt_radix(v->i < 0 ? 0 - (uint64_t)v->i : (uint64_t)v->i, v->i < 0,
				  base, verb == 'X', b);
		else if (v->kind == CEL_UINT)
			fmt_radix(v->u, false, base, verb == 'X', b);
		else if (verb == 'b' && v->kind == CEL_BOOL)
			buf_addc(b, v->b ? '1' : '0');
		else if (base == 16 && (v->kind == CEL_STRING || v->kind == CEL_BYTES))
			for (size_t i = 0; i < v->s->len; i++)
				buf_printf(b, verb == 'X' ? "%02X" : "%02x",
					   (unsigned char)v->s->data[i]);
		else
			goto bad_box;
		return NULL;
	}
	default:
		snprintf(msg, msglen, "could not parse formatting clause: unrecognized formatting clause \"%c\"", verb);
		return msg;
	}
bad_d:
	snprintf(msg, msglen, "error during formatting: decimal clause can only be used on integers, was given %s", kind_name(v));
	return msg;
bad_fe:
	snprintf(msg, msglen, "error during formatting: %s clause can only be used on doubles, was given %s",
		 verb == 'f' ? "fixed-point" : "scientific", kind_name(v));
	return msg;
bad_box:
	if (verb == 'b')
		snprintf(msg, msglen, "error during formatting: only integers and bools can be formatted as binary, was given %s", kind_name(v));
	else if (verb == 'o')
		snprintf(msg, msglen, "error during formatting: octal clause can only be used on integers, was given %s", kind_name(v));
	else
		snprintf(msg, msglen, "error during formatting: only integers, byte buffers, and strings can be formatted as hex, was given %s", kind_name(v));
	return msg;
}

static struct cel_value f_format(struct cel__ev *ev, const struct cel__node *n,
				 struct cel_value *a, int argc)
{
	struct buf b;
	char msg[200];
	size_t argi = 0;

	if (!is_str(&a[0]) || a[1].kind != CEL_LIST)
		return NO(ev, n);
	const struct cel__str *f = a[0].s;
	const struct cel__list *args = a[1].l;
	buf_init(&b, ev->lim->max_string_len);
	for (size_t i = 0; i < f->len; i++) {
		char c = f->data[i];
		int prec = -1;
		if (c != '%') {
			buf_addc(&b, c);
			continue;
		}
		if (++i >= f->len) {
			buf_release(&b);
			return cel__err(ev, n, "could not parse formatting clause: unexpected end of string");
		}
		if (f->data[i] == '%') {
			buf_addc(&b, '%');
			continue;
		}
		if (f->data[i] == '.') {
			prec = 0;
			i++;
			while (i < f->len && f->data[i] >= '0' && f->data[i] <= '9') {
				if (prec < 1000)
					prec = prec * 10 + (f->data[i] - '0');
				i++;
			}
			if (i >= f->len) {
				buf_release(&b);
				return cel__err(ev, n, "could not parse formatting clause: unexpected end of string");
			}
			if (prec > 100)
				prec = 100;
		}
		char verb = f->data[i];
		if (!strchr("sdfeboxX", verb)) {
			buf_release(&b);
			return cel__err(ev, n, "could not parse formatting clause: unrecognized formatting clause \"%c\"", verb);
		}
		if (argi >= args->len) {
			buf_release(&b);
			return cel__err(ev, n, "index %zu out of range", argi);
		}
		const char *bad = fmt_clause(verb, prec, &args->v[argi++], &b, msg, sizeof(msg));
		if (bad) {
			buf_release(&b);
			return cel__err(ev, n, "%s", bad);
		}
		if (b.err)
			break;
	}
	if (!b.err && !cel__charge(ev, n, b.len / 16)) {
		buf_release(&b);
		return cel__err(ev, n, "limit");
	}
	return buf_result(ev, n, &b);
}

const struct cel__func cel__str_funcs[] = {
	{ "charAt", CEL__RECV, 2, 2, f_char_at },
	{ "indexOf", CEL__RECV, 2, 3, f_index_of },
	{ "lastIndexOf", CEL__RECV, 2, 3, f_index_of },
	{ "lowerAscii", CEL__RECV, 1, 1, f_case },
	{ "upperAscii", CEL__RECV, 1, 1, f_case },
	{ "replace", CEL__RECV, 3, 4, f_replace },
	{ "split", CEL__RECV, 2, 3, f_split },
	{ "substring", CEL__RECV, 2, 3, f_substring },
	{ "trim", CEL__RECV, 1, 1, f_trim },
	{ "join", CEL__RECV, 1, 2, f_join },
	{ "reverse", CEL__RECV, 1, 1, f_reverse },
	{ "strings.quote", CEL__GLOBAL, 1, 1, f_quote },
	{ "format", CEL__RECV, 2, 2, f_format },
	{ NULL, 0, 0, 0, NULL },
};
