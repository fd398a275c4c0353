/*
 * The CEL math extension (cel-go ext/math): math.greatest and math.least
 * over mixed numeric arguments or a list, rounding (ceil, floor, round,
 * trunc), abs, sign, isNaN/isInf/isFinite, and bit operations on int and
 * uint.
 */
#include <math.h>

#include "cel/cel_int.h"

#define NO(ev, n) cel__no_overload(ev, n)

static struct cel_value f_extreme(struct cel__ev *ev, const struct cel__node *n,
				  struct cel_value *a, int argc)
{
	bool greatest = n->call.name[5] == 'g';
	const struct cel_value *v = a;
	size_t cnt = (size_t)argc;
	const struct cel_value *best;

	if (argc == 1 && a[0].kind == CEL_LIST) {
		v = a[0].l->v;
		cnt = a[0].l->len;
		if (!cnt)
			return cel__err(ev, n, "%.*s(list) argument must not be empty",
					(int)n->call.nlen, n->call.name);
	}
	best = &v[0];
	if (!cel__is_numeric(best))
		return NO(ev, n);
	for (size_t i = 1; i < cnt; i++) {
		if (!cel__is_numeric(&v[i]))
			return NO(ev, n);
		int c = cel__compare(&v[i], best);
		if (c == 2) {
			/* NaN wins, as in cel-go */
			if (v[i].kind == CEL_DOUBLE && v[i].d != v[i].d)
				best = &v[i];
			continue;
		}
		if (greatest ? c > 0 : c < 0)
			best = &v[i];
	}
	return *best;
}

static struct cel_value f_round(struct cel__ev *ev, const struct cel__node *n,
				struct cel_value *a, int argc)
{
	const char *f = n->call.name + 5;
	double d;

	if (a[0].kind != CEL_DOUBLE)
		return NO(ev, n);
	d = a[0].d;
	if (!strcmp(f, "ceil"))
		return cel__v_double(ceil(d));
	if (!strcmp(f, "floor"))
		return cel__v_double(floor(d));
	if (!strcmp(f, "round"))
		return cel__v_double(round(d)); /* half away from zero */
	return cel__v_double(trunc(d));
}

static struct cel_value f_abs(struct cel__ev *ev, const struct cel__node *n,
			      struct cel_value *a, int argc)
{
	switch (a[0].kind) {
	case CEL_INT:
		if (a[0].i == INT64_MIN)
			return cel__err(ev, n, "integer overflow");
		return cel__v_int(a[0].i < 0 ? -a[0].i : a[0].i);
	case CEL_UINT: return a[0];
	case CEL_DOUBLE: return cel__v_double(fabs(a[0].d));
	default: return NO(ev, n);
	}
}

static struct cel_value f_sign(struct cel__ev *ev, const struct cel__node *n,
			       struct cel_value *a, int argc)
{
	switch (a[0].kind) {
	case CEL_INT: return cel__v_int((a[0].i > 0) - (a[0].i < 0));
	case CEL_UINT: return cel__v_uint(a[0].u > 0);
	case CEL_DOUBLE:
		if (a[0].d != a[0].d)
			return a[0];
		return cel__v_double((a[0].d > 0) - (a[0].d < 0));
	default: return NO(ev, n);
	}
}

static struct cel_value f_class(struct cel__ev *ev, const struct cel__node *n,
				struct cel_value *a, int argc)
{
	const char *f = n->call.name + 5;
	double d;

	if (a[0].kind != CEL_DOUBLE)
		return NO(ev, n);
	d = a[0].d;
	if (!strcmp(f, "isNaN"))
		return cel__v_bool(d != d);
	if (!strcmp(f, "isInf"))
		return cel__v_bool(isinf(d));
	return cel__v_bool(isfinite(d));
}

static struct cel_value f_bits(struct cel__ev *ev, const struct cel__node *n,
			       struct cel_value *a, int argc)
{
	const char *f = n->call.name + 8; /* after "math.bit" */

	if (!strcmp(f, "Not")) {
		if (a[0].kind == CEL_INT)
			return cel__v_int(~a[0].i);
		if (a[0].kind == CEL_UINT)
			return cel__v_uint(~a[0].u);
		return NO(ev, n);
	}
	if (!strncmp(f, "Shift", 5)) {
		bool left = f[5] == 'L';
		if (a[1].kind != CEL_INT || (a[0].kind != CEL_INT && a[0].kind != CEL_UINT))
			return NO(ev, n);
		if (a[1].i < 0)
			return cel__err(ev, n, "math.bitShift%s() negative offset: %" PRId64,
					left ? "Left" : "Right", a[1].i);
		uint64_t x = a[0].kind == CEL_INT ? (uint64_t)a[0].i : a[0].u;
		uint64_t r = a[1].i >= 64 ? 0 : left ? x << a[1].i : x >> a[1].i;
		return a[0].kind == CEL_INT ? cel__v_int((int64_t)r) : cel__v_uint(r);
	}
	if (a[0].kind != a[1].kind || (a[0].kind != CEL_INT && a[0].kind != CEL_UINT))
		return NO(ev, n);
	uint64_t x = a[0].u, y = a[1].u, r;
	if (f[0] == 'A')
		r = x & y;
	else if (f[0] == 'O')
		r = x | y;
	else
		r = x ^ y;
	return a[0].kind == CEL_INT ? cel__v_int((int64_t)r) : cel__v_uint(r);
}

const struct cel__func cel__math_funcs[] = {
	{ "math.greatest", CEL__GLOBAL, 1, 255, f_extreme },
	{ "math.least", CEL__GLOBAL, 1, 255, f_extreme },
	{ "math.ceil", CEL__GLOBAL, 1, 1, f_round },
	{ "math.floor", CEL__GLOBAL, 1, 1, f_round },
	{ "math.round", CEL__GLOBAL, 1, 1, f_round },
	{ "math.trunc", CEL__GLOBAL, 1, 1, f_round },
	{ "math.abs", CEL__GLOBAL, 1, 1, f_abs },
	{ "math.sign", CEL__GLOBAL, 1, 1, f_sign },
	{ "math.isNaN", CEL__GLOBAL, 1, 1, f_class },
	{ "math.isInf", CEL__GLOBAL, 1, 1, f_class },
	{ "math.isFinite", CEL__GLOBAL, 1, 1, f_class },
	{ "math.bitAnd", CEL__GLOBAL, 2, 2, f_bits },
	{ "math.bitOr", CEL__GLOBAL, 2, 2, f_bits },
	{ "math.bitXor", CEL__GLOBAL, 2, 2, f_bits },
	{ "math.bitNot", CEL__GLOBAL, 1, 1, f_bits },
	{ "math.bitShiftLeft", CEL__GLOBAL, 2, 2, f_bits },
	{ "math.bitShiftRight", CEL__GLOBAL, 2, 2, f_bits },
	{ NULL, 0, 0, 0, NULL },
};
