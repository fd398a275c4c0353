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
			if (!s || strlen(s) != json_string_length(v) || time_parse(s, &ms) != 0)
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

/* A member's string value: UTF-8 checked, escaped as put_string does. */
static int put_member_string(struct buf *out, const char *name, const char *s,
			     struct vend_err *err)
{
	size_t len = strlen(s);

	if (!utf8_valid(s, len))
		return err_field(err, name, "is not UTF-8");
	return put_string(out, s, len);
}

static int put_member_name(struct buf *out, const char *name, const char *s,
			   struct vend_err *err)
{
	if (!s || !*s)
		return err_field(err, name, "must be a non-empty string");
	return put_member_string(out, name, s, err);
}

int audit_entry_write(const struct audit_fields *f, const json_t *details, struct buf *out,
		      struct vend_err *err)
{
	size_t len0 = out->len;
	int err0 = out->err, rc;
	char at[40];

	if (!json_is_object(details))
		return err_field(err, "details", "must be an object");
	time_format(f->time_ms, at, sizeof(at));
	out->err = 0;
	/* The members in the order JCS sorts their names. */
	buf_adds(out, "{\"action\":");
	rc = put_member_name(out, "action", f->action, err);
	if (!rc) {
		buf_adds(out, ",\"actor\":");
		rc = put_member_name(out, "actor", f->actor, err);
	}
	if (!rc) {
		buf_adds(out, ",\"details\":");
		rc = jcs(details, out, 1, err);
	}
	if (!rc) {
		buf_adds(out, ",\"request_id\":");
		rc = f->request_id ? put_member_string(out, "request_id", f->request_id, err)
				   : buf_adds(out, "null");
	}
	if (!rc) {
		buf_adds(out, ",\"result\":");
		rc = put_member_name(out, "result", f->result, err);
	}
	if (!rc) {
		if (f->run_id > AUDIT_JSON_INT_MAX)
			rc = err_field(err, "run_id", "is outside 2^53-1");
		else if (f->run_id >= 0)
			buf_printf(out, ",\"run_id\":%" PRId64, f->run_id);
		else
			buf_adds(out, ",\"run_id\":null");
	}
	if (!rc) {
		buf_adds(out, ",\"target\":");
		rc = put_member_string(out, "target", f->target ? f->target : "", err);
	}
	if (!rc) {
		buf_printf(out, ",\"time\":\"%s\",\"trace_id\":", at);
		rc = f->trace_id ? put_member_string(out, "trace_id", f->trace_id, err)
				 : buf_adds(out, "null");
	}
	if (!rc)
		buf_addc(out, '}');
	if (out->err && (rc == 0 || rc == -E2BIG))
		rc = err_set(err, -E2BIG, "an entry is larger than %zu bytes",
			     out->max ? out->max : BUF_DEFAULT_MAX);
	if (!rc && out->len - len0 > AUDIT_ENTRY_MAX)
		rc = err_set(err, -E2BIG, "an entry is larger than %zu bytes", AUDIT_ENTRY_MAX);
	if (rc)
		buf_truncate(out, len0);
	out->err = err0;
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

/* ---- checking canonical bytes without building them --------------------------- */

/*
 * A validating scanner for the canonical form: it accepts exactly the bytes
 * audit_entry_encode writes (fuzz_audit_entry holds it to that against
 * audit_entry_decode) without allocating, so verifying an export does not
 * pay for a JSON tree per entry.
 */
struct scan {
	const unsigned char *p, *end, *start;
	struct vend_err *err;
};

static int bad(struct scan *s, const char *what)
{
	return err_set(s->err, -EINVAL, "not in canonical form at byte %zu: %s",
		       (size_t)(s->p - s->start), what);
}

/* The next code point of an encoded string at *p (inside the quotes,
 * already validated, not at the closing quote), as next_unit_key's sort
 * key. */
static uint32_t enc_next(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *q = *p;
	uint32_t c;

	if (*q != '\\')
		return next_unit_key(p, end);
	switch (q[1]) {
	case 'b': c = 8; break;
	case 't': c = 9; break;
	case 'n': c = 10; break;
	case 'f': c = 12; break;
	case 'r': c = 13; break;
	case 'u':
		c = (uint32_t)((q[4] <= '9' ? q[4] - '0' : q[4] - 'a' + 10) << 4 |
			       (q[5] <= '9' ? q[5] - '0' : q[5] - 'a' + 10));
		*p += 6;
		return c << 16;
	default: c = q[1]; /* " or \\ */
	}
	*p += 2;
	return c << 16;
}

/* RFC 8785 3.2.3 on two encoded keys a and b: <0, 0, >0. A key that is
 * a prefix of the other sorts first. */
static int enc_cmp(const unsigned char *a, const unsigned char *b, const unsigned char *end)
{
	for (;;) {
		bool ea = a >= end || *a == '"', eb = b >= end || *b == '"';
		uint32_t x, y;
		if (ea || eb)
			return ea && eb ? 0 : ea ? -1 : 1;
		x = enc_next(&a, end);
		y = enc_next(&b, end);
		if (x != y)
			return x < y ? -1 : 1;
	}
}

/*
 * Skips the bytes that stand for themselves in a canonical string (0x20
 * to 0x7f but '"' and '\\'), eight at a time while a word holds only
 * those: the bulk of an entry, and verifying an export checks every one.
 * A word x holds a byte below n (n <= 0x80) exactly when
 * (x - n*0x01..) & ~x & 0x80.. is not zero; a byte equal to c when the
 * same holds for x ^ c*0x01.. and n = 1; a byte from 0x80 up when
 * x & 0x80.. is not zero.
 */
static const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;

	while (end - p >= 8) {
		uint64_t x, q, b;
		memcpy(&x, p, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		if ((((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x) & highs)
			break;
		p += 8;
	}
	while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
		p++;
	return p;
}

/* A canonical string at s->p (the opening quote); its content is
 * [*from, *to). A key must not hold U+0000 (no JSON library of ours can). */
static int scan_string(struct scan *s, bool key, const unsigned char **from,
		       const unsigned char **to)
{
	static const char short_esc[] = "\"\\btnfr";

	if (s->p >= s->end || *s->p != '"')
		return bad(s, "a string was expected");
	s->p++;
	*from = s->p;
	while (s->p < s->end && *s->p != '"') {
		unsigned char c;
		s->p = skip_plain(s->p, s->end);
		if (s->p >= s->end || *s->p == '"')
			break;
		c = *s->p;
		if (c < 0x20)
			return bad(s, "a control character must be escaped");
		if (c == '\\') {
			unsigned char e = s->p + 1 < s->end ? s->p[1] : 0;
			if (e == 'u') {
				/* only \u00xx, lower-case, for what has no short form */
				const unsigned char *h = s->p + 2;
				unsigned v;
				if (s->end - h < 4 || h[0] != '0' || h[1] != '0' ||
				    !((h[2] >= '0' && h[2] <= '1')) ||
				    !((h[3] >= '0' && h[3] <= '9') || (h[3] >= 'a' && h[3] <= 'f')))
					return bad(s, "\\u is only for U+0000..U+001F, in lower case");
				v = (unsigned)(h[2] - '0') << 4 |
				    (unsigned)(h[3] <= '9' ? h[3] - '0' : h[3] - 'a' + 10);
				if (v == 8 || v == 9 || v == 10 || v == 12 || v == 13)
					return bad(s, "\\b \\t \\n \\f \\r have short escapes");
				if (v == 0 && key)
					return bad(s, "a member name holds U+0000");
				s->p += 6;
			} else if (e && strchr(short_esc, e)) {
				s->p += 2;
			} else {
				return bad(s, "an escape JCS does not write");
			}
			continue;
		}
		{
			size_t l = utf8_seq_len(s->p, (size_t)(s->end - s->p));
			if (!l)
				return bad(s, "not UTF-8");
			s->p += l;
		}
	}
	if (s->p >= s->end)
		return bad(s, "unterminated string");
	*to = s->p;
	s->p++;
	return 0;
}

/* A canonical integer; *value gets it. */
static int scan_int(struct scan *s, int64_t *value)
{
	bool neg = false;
	int64_t v = 0;
	size_t digits = 0;

	if (s->p < s->end && *s->p == '-') {
		neg = true;
		s->p++;
	}
	if (s->p >= s->end || *s->p < '0' || *s->p > '9')
		return bad(s, "a value was expected");
	if (*s->p == '0' && (neg || (s->p + 1 < s->end && s->p[1] >= '0' && s->p[1] <= '9')))
		return bad(s, "a number with a leading zero, or -0");
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		if (++digits > 16)
			return bad(s, "an integer outside +-(2^53-1)");
		v = v * 10 + (*s->p++ - '0');
	}
	if (v > AUDIT_JSON_INT_MAX)
		return bad(s, "an integer outside +-(2^53-1)");
	if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E'))
		return bad(s, "a number with a fraction or exponent (only integers)");
	*value = neg ? -v : v;
	return 0;
}

static int scan_value(struct scan *s, int depth);

static int scan_object(struct scan *s, int depth)
{
	const unsigned char *prev = NULL, *from = NULL, *to = NULL;
	int rc;

	if (depth >= AUDIT_JSON_DEPTH)
		return bad(s, "nested too deep");
	s->p++; /* { */
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		rc = scan_string(s, true, &from, &to);
		if (rc)
			return rc;
		if (prev && enc_cmp(prev, from, to + 1) >= 0)
			return bad(s, "members out of order, or repeated");
		prev = from;
		if (s->p >= s->end || *s->p++ != ':')
			return bad(s, "':' was expected");
		rc = scan_value(s, depth + 1);
		if (rc)
			return rc;
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return 0;
		}
		return bad(s, "',' or '}' was expected");
	}
}

static int scan_value(struct scan *s, int depth)
{
	const unsigned char *from, *to;
	int64_t i;
	int rc;

	if (s->p >= s->end)
		return bad(s, "a value was expected");
	switch (*s->p) {
	case '{':
		return scan_object(s, depth);
	case '[':
		if (depth >= AUDIT_JSON_DEPTH)
			return bad(s, "nested too deep");
		s->p++;
		if (s->p < s->end && *s->p == ']') {
			s->p++;
			return 0;
		}
		for (;;) {
			rc = scan_value(s, depth + 1);
			if (rc)
				return rc;
			if (s->p < s->end && *s->p == ',') {
				s->p++;
				continue;
			}
			if (s->p < s->end && *s->p == ']') {
				s->p++;
				return 0;
			}
			return bad(s, "',' or ']' was expected");
		}
	case '"':
		return scan_string(s, false, &from, &to);
	case 't':
	case 'f':
	case 'n': {
		static const char *const lit[] = { "true", "false", "null" };
		for (int k = 0; k < 3; k++) {
			size_t l = strlen(lit[k]);
			if ((size_t)(s->end - s->p) >= l && !memcmp(s->p, lit[k], l)) {
				s->p += l;
				return 0;
			}
		}
		return bad(s, "not a JSON value");
	}
	default:
		return scan_int(s, &i);
	}
}

/* The members of an entry in canonical order, and what each must hold. */
static const struct {
	const char *name;
	enum kind kind;
} sorted_fields[] = {
	{ "action", K_NAME },	 { "actor", K_NAME },	      { "details", K_OBJECT },
	{ "request_id", K_OPT_STRING }, { "result", K_NAME }, { "run_id", K_ID },
	{ "target", K_STRING },	 { "time", K_TIME },	      { "trace_id", K_OPT_STRING },
};

int audit_entry_check(const void *data, size_t len, struct vend_err *err)
{
	struct scan s = { data, (const unsigned char *)data + len, data, err };
	const unsigned char *from, *to;
	int rc;

	if (!data)
		return err_set(err, -EINVAL, "no entry");
	if (len > AUDIT_ENTRY_MAX)
		return err_set(err, -E2BIG, "an entry is larger than %zu bytes", AUDIT_ENTRY_MAX);
	if (len == 0 || *s.p != '{')
		return bad(&s, "an audit entry is a JSON object");
	s.p++;
	for (size_t i = 0; i < NFIELDS; i++) {
		const char *f = sorted_fields[i].name;
		size_t fl = strlen(f);
		const unsigned char *v;
		int64_t n;

		if (i && (s.p >= s.end || *s.p++ != ','))
			return bad(&s, "',' was expected");
		if ((size_t)(s.end - s.p) < fl + 3 || s.p[0] != '"' || memcmp(s.p + 1, f, fl) ||
		    s.p[fl + 1] != '"' || s.p[fl + 2] != ':')
			return err_set(err, -EINVAL, "not in canonical form at byte %zu: \"%s\" "
				       "was expected (the members of an entry, in order)",
				       (size_t)(s.p - s.start), f);
		s.p += fl + 3;
		v = s.p;
		switch (sorted_fields[i].kind) {
		case K_TIME: {
			char t[40], canon[40];
			int64_t ms;
			rc = scan_string(&s, false, &from, &to);
			if (rc)
				return rc;
			if ((size_t)(to - from) >= sizeof(t))
				return err_field(err, f, "must be an RFC 3339 time");
			memcpy(t, from, (size_t)(to - from));
			t[to - from] = '\0';
			if (memchr(from, '\\', (size_t)(to - from)) || time_parse(t, &ms) != 0)
				return err_field(err, f, "must be an RFC 3339 time");
			time_format(ms, canon, sizeof(canon));
			if (strcmp(t, canon) != 0)
				return err_field(err, f, "must be UTC with milliseconds, as \"%s\"",
						 canon);
			break;
		}
		case K_NAME:
		case K_STRING:
			rc = scan_string(&s, false, &from, &to);
			if (rc)
				return rc;
			if (sorted_fields[i].kind == K_NAME && from == to)
				return err_field(err, f, "must be a non-empty string");
			break;
		case K_OPT_STRING:
			if (s.p < s.end && *s.p == 'n')
				rc = scan_value(&s, 1);
			else
				rc = scan_string(&s, false, &from, &to);
			if (rc)
				return rc;
			if (*v == 'n' && (s.p - v != 4 || memcmp(v, "null", 4)))
				return err_field(err, f, "must be a string or null");
			break;
		case K_ID:
			if (s.p < s.end && *s.p == 'n') {
				rc = scan_value(&s, 1);
				if (rc)
					return rc;
				if (s.p - v != 4 || memcmp(v, "null", 4))
					return err_field(err, f, "must be a non-negative integer or null");
			} else {
				if (s.p < s.end && *s.p == '"')
					return err_field(err, f, "must be a non-negative integer or null");
				rc = scan_int(&s, &n);
				if (rc)
					return rc;
				if (n < 0)
					return err_field(err, f, "must be a non-negative integer or null");
			}
			break;
		case K_OBJECT:
			if (s.p >= s.end || *s.p != '{')
				return err_field(err, f, "must be an object");
			rc = scan_object(&s, 1);
			if (rc)
				return rc;
			break;
		}
	}
	if (s.p >= s.end || *s.p != '}')
		return bad(&s, "'}' was expected (no other members)");
	s.p++;
	if (s.p != s.end)
		return bad(&s, "bytes after the entry");
	return 0;
}
