/*
 * Fuzz target: the canary judge (verify/judge.c, verify/stats.c). Bytes
 * become up to 8 metrics (samples with NaN, infinities, huge, tiny and
 * tied values; error counts up to 2^64; unavailable metrics with any
 * reason) and their options, in and out of range. On every input:
 *
 *  - every verdict is pass, fail or inconclusive, with a rule and an
 *    explanation; the JSON is an object that serialises and parses back
 *    to itself, its numbers finite, its verdicts those of the results;
 *  - no data never passes a critical metric: a critical metric that is
 *    inconclusive makes the verdict at best inconclusive, and a bad value
 *    that is not dropped makes its metric inconclusive;
 *  - the numbers hold together: p-values in [0, 1], lower <= estimate <=
 *    upper, U in [0, m n].
 * Cost is bounded by the input: at most 4096 generated values a side
 * (and STATS_MAX_N + 1, refused before any work).
 *
 * Layout: byte 0 flags, bytes 1-4 option selectors, then per metric a kind
 * byte and its fields (see next_metric).
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "verify/judge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t u64(struct in *in)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | u8(in);
	return v;
}

static double raw_double(struct in *in)
{
	uint64_t b = u64(in);
	double d;
	memcpy(&d, &b, sizeof(d));
	return d;
}

/* Option values, valid and not. */
static const double alphas[] = { 0.05, 0.01, 0.5, 1e-6, 0, 1e-7, 0.51, NAN, -0.05, 0.2 };
static const double tolerances[] = { 0.10, 0, 0.25, 1, 100, 100.5, -0.1, NAN, INFINITY, 1e-300 };
static const double abs_tolerances[] = { 0, 5, 1e-9, 1e300, 2e300, -1, NAN, INFINITY };
static const size_t min_samples[] = { 10, 2, 1, 0, 3, 50, STATS_MAX_N, STATS_MAX_N + 1 };
static const double deltas[] = { 0.01, 0, 0.005, 1, 1.5, -0.01, NAN, 0.2 };
static const char *const units[] = { NULL, "ms", "", "s", "req/s",
				     "\xc2\xb5s", "bad\x01unit", "\xff\xfe" };

#define PICK(table, byte) ((table)[(byte) % (sizeof(table) / sizeof((table)[0]))])

/* One value: special ones, small integers (ties), or any 8 bytes. */
static double value(struct in *in)
{
	static const double special[] = { NAN, INFINITY, -INFINITY, 1e300, -1e300,
					  1.0000001e300, DBL_MAX, -DBL_MAX, DBL_MIN,
					  4.9e-324, 0.0, -0.0, 1e-300, 1e299, -1e299, 45.5 };
	uint8_t s = u8(in);

	if (s < 16)
		return special[s];
	if (s < 200)
		return (double)(s - 16) / 4; /* 0 to 45.75, many ties */
	return raw_double(in);
}

/* Fills v[0..n): from the input while it lasts, or (gen) from a
 * generator seeded by the input, a long-tailed latency with ties. */
static void fill(struct in *in, double *v, size_t n, bool gen, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (size_t i = 0; i < n; i++) {
		if (!gen) {
			v[i] = value(in);
			continue;
		}
		x ^= x << 13; /* xorshift64 */
		x ^= x >> 7;
		x ^= x << 17;
		v[i] = floor(20 * exp((double)(x >> 11) * 0x1.0p-53 * 3)) +
		       (x % 97 == 0 ? 1e6 : 0);
	}
}

static bool json_finite(const json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	switch (json_typeof(j)) {
	case JSON_REAL: return isfinite(json_real_value(j));
	case JSON_OBJECT:
		json_object_foreach((json_t *)j, key, v)
			if (!json_finite(v))
				return false;
		return true;
	case JSON_ARRAY:
		json_array_foreach(j, i, v)
			if (!json_finite(v))
				return false;
		return true;
	default: return true;
	}
}

static bool p_ok(double p)
{
	return p >= 0 && p <= 1;
}

static void check_result(const struct judge_metric_result *r, bool had_bad_value, bool drop)
{
	if (r->outcome != JUDGE_PASS && r->outcome != JUDGE_FAIL &&
	    r->outcome != JUDGE_INCONCLUSIVE)
		__builtin_trap();
	if (!r->explanation[0] || strcmp(judge_rule_name(r->rule), "unknown") == 0)
		__builtin_trap();
	if (r->kind == JUDGE_KIND_UNAVAILABLE && r->outcome != JUDGE_INCONCLUSIVE)
		__builtin_trap();
	if (r->kind == JUDGE_KIND_SAMPLES) {
		if (had_bad_value && !drop && r->outcome != JUDGE_INCONCLUSIVE)
			__builtin_trap();
		if (r->analysed) {
			double mn = (double)r->mw.m * (double)r->mw.n;
			if (!p_ok(r->mw.p_two_sided) || !p_ok(r->mw.p_greater) ||
			    !p_ok(r->mw.p_less) || !p_ok(r->p_worse))
				__builtin_trap();
			if (!(r->mw.u >= 0 && r->mw.u <= mn))
				__builtin_trap();
			if (!(r->hl.lower <= r->hl.estimate && r->hl.estimate <= r->hl.upper))
				__builtin_trap();
			if (!isfinite(r->hl.lower) || !isfinite(r->hl.upper))
				__builtin_trap();
		} else if (r->outcome != JUDGE_INCONCLUSIVE) {
			__builtin_trap();
		}
	}
	if (r->kind == JUDGE_KIND_ERRORS && r->test && (!p_ok(r->p) || !p_ok(r->p_greater)))
		__builtin_trap();
}

/* Reads and adds one metric; false when the input is used up. */
static bool next_metric(struct judge *j, struct in *in, int idx, const struct judge_metric_opts *mo,
			const struct judge_errors_opts *eo)
{
	char name[80];
	uint8_t kind;
	struct vend_err err = VEND_ERR_INIT;
	size_t before = judge_count(j);

	if (!in->n)
		return false;
	kind = u8(in);
	if (kind & 0x80) { /* a name from the input: any bytes, any length */
		size_t len = u8(in) % 72;
		len = len < in->n ? len : in->n;
		memcpy(name, in->p, len);
		name[len] = '\0';
		in->p += len;
		in->n -= len;
	} else {
		snprintf(name, sizeof(name), "m%d", idx % 4); /* duplicates too */
	}
	switch (kind % 3) {
	case 0: {
		uint8_t sz = u8(in);
		bool gen = sz & 0x80;
		size_t nb, nc, bad = 0;
		double *b, *c;
		if (gen) {
			nb = (size_t)(sz & 0x3f) << 6;
			nc = (size_t)u8(in) << 4;
			if (sz & 0x40)
				nb = STATS_MAX_N + 1; /* refused without work */
		} else {
			nb = sz % 64;
			nc = u8(in) % 64;
		}
		b = malloc((nb ? nb : 1) * sizeof(double));
		c = malloc((nc ? nc : 1) * sizeof(double));
		if (nb <= 4096)
			fill(in, b, nb, gen, u64(in));
		else
			for (size_t i = 0; i < nb; i++)
				b[i] = (double)(i % 7);
		fill(in, c, nc, gen, u64(in));
		for (size_t i = 0; i < nb && nb <= STATS_MAX_N; i++)
			bad += !isfinite(b[i]) || fabs(b[i]) > STATS_MAX_ABS;
		for (size_t i = 0; i < nc; i++)
			bad += !isfinite(c[i]) || fabs(c[i]) > STATS_MAX_ABS;
		if (judge_add_metric(j, name, b, nb, c, nc, mo, &err) == 0)
			check_result(judge_result(j, before), bad > 0, mo->drop_nonfinite);
		free(b);
		free(c);
		break;
	}
	case 1: {
		uint8_t small = u8(in);
		uint64_t v[4];
		for (int i = 0; i < 4; i++)
			v[i] = small & (1 << i) ? u64(in) : u8(in);
		if (judge_add_errors(j, name, v[0], v[1], v[2], v[3], eo, &err) == 0)
			check_result(judge_result(j, before), false, false);
		break;
	}
	default: {
		size_t len = u8(in);
		char reason[256];
		len = len < in->n ? len : in->n;
		memcpy(reason, in->p, len);
		reason[len] = '\0';
		in->p += len;
		in->n -= len;
		if (judge_add_unavailable(j, name, kind & 0x40, reason, &err) == 0)
			check_result(judge_result(j, before), false, false);
		break;
	}
	}
	/* a refused metric leaves nothing behind */
	if (judge_count(j) != before && judge_count(j) != before + 1)
		__builtin_trap();
	err_free(&err);
	return true;
}

static void check_verdict(const struct judge *j, const struct judge_verdict *v, json_t *js)
{
	size_t crit_inconclusive = 0, crit_failed = 0, decided = 0;
	json_t *metrics, *back;
	char *text;

	if (v->outcome != JUDGE_PASS && v->outcome != JUDGE_FAIL &&
	    v->outcome != JUDGE_INCONCLUSIVE)
		__builtin_trap();
	for (size_t i = 0; i < judge_count(j); i++) {
		const struct judge_metric_result *r = judge_result(j, i);
		crit_inconclusive += r->critical && r->outcome == JUDGE_INCONCLUSIVE;
		crit_failed += r->critical && r->outcome == JUDGE_FAIL;
		decided += r->outcome != JUDGE_INCONCLUSIVE;
	}
	if ((crit_failed > 0) != (v->outcome == JUDGE_FAIL))
		__builtin_trap();
	if (v->outcome == JUDGE_PASS && (crit_inconclusive || !decided))
		__builtin_trap();
	/* the JSON: valid, finite, round-trips, says the same */
	if (!json_is_object(js) || !json_finite(js))
		__builtin_trap();
	if (strcmp(json_string_value(json_object_get(js, "verdict")) ?: "",
		   judge_outcome_name(v->outcome)) != 0 ||
	    !json_is_string(json_object_get(js, "explanation")))
		__builtin_trap();
	metrics = json_object_get(js, "metrics");
	if (json_array_size(metrics) != judge_count(j))
		__builtin_trap();
	for (size_t i = 0; i < judge_count(j); i++) {
		json_t *m = json_array_get(metrics, i);
		const struct judge_metric_result *r = judge_result(j, i);
		if (strcmp(json_string_value(json_object_get(m, "verdict")) ?: "",
			   judge_outcome_name(r->outcome)) != 0 ||
		    strcmp(json_string_value(json_object_get(m, "name")) ?: "", r->name) != 0 ||
		    !json_is_string(json_object_get(m, "explanation")) ||
		    !json_is_string(json_object_get(m, "rule")))
			__builtin_trap();
	}
	text = json_dumps(js, JSON_COMPACT);
	if (!text)
		__builtin_trap();
	back = json_loads(text, 0, NULL);
	if (!back || !json_equal(back, js))
		__builtin_trap();
	json_decref(back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct judge_metric_opts mo = JUDGE_METRIC_OPTS_INIT;
	struct judge_errors_opts eo = JUDGE_ERRORS_OPTS_INIT;
	struct judge *j = judge_new();
	struct judge_verdict v;
	json_t *js = NULL;
	uint8_t f = u8(&in), o1 = u8(&in), o2 = u8(&in), o3 = u8(&in), o4 = u8(&in);

	mo.direction = f & 1 ? JUDGE_DECREASE : JUDGE_INCREASE;
	if (f & 0x80)
		mo.direction = (enum judge_direction)7; /* refused */
	mo.critical = !(f & 2);
	mo.drop_nonfinite = f & 4;
	eo.require_significance = !(f & 8);
	eo.critical = !(f & 16);
	mo.alpha = PICK(alphas, o1);
	eo.alpha = PICK(alphas, o1 >> 4);
	mo.tolerance = PICK(tolerances, o2);
	mo.abs_tolerance = PICK(abs_tolerances, o2 >> 4);
	mo.min_samples = PICK(min_samples, o3);
	eo.min_requests = o3 >> 3; /* 0 is refused */
	eo.max_failure_delta = PICK(deltas, o4);
	mo.unit = PICK(units, o4 >> 3);

	for (int i = 0; i < 8 && next_metric(j, &in, i, &mo, &eo); i++)
		;
	if (judge_run(j, &v, &js) != 0)
		__builtin_trap();
	check_verdict(j, &v, js);
	json_decref(js);
	/* run again: the same verdict */
	{
		struct judge_verdict v2;
		if (judge_run(j, &v2, NULL) != 0 || v2.outcome != v.outcome || v2.rule != v.rule)
			__builtin_trap();
	}
	judge_free(j);
	return 0;
}
