/*
 * Canonical JSON (RFC 8785 JCS, integer-only subset) and the audit entry
 * schema; see entry.h for the exact rules.
 */
#include "audit/entry.h"
#include "util/timeutil.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* ---- JCS ------------------------------------------------------------------ */

/* RFC 8785 3.2.2.2: the ECMAScript JSON.stringify string serialisation. */
static int put_string(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0;

	buf_addc(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		buf_add(out, s + start, i - start);
		buf_adds(out, esc);
		start = i + 1;
	}
	buf_add(out, s + start, len - start);
	return buf_addc(out, '"');
}

/* The next code point of valid UTF-8 at *p, as a key that orders like the
 * code point's UTF-16 code units: (first unit << 16) | second unit. */
static uint32_t next_unit_key(const unsigned char **p, const unsigned char *end)
{
	size_t l = utf8_seq_len(*p, (size_t)(end - *p));
	const unsigned char *s = *p;
	uint32_t c;

	switch (l) {
	case 2: c = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f); break;
	case 3: c = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f); break;
	case 4:
		c = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
		    (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
		break;
	default: c = s[0]; l = 1; /* ASCII (keys were validated before) */
	}
	*p += l;
	if (c < 0x10000)
		return c << 16;
	c -= 0x10000;
	return (0xd800 + (c >> 10)) << 16 | (0xdc00 + (c & 0x3ff));
}

struct member {
	const char *key;
	size_t len;
	json_t *value;
};

/* RFC 8785 3.2.3: property names compared as arrays of UTF-16 code units. */
static int cmp_member(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	const unsigned char *p = (const unsigned char *)x->key, *pe = p + x->len;
	const unsigned char *q = (const unsigned char *)y->key, *qe = q + y->len;

	while (p < pe && q < qe) {
		uint32_t kp, kq;
		if (*p < 0x80 && *q < 0x80) { /* fast path: ASCII */
			if (*p != *q)
				return *p < *q ? -1 : 1;
			p++;
			q++;
			continue;
		}
		kp = next_unit_key(&p, pe);
		kq = next_unit_key(&q, qe);
		if (kp != kq)
			return kp < kq ? -1 : 1;
	}
	return (p < pe) - (q < qe);
}

static int jcs(const json_t *v, struct buf *out, int depth, struct vend_err *err)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
		return buf_adds(out, "null");
	case JSON_TRUE:
		return buf_adds(out, "true");
	case JSON_FALSE:
		return buf_adds(out, "false");
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);
		if (i > AUDIT_JSON_INT_MAX || i < -AUDIT_JSON_INT_MAX)
			return err_set(err, -EINVAL,
				       "integer %" JSON_INTEGER_FORMAT " is outside +-(2^53-1)", i);
		return buf_printf(out, "%" JSON_INTEGER_FORMAT, i);
	}
	case JSON_REAL:
		return err_set(err, -EINVAL, "a number with a fraction or exponent (only integers)");
	case JSON_STRING: {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		if (!utf8_valid(s, len))
			return err_set(err, -EINVAL, "a string is not UTF-8");
		return put_string(out, s, len);
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		if (depth >= AUDIT_JSON_DEPTH)
			return err_set(err, -EINVAL, "nested deeper than %d", AUDIT_JSON_DEPTH);
		buf_addc(out, '[');
		for (size_t i = 0; i < n; i++) {
			int rc;
			if (i)
				buf_addc(out, ',');
			rc = jcs(json_array_get(v, i), out, depth + 1, err);
			if (rc)
				return rc;
		}
		return buf_addc(out, ']');
	}
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		struct member *m;
		const char *key;
		json_t *val;
		int rc = 0;

		struct member small[16];

		if (depth >= AUDIT_JSON_DEPTH)
			return err_set(err, -EINVAL, "nested deeper than %d", AUDIT_JSON_DEPTH);
		m = n <= 16 ? small : XNEW(struct member, n);
		json_object_foreach((json_t *)v, key, val) {
			m[i].key = key;
			m[i].len = strlen(key);
			m[i].value = val;
			if (!utf8_valid(key, m[i].len)) {
				if (m != small)
					free(m);
				return err_set(err, -EINVAL, "a member name is not UTF-8");
			}
			i++;
		}
		qsort(m, n, sizeof(*m), cmp_member);
		buf_addc(out, '{');
		for (i = 0; i < n && !rc; i++) {
			if (i)
				buf_addc(out, ',');
			put_string(out, m[i].key, m[i].len);
			buf_addc(out, ':');
			rc = jcs(m[i].value, out, depth + 1, err);
		}
		if (m != small)
			free(m);
		return rc ? rc : buf_addc(out, '}');
	}
	}
	return err_set(err, -EINVAL, "not a JSON value");
}

int audit_jcs(const json_t *v, struct buf *out, struct vend_err *err)
{
	size_t len0 = out->len;
	int err0 = out->err, rc;

	if (!v)
		return err_set(err, -EINVAL, "no value");
	out->err = 0;
	rc = jcs(v, out, 0, err);
	/* Most appends above go unchecked and rely on the sticky error. */
	if (out->err && (rc == 0 || rc == -E2BIG))
		rc = err_set(err, -E2BIG, "canonical JSON is larger than %zu bytes",
			     out->max ? out->max : BUF_DEFAULT_MAX);
	if (rc) {
		buf_truncate(out, len0);
		out->err = err0;
		return rc;
	}
	out->err = err0;
	return 0;
}

/* ---- the entry schema ------------------------------------------------------- */

enum kind { K_TIME, K_NAME, K_STRING, K_ID, K_OPT_STRING, K_OBJECT };

static const struct {
	const char *name;
	enum kind kind;
} fields[] = {
	{ "time", K_TIME },	    { "actor", K_NAME },	{ "action", K_NAME },
	{ "target", K_STRING },	    { "result", K_NAME },	{ "run_id", K_ID },
	{ "trace_id", K_OPT_STRING }, { "request_id", K_OPT_STRING }, { "details", K_OBJECT },
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static int check_entry(const json_t *e, struct vend_err *err)
{
	const char *key;
	json_t *val;

	if (!json_is_object(e))
		return err_set(err, -EINVAL, "an audit entry is a JSON object");
	json_object_foreach((json_t *)e, key, val) {
		size_t i;
		for (i = 0; i < NFIELDS; i++)
			if (!strcmp(key, fields[i].name))
				break;
		if (i == NFIELDS)
			return err_field(err, key, "is not a member of an audit entry");
	}
	for (size_t i = 0; i < NFIELDS; i++) {
		const char *f = fields[i].name;
		json_t *v = json_object_get(e, f);
		if (!v)
			return err_field(err, f, "is required");
		switch (fields[i].kind) {
		case K_TIME: {
			int64_t ms;
			char canon[40];
			const char *s = json_string_value(v);
			if (!s || time_parse(s, &ms) != 0)
				return err_field(err, f, "must be an RFC 3339 time");
			time_format(ms, canon, sizeof(canon));
			if (strcmp(s, canon) != 0)
				return err_field(err, f, "must be UTC with milliseconds, as \"%s\"",
						 canon);
			break;
		}
		case K_NAME:
			if (!json_is_string(v) || json_string_length(v) == 0)
				return err_field(err, f, "must be a non-empty string");
			break;
		case K_STRING:
			if (!json_is_string(v))
				return err_field(err, f, "must be a string");
			break;
		case K_ID:
			if (!json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) < 0))
				return err_field(err, f, "must be a non-negative integer or null");
			break;
		case K_OPT_STRING:
			if (!json_is_null(v) && !json_is_string(v))
				return err_field(err, f, "must be a string or null");
			break;
		case K_OBJECT:
			if (!json_is_object(v))
				return err_field(err, f, "must be an object");
			break;
		}
	}
	return 0;
}

int audit_entry_encode(const json_t *entry, struct buf *out, struct vend_err *err)
{
	size_t len0 = out->len;
	int rc;

	rc = check_entry(entry, err);
	if (rc)
		return rc;
	/* Straight into out (no copy); past the entry limit, take it back. */
	rc = audit_jcs(entry, out, err);
	if (!rc && out->len - len0 > AUDIT_ENTRY_MAX) {
		buf_truncate(out, len0);
		rc = err_set(err, -E2BIG, "an entry is larger than %zu bytes", AUDIT_ENTRY_MAX);
	}
	return rc;
}

int audit_entry_decode(const void *data, size_t len, json_t **out, struct vend_err *err)
{
	json_error_t jerr;
	struct buf canon;
	json_t *e;
	int rc;

	if (!data || !out)
		return err_set(err, -EINVAL, "no entry");
	if (len > AUDIT_ENTRY_MAX)
		return err_set(err, -E2BIG, "an entry is larger than %zu bytes", AUDIT_ENTRY_MAX);
	e = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!e)
		return err_set(err, -EINVAL, "not JSON: %s", jerr.text);
	buf_init(&canon, AUDIT_ENTRY_MAX);
	rc = audit_entry_encode(e, &canon, err);
	if (!rc && (canon.len != len || memcmp(canon.data, data, len) != 0))
		rc = err_set(err, -EINVAL, "not in canonical form");
	buf_release(&canon);
	if (rc) {
		json_decref(e);
		return rc;
	}
	*out = e;
	return 0;
}
