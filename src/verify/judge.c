/*
 * The canary judge (see judge.h for the rules). Each metric is analysed
 * when it is added, into a fixed-size result; judge_run only combines the
 * results and writes the JSON the engine stores in the run's `analysis`.
 *
 * Kayenta's NetflixACAJudge classifies a metric High when the lower bound
 * of the Mann-Whitney interval exceeds tolerance * |HL estimate|, a margin
 * relative to the estimate itself; so with many samples any tiny shift of
 * a noisy metric fails (kayenta#780). Here the margin is relative to the
 * baseline's median, a fixed, stated amount of the metric, and a metric
 * fails only when the whole interval lies beyond it.
 */
#include <math.h>

#include "verify/judge.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "util/xalloc.h"

struct judge {
	struct judge_metric_result *r;
	size_t n, cap;
};

struct judge *judge_new(void)
{
	return XNEW(struct judge, 1);
}

void judge_free(struct judge *j)
{
	if (!j)
		return;
	free(j->r);
	free(j);
}

size_t judge_count(const struct judge *j)
{
	return j->n;
}

const struct judge_metric_result *judge_result(const struct judge *j, size_t i)
{
	return i < j->n ? &j->r[i] : NULL;
}

const double *judge_drop_first(const double *v, size_t *n, size_t k)
{
	size_t d = k < *n ? k : *n;
	*n -= d;
	return v ? v + d : v;
}

const char *judge_outcome_name(enum judge_outcome o)
{
	switch (o) {
	case JUDGE_PASS: return "pass";
	case JUDGE_FAIL: return "fail";
	case JUDGE_INCONCLUSIVE: return "inconclusive";
	}
	return "inconclusive";
}

const char *judge_rule_name(enum judge_rule r)
{
	switch (r) {
	case JUDGE_RULE_NOT_SIGNIFICANT: return "not_significant";
	case JUDGE_RULE_IMPROVED: return "improved";
	case JUDGE_RULE_WITHIN_TOLERANCE: return "within_tolerance";
	case JUDGE_RULE_BEYOND_TOLERANCE: return "beyond_tolerance";
	case JUDGE_RULE_RATE_WITHIN_DELTA: return "rate_within_delta";
	case JUDGE_RULE_RATE_NOT_SIGNIFICANT: return "rate_not_significant";
	case JUDGE_RULE_RATE_BEYOND_DELTA: return "rate_beyond_delta";
	case JUDGE_RULE_TOO_FEW_SAMPLES: return "too_few_samples";
	case JUDGE_RULE_TOO_MANY_SAMPLES: return "too_many_samples";
	case JUDGE_RULE_MALFORMED: return "malformed_data";
	case JUDGE_RULE_UNAVAILABLE: return "unavailable";
	case JUDGE_RULE_CRITICAL_FAILED: return "critical_metric_failed";
	case JUDGE_RULE_CRITICAL_INCONCLUSIVE: return "critical_metric_inconclusive";
	case JUDGE_RULE_NOTHING_DECIDED: return "nothing_decided";
	case JUDGE_RULE_ALL_CRITICAL_PASSED: return "all_critical_passed";
	}
	return "unknown";
}

/* Names and units are JSON strings and parts of explanation lines. */
static bool printable_utf8(const char *s, size_t len)
{
	if (!utf8_valid(s, len))
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* Claims the next result slot for name (zeroed, named); the caller fills
 * it and counts it in j->n. */
static int new_result(struct judge *j, const char *name, struct vend_err *err)
{
	struct judge_metric_result *r;
	size_t len;

	if (!name || !*name)
		return err_field(err, "name", "a metric needs a name");
	len = strlen(name);
	if (len > JUDGE_NAME_MAX)
		return err_field(err, "name", "longer than %d bytes", JUDGE_NAME_MAX);
	if (!printable_utf8(name, len))
		return err_field(err, "name", "must be UTF-8 text without control characters");
	for (size_t i = 0; i < j->n; i++)
		if (strcmp(j->r[i].name, name) == 0)
			return err_set(err, -EEXIST, "metric %s: added twice", name);
	if (j->n >= JUDGE_MAX_METRICS)
		return err_set(err, -E2BIG, "more than %d metrics", JUDGE_MAX_METRICS);
	XGROW(j->r, j->n + 1, j->cap);
	r = &j->r[j->n];
	memset(r, 0, sizeof(*r));
	memcpy(r->name, name, len + 1);
	return 0;
}

static bool alpha_ok(double a)
{
	return a >= 1e-6 && a <= 0.5;
}

/* Copies src into dst[size], cut if need be at a character boundary so
 * that the text stays UTF-8 (it goes into JSON strings). */
static void set_text(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);

	if (len >= size) {
		len = size - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* Formatting for explanation lines. */

/* A fraction as a percentage with a sensible number of digits. */
static void fmt_pct(char *out, size_t size, double frac, bool sign)
{
	double v = frac * 100, a = fabs(v);
	int prec = a >= 9.95 || a == 0 ? 0 : a >= 0.995 ? 1 : 2;

	if (v == 0)
		v = 0; /* no "-0%" */
	if (a >= 0.0995 || a == 0)
		snprintf(out, size, sign ? "%+.*f%%" : "%.*f%%", prec, v);
	else
		snprintf(out, size, sign ? "%+.2g%%" : "%.2g%%", v);
}

/* A difference of rates in percentage points: "+1.2 points". */
static void fmt_points(char *out, size_t size, double frac)
{
	char p[24];
	size_t len;

	fmt_pct(p, sizeof(p), frac, true);
	len = strlen(p);
	if (len && p[len - 1] == '%')
		p[len - 1] = '\0';
	snprintf(out, size, "%s points", p);
}

static void fmt_num(char *out, size_t size, double v, bool sign, const char *unit)
{
	snprintf(out, size, sign ? "%+.3g%s%s" : "%.3g%s%s", v == 0 ? 0.0 : v,
		 unit && *unit ? " " : "", unit ? unit : "");
}

static void fmt_p(char *out, size_t size, double p)
{
	if (p < 0.0001)
		snprintf(out, size, "p < 0.0001");
	else if (p < 0.01)
		snprintf(out, size, "p = %.4f", p);
	else
		snprintf(out, size, "p = %.2f", p);
}

static void fmt_conf(char *out, size_t size, double conf)
{
	snprintf(out, size, "%.4g%%", conf * 100);
}

static bool time_unit(const char *u)
{
	static const char *const units[] = { "s", "ms", "us", "\xc2\xb5s", "ns",
					     "seconds", "milliseconds" };
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(u, units[i]) == 0)
			return true;
	return false;
}

/* Samples. */

static void explain_samples(struct judge_metric_result *r)
{
	char shift[48], lo[48], hi[48], tol[48], p[32], conf[16];
	const char *word;
	bool up = r->hl.estimate > 0, timed = time_unit(r->unit);
	struct buf b = BUF_INIT;

	fmt_p(p, sizeof(p), r->mw.p_two_sided);
	fmt_conf(conf, sizeof(conf), r->hl.conf);
	if (r->relative) {
		fmt_pct(shift, sizeof(shift), fabs(r->rel_shift), false);
		fmt_pct(lo, sizeof(lo), r->rel_lower, true);
		fmt_pct(hi, sizeof(hi), r->rel_upper, true);
	} else {
		fmt_num(shift, sizeof(shift), fabs(r->hl.estimate), false, r->unit);
		fmt_num(lo, sizeof(lo), r->hl.lower, true, NULL);
		fmt_num(hi, sizeof(hi), r->hl.upper, true, r->unit);
	}
	if (r->relative && r->abs_tolerance <= r->tolerance * fabs(r->baseline.median))
		fmt_pct(tol, sizeof(tol), r->tolerance, false);
	else
		fmt_num(tol, sizeof(tol), r->limit, false, r->unit);
	word = timed ? (up ? "slower" : "faster") : (up ? "higher" : "lower");
	buf_printf(&b, "%s: ", r->name);
	if (r->hl.estimate == 0)
		buf_printf(&b, "no shift (%s CI %s..%s); %s", conf, lo, hi, p);
	else if (r->rule == JUDGE_RULE_NOT_SIGNIFICANT)
		buf_printf(&b, "no significant difference: canary %s %s (%s CI %s..%s); %s",
			   shift, word, conf, lo, hi, p);
	else if (r->rule == JUDGE_RULE_IMPROVED)
		buf_printf(&b, "canary is %s %s (%s CI %s..%s), better; %s", shift, word, conf,
			   lo, hi, p);
	else
		buf_printf(&b, "canary is %s %s (%s CI %s..%s), %s the %s tolerance; %s", shift,
			   word, conf, lo, hi,
			   r->rule == JUDGE_RULE_BEYOND_TOLERANCE ? "beyond" : "within", tol, p);
	buf_printf(&b, " \xe2\x86\x92 %s", judge_outcome_name(r->outcome));
	set_text(r->explanation, sizeof(r->explanation), b.data);
	buf_release(&b);
}

static void inconclusive(struct judge_metric_result *r, enum judge_rule rule, const char *fmt,
			 ...) __attribute__((format(printf, 3, 4)));

static void inconclusive(struct judge_metric_result *r, enum judge_rule rule, const char *fmt,
			 ...)
{
	char text[JUDGE_EXPLAIN_MAX + 1];
	va_list ap;

	r->outcome = JUDGE_INCONCLUSIVE;
	r->rule = rule;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	set_text(r->reason, sizeof(r->reason), text);
	snprintf(text, sizeof(text), "%s: %s \xe2\x86\x92 inconclusive", r->name, r->reason);
	set_text(r->explanation, sizeof(r->explanation), text);
}

static bool bad_value(double v)
{
	return !isfinite(v) || fabs(v) > STATS_MAX_ABS;
}

/* Checks (or, with drop, filters) one side into *use: v itself, or *tmp
 * (new, caller frees) when some values were dropped. -1 with *bad_index
 * set when a value is bad and not dropped. */
static int clean_side(const double *v, size_t n, bool drop, const double **use, size_t *used,
		      size_t *dropped, double **tmp, size_t *bad_index)
{
	size_t k = 0;

	*dropped = 0;
	*tmp = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!bad_value(v[i]))
			continue;
		if (!drop || isfinite(v[i])) { /* finite but huge is malformed */
			*bad_index = i;
			return -1;
		}
		(*dropped)++;
	}
	*used = n - *dropped;
	*use = v;
	if (!*dropped)
		return 0;
	*tmp = xmalloc((*used ? *used : 1) * sizeof(double));
	for (size_t i = 0; i < n; i++)
		if (!bad_value(v[i]))
			(*tmp)[k++] = v[i];
	*use = *tmp;
	return 0;
}

static const char *value_word(double v)
{
	return isnan(v) ? "NaN" : isinf(v) ? "infinite" : "beyond 1e300";
}

static int check_metric_opts(const struct judge_metric_opts *o, struct vend_err *err)
{
	if (o->direction != JUDGE_INCREASE && o->direction != JUDGE_DECREASE)
		return err_field(err, "direction", "must be increase or decrease");
	if (!alpha_ok(o->alpha))
		return err_field(err, "alpha", "must be between 0.000001 and 0.5");
	if (!(o->tolerance >= 0 && o->tolerance <= 100))
		return err_field(err, "tolerance", "must be between 0 and 100");
	if (!(o->abs_tolerance >= 0 && o->abs_tolerance <= STATS_MAX_ABS))
		return err_field(err, "abs_tolerance", "must be a number >= 0");
	if (o->min_samples < 2 || o->min_samples > STATS_MAX_N)
		return err_field(err, "min_samples", "must be between 2 and %d", STATS_MAX_N);
	if (o->unit && (strlen(o->unit) > JUDGE_UNIT_MAX ||
			!printable_utf8(o->unit, strlen(o->unit))))
		return err_field(err, "unit", "must be text of at most %d bytes", JUDGE_UNIT_MAX);
	return 0;
}

static void decide_samples(struct judge_metric_result *r)
{
	double d = r->hl.estimate, mb = fabs(r->baseline.median);
	bool increase = r->direction == JUDGE_INCREASE;
	bool significant = r->mw.p_two_sided < r->alpha;
	bool bad_side = increase ? d > 0 : d < 0;

	r->p_worse = increase ? r->mw.p_greater : r->mw.p_less;
	r->limit = fmax(r->tolerance * mb, r->abs_tolerance);
	r->relative = mb > 0 && isfinite(d / mb) && isfinite(r->hl.lower / mb) &&
		      isfinite(r->hl.upper / mb);
	if (r->relative) {
		r->rel_shift = d / mb;
		r->rel_lower = r->hl.lower / mb;
		r->rel_upper = r->hl.upper / mb;
	}
	r->outcome = JUDGE_PASS;
	if (!significant || d == 0)
		r->rule = JUDGE_RULE_NOT_SIGNIFICANT;
	else if (!bad_side)
		r->rule = JUDGE_RULE_IMPROVED;
	else if (increase ? r->hl.lower > r->limit : r->hl.upper < -r->limit) {
		r->rule = JUDGE_RULE_BEYOND_TOLERANCE;
		r->outcome = JUDGE_FAIL;
	} else {
		r->rule = JUDGE_RULE_WITHIN_TOLERANCE;
	}
	explain_samples(r);
}

int judge_add_metric(struct judge *j, const char *name, const double *baseline, size_t nb,
		     const double *canary, size_t nc, const struct judge_metric_opts *o,
		     struct vend_err *err)
{
	static const struct judge_metric_opts defaults = JUDGE_METRIC_OPTS_INIT;
	struct judge_metric_result *r;
	const double *bv, *cv;
	double *bt = NULL, *ct = NULL;
	size_t bn = 0, cn = 0, bad = 0;
	int rc;

	if (!o)
		o = &defaults;
	if ((!baseline && nb) || (!canary && nc))
		return err_set(err, -EINVAL, "metric %s: no array for %zu values", name ? name : "",
			       nb ? nb : nc);
	if ((rc = check_metric_opts(o, err)) < 0)
		return rc;
	if ((rc = new_result(j, name, err)) < 0)
		return rc;
	r = &j->r[j->n];
	r->kind = JUDGE_KIND_SAMPLES;
	r->critical = o->critical;
	r->direction = o->direction;
	r->alpha = o->alpha;
	r->tolerance = o->tolerance;
	r->abs_tolerance = o->abs_tolerance;
	r->min_samples = o->min_samples;
	r->hl.conf = 1 - o->alpha;
	if (o->unit)
		snprintf(r->unit, sizeof(r->unit), "%s", o->unit);
	r->baseline.n = nb;
	r->canary.n = nc;
	j->n++;

	if (nb > STATS_MAX_N || nc > STATS_MAX_N) {
		inconclusive(r, JUDGE_RULE_TOO_MANY_SAMPLES,
			     "%zu baseline and %zu canary samples, more than the %d allowed a side",
			     nb, nc, STATS_MAX_N);
		return 0;
	}
	if (clean_side(baseline, nb, o->drop_nonfinite, &bv, &bn, &r->dropped_baseline, &bt,
		       &bad) < 0) {
		inconclusive(r, JUDGE_RULE_MALFORMED, "baseline sample %zu is %s", bad + 1,
			     value_word(baseline[bad]));
		goto out;
	}
	if (clean_side(canary, nc, o->drop_nonfinite, &cv, &cn, &r->dropped_canary, &ct,
		       &bad) < 0) {
		inconclusive(r, JUDGE_RULE_MALFORMED, "canary sample %zu is %s", bad + 1,
			     value_word(canary[bad]));
		goto out;
	}
	/* the values are clean now; these cannot fail */
	if (stats_summary(bv, bn, &r->baseline) < 0 || stats_summary(cv, cn, &r->canary) < 0) {
		inconclusive(r, JUDGE_RULE_MALFORMED, "samples cannot be summarised");
		goto out;
	}
	r->summarised = true;
	if (bn < o->min_samples || cn < o->min_samples) {
		inconclusive(r, JUDGE_RULE_TOO_FEW_SAMPLES,
			     "%zu baseline and %zu canary samples, fewer than the %zu needed a side",
			     bn, cn, o->min_samples);
		goto out;
	}
	if (stats_compare(cv, cn, bv, bn, o->alpha, &r->mw, &r->hl) < 0) {
		inconclusive(r, JUDGE_RULE_MALFORMED, "samples cannot be compared");
		goto out;
	}
	r->analysed = true;
	decide_samples(r);
out:
	free(bt);
	free(ct);
	return 0;
}

/* Error rates. */

static void explain_errors(struct judge_metric_result *r)
{
	char rc[24], rb[24], delta[24], allowed[24], p[32];
	struct buf b = BUF_INIT;

	fmt_pct(rc, sizeof(rc), r->rate_canary, false);
	fmt_pct(rb, sizeof(rb), r->rate_baseline, false);
	fmt_points(delta, sizeof(delta), r->rate_delta);
	fmt_points(allowed, sizeof(allowed), r->max_failure_delta);
	buf_printf(&b, "%s: canary %s (%" PRIu64 "/%" PRIu64 ") vs baseline %s (%" PRIu64
		   "/%" PRIu64 "), %s",
		   r->name, rc, r->errors_canary, r->requests_canary, rb, r->errors_baseline,
		   r->requests_baseline, delta);
	if (r->test) {
		fmt_p(p, sizeof(p), r->p);
		if (r->rule == JUDGE_RULE_RATE_WITHIN_DELTA)
			buf_printf(&b, ", within the %s allowed; %s (%s)", allowed, p,
				   strcmp(r->test, "fisher") ? "z test" : "Fisher");
		else
			buf_printf(&b, ", beyond the %s allowed%s; %s (%s)", allowed,
				   r->rule == JUDGE_RULE_RATE_NOT_SIGNIFICANT
					   ? " but not significant" : "",
				   p, strcmp(r->test, "fisher") ? "z test" : "Fisher");
	} else {
		buf_printf(&b, ", %s the %s allowed",
			   r->rule == JUDGE_RULE_RATE_WITHIN_DELTA ? "within" : "beyond", allowed);
	}
	buf_printf(&b, " \xe2\x86\x92 %s", judge_outcome_name(r->outcome));
	set_text(r->explanation, sizeof(r->explanation), b.data);
	buf_release(&b);
}

#define REQUESTS_MAX ((uint64_t)1 << 52)

int judge_add_errors(struct judge *j, const char *name, uint64_t eb, uint64_t nb,
		     uint64_t ec, uint64_t nc, const struct judge_errors_opts *o,
		     struct vend_err *err)
{
	static const struct judge_errors_opts defaults = JUDGE_ERRORS_OPTS_INIT;
	struct judge_metric_result *r;
	double p = 1, z = 0, N, K;
	bool fisher;
	int rc;

	if (!o)
		o = &defaults;
	if (!alpha_ok(o->alpha))
		return err_field(err, "alpha", "must be between 0.000001 and 0.5");
	if (!(o->max_failure_delta >= 0 && o->max_failure_delta <= 1))
		return err_field(err, "max_failure_delta", "must be between 0 and 1");
	if (o->min_requests < 1)
		return err_field(err, "min_requests", "must be at least 1");
	if (nb > REQUESTS_MAX || nc > REQUESTS_MAX || eb > REQUESTS_MAX || ec > REQUESTS_MAX)
		return err_set(err, -EINVAL, "metric %s: more than 2^52 requests",
			       name ? name : "");
	if ((rc = new_result(j, name, err)) < 0)
		return rc;
	r = &j->r[j->n++];
	r->kind = JUDGE_KIND_ERRORS;
	r->critical = o->critical;
	r->direction = JUDGE_INCREASE;
	r->alpha = o->alpha;
	r->max_failure_delta = o->max_failure_delta;
	r->require_significance = o->require_significance;
	r->min_requests = o->min_requests;
	r->errors_baseline = eb;
	r->requests_baseline = nb;
	r->errors_canary = ec;
	r->requests_canary = nc;
	if (eb > nb || ec > nc) {
		inconclusive(r, JUDGE_RULE_MALFORMED, "more errors than requests (baseline %" PRIu64
			     "/%" PRIu64 ", canary %" PRIu64 "/%" PRIu64 ")", eb, nb, ec, nc);
		return 0;
	}
	if (nb < o->min_requests || nc < o->min_requests) {
		inconclusive(r, JUDGE_RULE_TOO_FEW_SAMPLES,
			     "%" PRIu64 " baseline and %" PRIu64
			     " canary requests, fewer than the %" PRIu64 " needed a side",
			     nb, nc, o->min_requests);
		return 0;
	}
	r->rate_baseline = (double)eb / (double)nb;
	r->rate_canary = (double)ec / (double)nc;
	r->rate_delta = r->rate_canary - r->rate_baseline;
	/* Cochran's rule: the z test needs every expected count >= 5 */
	N = (double)(nb + nc);
	K = (double)(eb + ec);
	fisher = fmin(fmin(K, N - K) * (double)nb / N, fmin(K, N - K) * (double)nc / N) < 5;
	if (fisher ? stats_fisher_greater(ec, nc, eb, nb, &p) < 0
		   : stats_prop_z_greater(ec, nc, eb, nb, &z, &p) < 0) {
		/* Fisher's sum did not converge: only for huge, even tables */
		fisher = false;
		if (stats_prop_z_greater(ec, nc, eb, nb, &z, &p) < 0)
			p = 1;
	}
	r->test = fisher ? "fisher" : "z";
	r->z = z;
	r->p_greater = p;
	r->p = fmin(1, 2 * p);
	r->outcome = JUDGE_PASS;
	if (!(r->rate_delta > o->max_failure_delta)) {
		r->rule = JUDGE_RULE_RATE_WITHIN_DELTA;
	} else if (o->require_significance && !(r->p < o->alpha)) {
		r->rule = JUDGE_RULE_RATE_NOT_SIGNIFICANT;
	} else {
		r->rule = JUDGE_RULE_RATE_BEYOND_DELTA;
		r->outcome = JUDGE_FAIL;
	}
	explain_errors(r);
	return 0;
}

int judge_add_unavailable(struct judge *j, const char *name, bool critical,
			  const char *reason, struct vend_err *err)
{
	struct judge_metric_result *r;
	struct buf b = BUF_INIT;
	int rc;

	if ((rc = new_result(j, name, err)) < 0)
		return rc;
	r = &j->r[j->n++];
	r->kind = JUDGE_KIND_UNAVAILABLE;
	r->critical = critical;
	reason = reason && *reason ? reason : "no data";
	utf8_sanitize(reason, strnlen(reason, JUDGE_REASON_MAX), &b);
	for (size_t i = 0; i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
			b.data[i] = ' ';
	/* cut at a character boundary */
	{
		size_t len = b.len > JUDGE_REASON_MAX ? JUDGE_REASON_MAX : b.len;
		while (len > 0 && len < b.len && ((unsigned char)b.data[len] & 0xc0) == 0x80)
			len--;
		b.data[len] = '\0';
		inconclusive(r, JUDGE_RULE_UNAVAILABLE, "no data: %s", b.data);
	}
	buf_release(&b);
	return 0;
}

/* The overall verdict and the JSON. */

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *summary_json(const struct stats_summary *s, size_t dropped, bool summarised)
{
	json_t *o = json_object();

	json_object_set_new(o, "n", json_integer((json_int_t)s->n));
	if (dropped)
		json_object_set_new(o, "dropped_nonfinite", json_integer((json_int_t)dropped));
	if (summarised && s->n) {
		json_object_set_new(o, "median", jnum(s->median));
		json_object_set_new(o, "p90", jnum(s->p90));
		json_object_set_new(o, "p99", jnum(s->p99));
		json_object_set_new(o, "mean", jnum(s->mean));
		json_object_set_new(o, "min", jnum(s->min));
		json_object_set_new(o, "max", jnum(s->max));
	}
	return o;
}

static json_t *samples_json(const struct judge_metric_result *r, json_t *o)
{
	json_t *t, *s;

	json_object_set_new(o, "direction",
			    json_string(r->direction == JUDGE_INCREASE ? "increase" : "decrease"));
	if (r->unit[0])
		json_object_set_new(o, "unit", json_string(r->unit));
	json_object_set_new(o, "alpha", jnum(r->alpha));
	json_object_set_new(o, "tolerance", jnum(r->tolerance));
	json_object_set_new(o, "abs_tolerance", jnum(r->abs_tolerance));
	json_object_set_new(o, "min_samples", json_integer((json_int_t)r->min_samples));
	json_object_set_new(o, "baseline", summary_json(&r->baseline, r->dropped_baseline,
							      r->summarised));
	json_object_set_new(o, "canary", summary_json(&r->canary, r->dropped_canary,
							    r->summarised));
	if (!r->analysed)
		return o;
	t = json_object();
	json_object_set_new(t, "method", json_string("mann-whitney"));
	json_object_set_new(t, "exact", json_boolean(r->mw.exact));
	json_object_set_new(t, "u", jnum(r->mw.u));
	json_object_set_new(t, "z", jnum(r->mw.z));
	json_object_set_new(t, "sigma", jnum(r->mw.sigma));
	json_object_set_new(t, "ties", json_boolean(r->mw.ties));
	json_object_set_new(t, "p_two_sided", jnum(r->mw.p_two_sided));
	json_object_set_new(t, "p_greater", jnum(r->mw.p_greater));
	json_object_set_new(t, "p_less", jnum(r->mw.p_less));
	json_object_set_new(t, "p_worse", jnum(r->p_worse));
	json_object_set_new(o, "test", t);
	s = json_object();
	json_object_set_new(s, "method", json_string("hodges-lehmann"));
	json_object_set_new(s, "estimate", jnum(r->hl.estimate));
	json_object_set_new(s, "lower", jnum(r->hl.lower));
	json_object_set_new(s, "upper", jnum(r->hl.upper));
	json_object_set_new(s, "confidence", jnum(r->hl.conf));
	json_object_set_new(s, "achieved_confidence", jnum(r->hl.achieved));
	json_object_set_new(s, "exact", json_boolean(r->hl.exact));
	json_object_set_new(s, "k", json_integer((json_int_t)r->hl.k));
	json_object_set_new(s, "limit", jnum(r->limit));
	json_object_set_new(s, "relative", r->relative ? jnum(r->rel_shift) : json_null());
	json_object_set_new(s, "relative_lower", r->relative ? jnum(r->rel_lower) : json_null());
	json_object_set_new(s, "relative_upper", r->relative ? jnum(r->rel_upper) : json_null());
	json_object_set_new(o, "shift", s);
	return o;
}

static json_t *side_json(uint64_t e, uint64_t n, double rate, bool rated)
{
	json_t *o = json_object();
	json_object_set_new(o, "errors", json_integer((json_int_t)e));
	json_object_set_new(o, "requests", json_integer((json_int_t)n));
	json_object_set_new(o, "rate", rated ? jnum(rate) : json_null());
	return o;
}

static json_t *errors_json(const struct judge_metric_result *r, json_t *o)
{
	bool rated = r->test != NULL;

	json_object_set_new(o, "alpha", jnum(r->alpha));
	json_object_set_new(o, "max_failure_delta", jnum(r->max_failure_delta));
	json_object_set_new(o, "require_significance", json_boolean(r->require_significance));
	json_object_set_new(o, "min_requests", json_integer((json_int_t)r->min_requests));
	json_object_set_new(o, "baseline", side_json(r->errors_baseline, r->requests_baseline,
						     r->rate_baseline, rated));
	json_object_set_new(o, "canary", side_json(r->errors_canary, r->requests_canary,
						   r->rate_canary, rated));
	if (rated) {
		json_t *t = json_object();
		json_object_set_new(o, "rate_delta", jnum(r->rate_delta));
		json_object_set_new(t, "method", json_string(strcmp(r->test, "fisher")
								     ? "two-proportion-z"
								     : "fisher-exact"));
		if (strcmp(r->test, "fisher"))
			json_object_set_new(t, "z", jnum(r->z));
		json_object_set_new(t, "p_greater", jnum(r->p_greater));
		json_object_set_new(t, "p_two_sided", jnum(r->p));
		json_object_set_new(o, "test", t);
	}
	return o;
}

static json_t *metric_json(const struct judge_metric_result *r)
{
	static const char *const kinds[] = { "samples", "errors", "unavailable" };
	json_t *o = json_object();

	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "kind", json_string(kinds[r->kind]));
	json_object_set_new(o, "critical", json_boolean(r->critical));
	json_object_set_new(o, "verdict", json_string(judge_outcome_name(r->outcome)));
	json_object_set_new(o, "rule", json_string(judge_rule_name(r->rule)));
	json_object_set_new(o, "explanation", json_string(r->explanation));
	if (r->reason[0])
		json_object_set_new(o, "reason", json_string(r->reason));
	if (r->kind == JUDGE_KIND_SAMPLES)
		samples_json(r, o);
	else if (r->kind == JUDGE_KIND_ERRORS)
		errors_json(r, o);
	return o;
}

/* Appends the names of the metrics matching (critical, outcome), at most
 * three, then "and N more". */
static void list_names(struct buf *b, const struct judge *j, bool critical,
		       enum judge_outcome outcome)
{
	size_t shown = 0, total = 0;

	for (size_t i = 0; i < j->n; i++) {
		const struct judge_metric_result *r = &j->r[i];
		if (r->critical != critical || r->outcome != outcome)
			continue;
		if (total++ < 3)
			buf_printf(b, "%s%s", shown++ ? ", " : "", r->name);
	}
	if (total > shown)
		buf_printf(b, " and %zu more", total - shown);
}

int judge_run(struct judge *j, struct judge_verdict *out, json_t **json)
{
	struct judge_verdict v;
	struct buf b = BUF_INIT;
	size_t noncritical_failed = 0;

	memset(&v, 0, sizeof(v));
	v.metrics = j->n;
	for (size_t i = 0; i < j->n; i++) {
		const struct judge_metric_result *r = &j->r[i];
		switch (r->outcome) {
		case JUDGE_PASS: v.passed++; break;
		case JUDGE_FAIL:
			v.failed++;
			if (r->critical)
				v.critical_failed++;
			else
				noncritical_failed++;
			break;
		case JUDGE_INCONCLUSIVE:
			v.inconclusive++;
			if (r->critical)
				v.critical_inconclusive++;
			break;
		}
	}
	if (v.critical_failed) {
		v.outcome = JUDGE_FAIL;
		v.rule = JUDGE_RULE_CRITICAL_FAILED;
		buf_printf(&b, "fail: critical metric%s ", v.critical_failed > 1 ? "s" : "");
		list_names(&b, j, true, JUDGE_FAIL);
		buf_adds(&b, " failed");
	} else if (v.critical_inconclusive) {
		v.outcome = JUDGE_INCONCLUSIVE;
		v.rule = JUDGE_RULE_CRITICAL_INCONCLUSIVE;
		buf_printf(&b, "inconclusive: no verdict on critical metric%s ",
			   v.critical_inconclusive > 1 ? "s" : "");
		list_names(&b, j, true, JUDGE_INCONCLUSIVE);
	} else if (v.passed + v.failed == 0) {
		v.outcome = JUDGE_INCONCLUSIVE;
		v.rule = JUDGE_RULE_NOTHING_DECIDED;
		buf_adds(&b, j->n ? "inconclusive: no metric could be judged"
				  : "inconclusive: no metrics");
	} else {
		v.outcome = JUDGE_PASS;
		v.rule = JUDGE_RULE_ALL_CRITICAL_PASSED;
		buf_printf(&b, "pass: %zu of %zu metrics passed", v.passed, v.metrics);
	}
	if (noncritical_failed && v.outcome != JUDGE_FAIL) {
		buf_adds(&b, "; warning: non-critical ");
		list_names(&b, j, false, JUDGE_FAIL);
		buf_adds(&b, " failed");
	}
	set_text(v.explanation, sizeof(v.explanation), b.data);
	buf_release(&b);
	if (json) {
		json_t *o = json_object(), *arr = json_array();
		json_object_set_new(o, "verdict", json_string(judge_outcome_name(v.outcome)));
		json_object_set_new(o, "rule", json_string(judge_rule_name(v.rule)));
		json_object_set_new(o, "explanation", json_string(v.explanation));
		json_object_set_new(o, "judge", json_string("vend-mann-whitney-hl/1"));
		json_object_set_new(o, "passed", json_integer((json_int_t)v.passed));
		json_object_set_new(o, "failed", json_integer((json_int_t)v.failed));
		json_object_set_new(o, "inconclusive", json_integer((json_int_t)v.inconclusive));
		for (size_t i = 0; i < j->n; i++)
			json_array_append_new(arr, metric_json(&j->r[i]));
		json_object_set_new(o, "metrics", arr);
		*json = o;
	}
	if (out)
		*out = v;
	return 0;
}
