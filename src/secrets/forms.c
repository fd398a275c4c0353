/*
 * The forms of a secret value that the redactor looks for (issue 8 point 4):
 * how common tools print a value they were given. Each form is a byte
 * string of at least REDACT_MIN_VALUE bytes; duplicates are removed later.
 *
 *   raw            the value itself
 *   lines          each line of a multi-line value (\n, an optional \r
 *                  before it), when at least REDACT_MIN_VALUE bytes and not
 *                  one byte repeated ("------" would mask every rule line)
 *   base64         standard and URL-safe alphabets, the value at each of
 *                  the three byte alignments: only the letters that depend
 *                  on the value's bytes alone, so any bytes before or after
 *                  it (a prefix "user:", a trailing newline) do not matter
 *   percent        application/x-www-form-urlencoded and RFC 3986 3.3,
 *                  upper- and lower-case hex, and the choices encoders differ
 *                  on (space as + or %20; ~ * !'() / kept or encoded)
 *   JSON           a string's contents as JSON encoders write them (RFC 8259
 *                  7): short escapes, \u00XX in either case, and the variants
 *                  of encoders that escape / (PHP), non-ASCII (Python, PHP,
 *                  jansson with JSON_ENSURE_ASCII) or <>& (Go)
 */
#include <sodium.h>

#include "secrets/redact.h"
#include "secrets/redact_int.h"
#include "util/buf.h"
#include "util/xalloc.h"

void redact__pats_add(struct redact__pats *l, const uint8_t *p, size_t len)
{
	uint8_t *copy;

	if (len < REDACT_MIN_VALUE)
		return;
	copy = xmalloc(len);
	memcpy(copy, p, len);
	XGROW(l->v, l->n + 1, l->cap);
	l->v[l->n].p = copy;
	l->v[l->n].len = len;
	l->n++;
	l->bytes += len;
}

void redact__pats_move(struct redact__pats *dst, struct redact__pats *src)
{
	XGROW(dst->v, dst->n + src->n, dst->cap);
	if (src->n)
		memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	dst->bytes += src->bytes;
	src->n = 0;
	src->bytes = 0;
}

void redact__pats_clear(struct redact__pats *l)
{
	for (size_t i = 0; i < l->n; i++) {
		sodium_memzero(l->v[i].p, l->v[i].len);
		free(l->v[i].p);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int pat_cmp(const void *a, const void *b)
{
	const struct redact__pat *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

void redact__pats_unique(struct redact__pats *l)
{
	size_t w = 0;

	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), pat_cmp);
	for (size_t i = 0; i < l->n; i++) {
		if (w > 0 && pat_cmp(&l->v[w - 1], &l->v[i]) == 0) {
			l->bytes -= l->v[i].len;
			sodium_memzero(l->v[i].p, l->v[i].len);
			free(l->v[i].p);
			continue;
		}
		l->v[w++] = l->v[i];
	}
	l->n = w;
}

/* A scratch buffer for one form; wiped before it is reused or freed. */
static void scratch_reset(struct buf *b)
{
	sodium_memzero(b->data, b->len);
	buf_reset(b);
}

static void add_buf(struct redact__pats *l, struct buf *b)
{
	redact__pats_add(l, (const uint8_t *)b->data, b->len);
	scratch_reset(b);
}

static bool one_byte_repeated(const uint8_t *p, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (p[i] != p[0])
			return false;
	return true;
}

static void line_forms(struct redact__pats *l, const uint8_t *v, size_t n)
{
	const uint8_t *p = v, *end = v + n;

	if (!memchr(v, '\n', n))
		return;
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *e = nl ? nl : end;
		size_t len = (size_t)(e - p);

		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len >= REDACT_MIN_VALUE && !one_byte_repeated(p, len))
			redact__pats_add(l, p, len);
		p = nl ? nl + 1 : end;
	}
}

/* RFC 4648 4 and 5. With k bytes before the value, letter j of the
 * encoding carries bits [6j, 6j + 6) of the stream, so the letters that
 * depend on the value alone run from ceil(8k / 6) to floor(8(k + n) / 6). */
static void base64_forms(struct redact__pats *l, const uint8_t *v, size_t n)
{
	static const int variants[] = { sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
					sodium_base64_VARIANT_URLSAFE_NO_PADDING };
	size_t enc_len = sodium_base64_ENCODED_LEN(n + 2, variants[0]);
	uint8_t *in = xmalloc(n + 2);
	char *enc = xmalloc(enc_len);

	for (size_t a = 0; a < sizeof(variants) / sizeof(*variants); a++) {
		for (size_t k = 0; k < 3; k++) {
			size_t from = (8 * k + 5) / 6, to = 8 * (k + n) / 6;

			memset(in, 0, k);
			memcpy(in + k, v, n);
			sodium_bin2base64(enc, enc_len, in, n + k, variants[a]);
			redact__pats_add(l, (const uint8_t *)enc + from, to - from);
		}
	}
	sodium_memzero(in, n + 2);
	sodium_memzero(enc, enc_len);
	free(in);
	free(enc);
}

/* Percent-encoding: the bytes every encoder leaves alone (ALPHA DIGIT
 * - . _), and the groups encoders disagree on. */
enum {
	URL_SPACE_PLUS = 1,  /* ' ' as '+' (forms) rather than %20 */
	URL_TILDE = 2,       /* '~' kept (RFC 3986) */
	URL_STAR = 4,        /* '*' kept (WHATWG forms) */
	URL_MARKS = 8,       /* ! ' ( ) kept (JavaScript encodeURIComponent) */
	URL_SLASH = 16,      /* '/' kept (Python quote) */
	URL_GROUPS = 31,
	URL_LOWER = 32,      /* %2f rather than %2F */
};

static unsigned url_group(uint8_t c)
{
	switch (c) {
	case ' ': return URL_SPACE_PLUS;
	case '~': return URL_TILDE;
	case '*': return URL_STAR;
	case '!': case '\'': case '(': case ')': return URL_MARKS;
	case '/': return URL_SLASH;
	default: return 0;
	}
}

static bool url_unreserved(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_';
}

static void url_encode(struct buf *b, const uint8_t *v, size_t n, unsigned flags)
{
	const char *hex = (flags & URL_LOWER) ? "0123456789abcdef" : "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		uint8_t c = v[i];
		unsigned g = url_group(c);

		if (url_unreserved(c) || (g && (flags & g) && c != ' ')) {
			buf_addc(b, (char)c);
		} else if (c == ' ' && (flags & URL_SPACE_PLUS)) {
			buf_addc(b, '+');
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			buf_add(b, e, 3);
		}
	}
}

static void url_forms(struct redact__pats *l, const uint8_t *v, size_t n, struct buf *b)
{
	unsigned present = 0;

	for (size_t i = 0; i < n; i++)
		present |= url_group(v[i]);
	for (unsigned lower = 0; lower <= URL_LOWER; lower += URL_LOWER) {
		if (n > REDACT_URL_VARIANTS_MAX) {
			/* RFC 3986 and WHATWG forms only: 2 x 2 forms, not 64. */
			url_encode(b, v, n, lower | URL_TILDE);
			add_buf(l, b);
			url_encode(b, v, n, lower | URL_SPACE_PLUS | URL_STAR);
			add_buf(l, b);
			continue;
		}
		/* Every subset of the groups that occur in the value. */
		for (unsigned sub = present;; sub = (sub - 1) & present) {
			url_encode(b, v, n, lower | sub);
			add_buf(l, b);
			if (sub == 0)
				break;
		}
	}
}

enum {
	JSON_UPPER = 1,  /* \u001B rather than \u001b */
	JSON_SLASH = 2,  /* \/ */
	JSON_ASCII = 4,  /* every non-ASCII character as \uXXXX (surrogate pairs) */
	JSON_HTML = 8,   /* < > & U+2028 U+2029 as \uXXXX (Go) */
};

static void json_u(struct buf *b, unsigned cp, unsigned flags)
{
	const char *hex = (flags & JSON_UPPER) ? "0123456789ABCDEF" : "0123456789abcdef";
	char e[6] = { '\\', 'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15],
		      hex[cp & 15] };

	buf_add(b, e, 6);
}

/* Decodes one UTF-8 sequence at v[*i] (RFC 3629); -1 if invalid. */
static long utf8_next(const uint8_t *v, size_t n, size_t *i)
{
	uint8_t c = v[*i];
	size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
	long cp;

	if (len == 0 || *i + len > n)
		return -1;
	cp = len == 1 ? c : c & (0x7f >> len);
	for (size_t k = 1; k < len; k++) {
		if ((v[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (v[*i + k] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += len;
	return cp;
}

/* RFC 8259 7. Returns false (b unchanged) when flags need UTF-8 and the
 * value is not UTF-8: no encoder of that kind would print it. */
static bool json_encode(struct buf *b, const uint8_t *v, size_t n, unsigned flags)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = v[i];
		const char *s = NULL;

		switch (c) {
		case '"': s = "\\\""; break;
		case '\\': s = "\\\\"; break;
		case '\b': s = "\\b"; break;
		case '\f': s = "\\f"; break;
		case '\n': s = "\\n"; break;
		case '\r': s = "\\r"; break;
		case '\t': s = "\\t"; break;
		case '/': s = (flags & JSON_SLASH) ? "\\/" : NULL; break;
		default: break;
		}
		if (s) {
			buf_adds(b, s);
			i++;
		} else if (c < 0x20 || ((flags & JSON_HTML) && (c == '<' || c == '>' || c == '&'))) {
			json_u(b, c, flags);
			i++;
		} else if (c < 0x80 || !(flags & (JSON_ASCII | JSON_HTML))) {
			buf_addc(b, (char)c);
			i++;
		} else {
			size_t at = i;
			long cp = utf8_next(v, n, &i);

			if (cp < 0) {
				scratch_reset(b);
				return false;
			}
			if (flags & JSON_ASCII) {
				if (cp >= 0x10000) {
					json_u(b, 0xd800 + (((unsigned)cp - 0x10000) >> 10), flags);
					json_u(b, 0xdc00 + (((unsigned)cp - 0x10000) & 0x3ff), flags);
				} else {
					json_u(b, (unsigned)cp, flags);
				}
			} else if (cp == 0x2028 || cp == 0x2029) {
				json_u(b, (unsigned)cp, flags);
			} else {
				buf_add(b, v + at, i - at);
			}
		}
	}
	return true;
}

static void json_forms(struct redact__pats *l, const uint8_t *v, size_t n, struct buf *b)
{
	static const unsigned variants[] = {
		0, JSON_UPPER, JSON_SLASH, JSON_ASCII, JSON_ASCII | JSON_UPPER,
		JSON_ASCII | JSON_SLASH, JSON_HTML,
	};

	for (size_t k = 0; k < sizeof(variants) / sizeof(*variants); k++)
		if (json_encode(b, v, n, variants[k]))
			add_buf(l, b);
}

void redact__forms(struct redact__pats *l, const uint8_t *v, size_t n)
{
	struct buf b = BUF_INIT;

	buf_init(&b, 16 * (size_t)REDACT_MAX_VALUE);
	redact__pats_add(l, v, n);
	line_forms(l, v, n);
	base64_forms(l, v, n);
	url_forms(l, v, n, &b);
	json_forms(l, v, n, &b);
	scratch_reset(&b);
	buf_release(&b);
}
