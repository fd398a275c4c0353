/*
 * The CEL standard library (CEL spec: List of Standard Definitions): size,
 * the type conversions int, uint, double, string, bytes, bool, type and dyn,
 * and the string predicates contains, startsWith, endsWith. Also the one
 * table lookup that finds a function by name across the standard library
 * and the extensions (cel_strings.c, cel_math.c, cel_time.c). Overloads are
 * chosen at run time from the kinds of the arguments.
 */
#include <math.h>

#include "cel/cel_int.h"
#include "util/buf.h"

#define NO(ev, n) cel__no_overload(ev, n)

static struct cel_value f_size(struct cel__ev *ev, const struct cel__node *n,
			       struct cel_value *a, int argc)
{
	switch (a[0].kind) {
	case CEL_STRING:
		if (!cel__charge(ev, n, a[0].s->len / 64))
			return cel__err(ev, n, "limit");
		return cel__v_int((int64_t)cel__utf8_count(a[0].s->data, a[0].s->len));
	case CEL_BYTES: return cel__v_int((int64_t)a[0].s->len);
	case CEL_LIST: return cel__v_int((int64_t)a[0].l->len);
	case CEL_MAP: return cel__v_int((int64_t)a[0].m->len);
	default: return NO(ev, n);
	}
}

/* Go's strconv rules, which cel-go follows: optional sign, decimal digits,
 * nothing else. */
static bool parse_i64(const char *s, size_t n, int64_t *out)
{
	char *end;
	if (!n || n != strlen(s) || s[0] == ' ' || s[0] == '\t' || s[0] == '\n')
		return false;
	if (!(s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9')))
		return false;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return false;
	*out = v;
	return true;
}

static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
	char *end;
	if (!n || n != strlen(s) || !(s[0] == '+' || (s[0] >= '0' && s[0] <= '9')))
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || end == s)
		return false;
	*out = v;
	return true;
}

static struct cel_value range_err(struct cel__ev *ev, const struct cel__node *n)
{
	return cel__err(ev, n, "range error: value out of range for %.*s",
			(int)n->call.nlen, n->call.name);
}

static struct cel_value f_int(struct cel__ev *ev, const struct cel__node *n,
			      struct cel_value *a, int argc)
{
	struct cel_value x = a[0];
	int64_t i;

	switch (x.kind) {
	case CEL_INT: return x;
	case CEL_UINT:
		if (x.u > INT64_MAX)
			return range_err(ev, n);
		return cel__v_int((int64_t)x.u);
	case CEL_DOUBLE:
		/* CEL spec: conversions that exceed the range are errors. */
		if (!(x.d > -9223372036854775808.0 && x.d < 9223372036854775808.0))
			return range_err(ev, n);
		return cel__v_int((int64_t)x.d);
	case CEL_STRING:
		if (!parse_i64(x.s->data, x.s->len, &i))
			return cel__err(ev, n, "cannot convert string '%.40s' to int", x.s->data);
		return cel__v_int(i);
	case CEL_TIMESTAMP:
		return cel__v_int(x.i);
	default:
		return NO(ev, n);
	}
}

static struct cel_value f_uint(struct cel__ev *ev, const struct cel__node *n,
			       struct cel_value *a, int argc)
{
	struct cel_value x = a[0];
	uint64_t u;

	switch (x.kind) {
	case CEL_UINT: return x;
	case CEL_INT:
		if (x.i < 0)
			return range_err(ev, n);
		return cel__v_uint((uint64_t)x.i);
	case CEL_DOUBLE:
		if (!(x.d > -1.0 && x.d < 18446744073709551616.0))
			return range_err(ev, n);
		return cel__v_uint((uint64_t)x.d);
	case CEL_STRING:
		if (!parse_u64(x.s->data, x.s->len, &u))
			return cel__err(ev, n, "cannot convert string '%.40s' to uint", x.s->data);
		return cel__v_uint(u);
	default:
		return NO(ev, n);
	}
}

static struct cel_value f_double(struct cel__ev *ev, const struct cel__node *n,
				 struct cel_value *a, int argc)
{
	struct cel_value x = a[0];
	char *end;
	double d;

	switch (x.kind) {
	case CEL_DOUBLE: return x;
	case CEL_INT: return cel__v_double((double)x.i);
	case CEL_UINT: return cel__v_double((double)x.u);
	case CEL_STRING:
		if (!x.s->len || x.s->len != strlen(x.s->data) ||
		    x.s->data[0] == ' ' || x.s->data[0] == '\t' || x.s->data[0] == '\n')
			goto bad;
		d = strtod(x.s->data, &end);
		if (*end)
			goto bad;
		return cel__v_double(d);
	default:
		return NO(ev, n);
	}
bad:
	return cel__err(ev, n, "cannot convert string '%.40s' to double", x.s->data);
}

static struct cel_value f_string(struct cel__ev *ev, const struct cel__node *n,
				 struct cel_value *a, int argc)
{
	struct cel_value x = a[0];
	char tmp[64];
	struct buf b;
	struct cel_value r;

	switch (x.kind) {
	case CEL_STRING: return x;
	case CEL_BYTES:
		if (!cel__utf8_valid(x.s->data, x.s->len))
			return cel__err(ev, n, "invalid UTF-8 in bytes converted to string");
		return cel__mk_string(ev, n, x.s->data, x.s->len, false);
	case CEL_BOOL:
		return cel__mk_string(ev, n, x.b ? "true" : "false", x.b ? 4 : 5, false);
	case CEL_INT:
		snprintf(tmp, sizeof(tmp), "%" PRId64, x.i);
		return cel__mk_string(ev, n, tmp, strlen(tmp), false);
	case CEL_UINT:
		snprintf(tmp, sizeof(tmp), "%" PRIu64, x.u);
		return cel__mk_string(ev, n, tmp, strlen(tmp), false);
	case CEL_DOUBLE:
	case CEL_TIMESTAMP:
	case CEL_DURATION:
		buf_init(&b, 0);
		if (x.kind == CEL_DOUBLE)
			cel__format_double(x.d, &b);
		else if (x.kind == CEL_TIMESTAMP)
			cel__format_timestamp(x.i, x.nsec, &b);
		else
			cel__format_duration(x.i, x.nsec, &b);
		r = cel__mk_string(ev, n, b.data, b.len, false);
		buf_release(&b);
		return r;
	case CEL_TYPE:
		return cel__mk_string(ev, n, cel__type_names[x.t],
				      strlen(cel__type_names[x.t]), false);
	default:
		return NO(ev, n);
	}
}

static struct cel_value f_bytes(struct cel__ev *ev, const struct cel__node *n,
				struct cel_value *a, int argc)
{
	if (a[0].kind == CEL_BYTES)
		return a[0];
	if (a[0].kind == CEL_STRING)
		return cel__mk_string(ev, n, a[0].s->data, a[0].s->len, true);
	return NO(ev, n);
}

static struct cel_value f_bool(struct cel__ev *ev, const struct cel__node *n,
			       struct cel_value *a, int argc)
{
	static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

	if (a[0].kind == CEL_BOOL)
		return a[0];
	if (a[0].kind != CEL_STRING)
		return NO(ev, n);
	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
		if (!strcmp(a[0].s->data, yes[i]))
			return cel__v_bool(true);
		if (!strcmp(a[0].s->data, no[i]))
			return cel__v_bool(false);
	}
	return cel__err(ev, n, "cannot convert string '%.40s' to bool", a[0].s->data);
}

static struct cel_value f_type(struct cel__ev *ev, const struct cel__node *n,
			       struct cel_value *a, int argc)
{
	return cel__v_type(cel__type_of(&a[0]));
}

static struct cel_value f_dyn(struct cel__ev *ev, const struct cel__node *n,
			      struct cel_value *a, int argc)
{
	return a[0];
}

static struct cel_value f_strpred(struct cel__ev *ev, const struct cel__node *n,
				  struct cel_value *a, int argc)
{
	const struct cel__str *s, *t;
	char c = n->call.name[0];

	if (a[0].kind != CEL_STRING || a[1].kind != CEL_STRING)
		return NO(ev, n);
	s = a[0].s;
	t = a[1].s;
	if (t->len > s->len)
		return cel__v_bool(false);
	if (c == 's')
		return cel__v_bool(!memcmp(s->data, t->data, t->len));
	if (c == 'e')
		return cel__v_bool(!memcmp(s->data + s->len - t->len, t->data, t->len));
	if (!cel__charge(ev, n, s->len / 64))
		return cel__v_bool(false);
	return cel__v_bool(t->len == 0 || memmem(s->data, s->len, t->data, t->len) != NULL);
}

const struct cel__func cel__std_funcs[] = {
	{ "size", CEL__GLOBAL | CEL__RECV, 1, 1, f_size },
	{ "int", CEL__GLOBAL, 1, 1, f_int },
	{ "uint", CEL__GLOBAL, 1, 1, f_uint },
	{ "double", CEL__GLOBAL, 1, 1, f_double },
	{ "string", CEL__GLOBAL, 1, 1, f_string },
	{ "bytes", CEL__GLOBAL, 1, 1, f_bytes },
	{ "bool", CEL__GLOBAL, 1, 1, f_bool },
	{ "type", CEL__GLOBAL, 1, 1, f_type },
	{ "dyn", CEL__GLOBAL, 1, 1, f_dyn },
	{ "contains", CEL__RECV, 2, 2, f_strpred },
	{ "startsWith", CEL__RECV, 2, 2, f_strpred },
	{ "endsWith", CEL__RECV, 2, 2, f_strpred },
	{ "matches", CEL__GLOBAL | CEL__RECV, 2, 2, cel__call_matches },
	{ NULL, 0, 0, 0, NULL },
};

const struct cel__func *cel__func_lookup(const char *name, size_t len,
					 bool recv, int argc)
{
	static const struct cel__func *const tables[] = {
		cel__std_funcs, cel__str_funcs, cel__math_funcs, cel__time_funcs,
	};

	for (size_t t = 0; t < sizeof(tables) / sizeof(*tables); t++) {
		for (const struct cel__func *f = tables[t]; f->name; f++) {
			if (strlen(f->name) != len || memcmp(f->name, name, len))
				continue;
			if (!(f->style & (recv ? CEL__RECV : CEL__GLOBAL)))
				continue;
			if (argc < 0 || (argc >= f->min && argc <= f->max))
				return f;
		}
	}
	return NULL;
}
