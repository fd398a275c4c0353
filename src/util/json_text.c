/* Compact JSON text, as jansson writes it (see json_text.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/json_text.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* The text being written: grown by doubling, written through inline
 * appends (a call per token into struct buf cost more than the JSON). */
struct out {
	char *p;
	size_t len, cap, max;
	int err;
};

/* Room for n more bytes (and the NUL), within max; len <= max always. */
static bool room(struct out *o, size_t n)
{
	size_t cap;

	if (o->err)
		return false;
	if (n > o->max - o->len) {
		o->err = -E2BIG;
		return false;
	}
	if (o->cap - o->len > n)
		return true;
	for (cap = o->cap ? o->cap : 256; cap - o->len <= n;)
		cap *= 2;
	o->p = xrealloc(o->p, cap);
	o->cap = cap;
	return true;
}

static void put(struct out *o, const void *s, size_t n)
{
	if (room(o, n)) {
		memcpy(o->p + o->len, s, n);
		o->len += n;
	}
}

static void putc1(struct out *o, char c)
{
	if (room(o, 1))
		o->p[o->len++] = c;
}

/* Bytes a string cannot hold as they are: control characters, '"', '\\',
 * and the start of every non-ASCII sequence (checked as UTF-8). */
static const unsigned char special[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

/* A string's text: plain runs copied whole, escapes between them;
 * -EINVAL if it is not UTF-8. */
static int put_string(struct out *o, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0, i = 0;

	putc1(o, '"');
	for (;;) {
		unsigned char c;
		char esc[7] = "\\u00";
		size_t n = 2;

		while (i < len && !special[p[i]])
			i++;
		if (i == len)
			break;
		c = p[i];
		if (c >= 0x80) {
			size_t l = utf8_seq_len(p + i, len - i);
			if (!l)
				return -EINVAL;
			i += l;
			continue;
		}
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		put(o, s + start, i - start);
		put(o, esc, n);
		start = ++i;
	}
	put(o, s + start, len - start);
	putc1(o, '"');
	return 0;
}

static void put_integer(struct out *o, json_int_t v)
{
	char tmp[INT_DECIMAL_MAX], *p = int_decimal(v, tmp);

	put(o, p, (size_t)(tmp + INT_DECIMAL_MAX - p));
}

/* "%.17g", reading as a real (".0" added to "1"), its exponent without
 * '+' or leading zeros. */
static void put_real(struct out *o, double v)
{
	char text[40], *e;
	int n = snprintf(text, sizeof(text) - 2, "%.17g", v);

	if (n < 0 || (size_t)n >= sizeof(text) - 2) {
		o->err = -EINVAL; /* cannot happen for a finite double */
		return;
	}
	if (!strchr(text, '.') && !strchr(text, 'e')) {
		memcpy(text + n, ".0", 3);
		n += 2;
	}
	e = strchr(text, 'e');
	if (e) {
		char *digits = e + 1, *from;
		if (*digits == '-')
			digits++;
		from = digits;
		if (*from == '+')
			from++;
		while (*from == '0' && from[1])
			from++;
		memmove(digits, from, strlen(from) + 1);
		n = (int)strlen(text);
	}
	put(o, text, (size_t)n);
}

static int put_value(struct out *out, const json_t *v, int depth)
{
	int rc = 0;

	switch (json_typeof(v)) {
	case JSON_NULL:
		put(out, "null", 4);
		return 0;
	case JSON_TRUE:
		put(out, "true", 4);
		return 0;
	case JSON_FALSE:
		put(out, "false", 5);
		return 0;
	case JSON_INTEGER:
		put_integer(out, json_integer_value(v));
		return 0;
	case JSON_REAL:
		put_real(out, json_real_value(v));
		return 0;
	case JSON_STRING:
		return put_string(out, json_string_value(v), json_string_length(v));
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		if (depth >= JSON_TEXT_MAX_DEPTH)
			return -EINVAL;
		putc1(out, '[');
		for (size_t i = 0; i < n && !rc; i++) {
			if (i)
				putc1(out, ',');
			rc = put_value(out, json_array_get(v, i), depth + 1);
		}
		putc1(out, ']');
		return rc;
	}
	case JSON_OBJECT: {
		const char *key;
		size_t klen;
		json_t *member;
		bool first = true;
		if (depth >= JSON_TEXT_MAX_DEPTH)
			return -EINVAL;
		putc1(out, '{');
		json_object_keylen_foreach((json_t *)v, key, klen, member) {
			if (!first)
				putc1(out, ',');
			first = false;
			rc = put_string(out, key, klen);
			if (rc)
				break;
			putc1(out, ':');
			rc = put_value(out, member, depth + 1);
			if (rc)
				break;
		}
		putc1(out, '}');
		return rc;
	}
	}
	return -EINVAL;
}

/* The text of v in o (o->p new, NUL-terminated, o->len without the
 * NUL): 0 or an error. */
static int write_text(struct out *o, const json_t *v)
{
	int rc = v ? put_value(o, v, 0) : -EINVAL;

	if (!rc && !o->err && room(o, 0))
		o->p[o->len] = '\0';
	if (!rc)
		rc = o->err;
	if (rc) {
		free(o->p);
		o->p = NULL;
	}
	return rc;
}

int json_text_append(struct buf *out, const json_t *v)
{
	struct out o = { .max = (out->max ? out->max : BUF_DEFAULT_MAX) - out->len };
	int rc = write_text(&o, v);

	if (!rc)
		rc = buf_add(out, o.p, o.len); /* fits: o.max was what is left */
	free(o.p);
	return rc;
}

char *json_text(const json_t *v)
{
	struct out o = { .max = BUF_DEFAULT_MAX };

	return write_text(&o, v) ? NULL : o.p;
}
