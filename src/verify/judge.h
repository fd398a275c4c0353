/*
 * The canary judge: per-metric verdicts and one overall verdict, each with
 * the numbers behind it and a line a person can check (DESIGN.md §7).
 *
 * A metric is either a pair of samples (latency, CPU, throughput...) or a
 * pair of error counts. Samples are compared by the Mann-Whitney U test
 * and the Hodges-Lehmann shift with its confidence interval (stats.h);
 * error counts by their rates, a maximum allowed increase and a one-sided
 * test. The rules, exactly (docs/analysis.md has the why and the figures):
 *
 * Samples (b: baseline, c: canary, d = HL estimate of c - b with the
 * two-sided 1 - alpha interval [L, U], T = max(tolerance * |median(b)|,
 * abs_tolerance)):
 *   inconclusive  fewer than min_samples values on a side, a value NaN,
 *                 infinite or beyond 1e300, more than STATS_MAX_N values,
 *                 or the metric was added as unavailable;
 *   fail          direction increase: two-sided p < alpha and L > +T;
 *                 direction decrease: two-sided p < alpha and U < -T;
 *   pass          otherwise: "improved" when p < alpha and d is on the
 *                 good side, "not significant" when p >= alpha, else
 *                 "within tolerance".
 * Error counts (rates rc = ec/nc, rb = eb/nb, delta = rc - rb):
 *   inconclusive  nc or nb below min_requests, or errors > requests;
 *   fail          delta > max_failure_delta and (unless significance is
 *                 not required) p < alpha, p = min(1, 2 p_greater) the
 *                 two-sided p-value by doubling the one-sided one for "the
 *                 canary's rate is higher": Fisher's exact test when an
 *                 expected cell count is below 5 (Cochran's rule), else the
 *                 pooled two-proportion z test. Two-sided as the samples'
 *                 test, so a critical metric fails an A/A comparison at most
 *                 about alpha/2 of the time, and a verdict on latency and
 *                 errors at most about alpha (bench/bench_judge.c);
 *   pass          otherwise.
 * Overall:
 *   fail          a critical metric fails;
 *   inconclusive  else a critical metric is inconclusive, or no metric at
 *                 all was decided (none added, or all inconclusive);
 *   pass          otherwise. A failing non-critical metric is reported
 *                 (a warning in the explanation) but does not fail.
 * So no data never passes a critical metric: it makes the analysis
 * inconclusive, which the engine must not treat as a pass.
 *
 * Memory: a judge holds at most JUDGE_MAX_METRICS results of fixed size;
 * samples are analysed when added and not kept.
 */
#ifndef VEND_VERIFY_JUDGE_H
#define VEND_VERIFY_JUDGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "verify/stats.h"

#define JUDGE_MAX_METRICS 64
#define JUDGE_NAME_MAX 64       /* bytes of a metric name */
#define JUDGE_UNIT_MAX 16       /* bytes of a unit */
#define JUDGE_REASON_MAX 200    /* bytes of an unavailable metric's reason */
#define JUDGE_EXPLAIN_MAX 320   /* bytes of an explanation line */

enum judge_direction {
	JUDGE_INCREASE, /* higher is worse: latency, errors, CPU */
	JUDGE_DECREASE, /* lower is worse: throughput, cache hits */
};

enum judge_outcome { JUDGE_PASS, JUDGE_FAIL, JUDGE_INCONCLUSIVE };

/* The rule that decided a metric, or the analysis. */
enum judge_rule {
	JUDGE_RULE_NOT_SIGNIFICANT,    /* pass */
	JUDGE_RULE_IMPROVED,           /* pass: significant, good side */
	JUDGE_RULE_WITHIN_TOLERANCE,   /* pass: significant, inside T */
	JUDGE_RULE_BEYOND_TOLERANCE,   /* fail */
	JUDGE_RULE_RATE_WITHIN_DELTA,  /* pass: rc - rb <= max_failure_delta */
	JUDGE_RULE_RATE_NOT_SIGNIFICANT, /* pass: above delta, but p >= alpha */
	JUDGE_RULE_RATE_BEYOND_DELTA,  /* fail */
	JUDGE_RULE_TOO_FEW_SAMPLES,    /* inconclusive */
	JUDGE_RULE_TOO_MANY_SAMPLES,   /* inconclusive */
	JUDGE_RULE_MALFORMED,          /* inconclusive */
	JUDGE_RULE_UNAVAILABLE,        /* inconclusive */
	/* overall */
	JUDGE_RULE_CRITICAL_FAILED,
	JUDGE_RULE_CRITICAL_INCONCLUSIVE,
	JUDGE_RULE_NOTHING_DECIDED,
	JUDGE_RULE_ALL_CRITICAL_PASSED,
};

struct judge_metric_opts {
	enum judge_direction direction;
	bool critical;        /* its failure fails the analysis */
	double alpha;         /* significance level, in [1e-6, 0.5] */
	double tolerance;     /* relative to |baseline median|, in [0, 100] */
	double abs_tolerance; /* floor of T in the metric's unit, >= 0 */
	size_t min_samples;   /* per side, >= 2 */
	bool drop_nonfinite;  /* drop NaN/Inf values (counted) instead of
			       * calling the metric malformed */
	const char *unit;     /* optional, e.g. "ms"; a time unit makes the
			       * explanation say slower/faster */
};

#define JUDGE_DEFAULT_ALPHA 0.05
#define JUDGE_DEFAULT_TOLERANCE 0.10
#define JUDGE_DEFAULT_MIN_SAMPLES 10
#define JUDGE_DEFAULT_MAX_FAILURE_DELTA 0.01
#define JUDGE_METRIC_OPTS_INIT                                                  \
	{ JUDGE_INCREASE, true, JUDGE_DEFAULT_ALPHA, JUDGE_DEFAULT_TOLERANCE, 0, \
	  JUDGE_DEFAULT_MIN_SAMPLES, false, NULL }

struct judge_errors_opts {
	bool critical;
	double alpha;             /* in [1e-6, 0.5] */
	double max_failure_delta; /* allowed rate increase, in [0, 1] */
	bool require_significance;
	uint64_t min_requests;    /* per side, >= 1 */
};

#define JUDGE_ERRORS_OPTS_INIT                                                \
	{ true, JUDGE_DEFAULT_ALPHA, JUDGE_DEFAULT_MAX_FAILURE_DELTA, true,    \
	  JUDGE_DEFAULT_MIN_SAMPLES }

enum judge_kind { JUDGE_KIND_SAMPLES, JUDGE_KIND_ERRORS, JUDGE_KIND_UNAVAILABLE };

/* One metric's verdict and its numbers. Fields that do not apply to the
 * metric's kind, or could not be computed, are 0 (and absent or null in
 * the JSON). */
struct judge_metric_result {
	char name[JUDGE_NAME_MAX + 1];
	char unit[JUDGE_UNIT_MAX + 1];
	enum judge_kind kind;
	enum judge_outcome outcome;
	enum judge_rule rule;
	bool critical;
	enum judge_direction direction;
	double alpha, tolerance, abs_tolerance;
	size_t min_samples;
	/* samples */
	size_t dropped_baseline, dropped_canary; /* non-finite, when dropped */
	bool summarised; /* baseline and canary summaries hold */
	bool analysed;   /* mw, hl and the shift fields hold */
	struct stats_summary baseline, canary;
	struct stats_mw mw;
	struct stats_hl hl;
	double p_worse;   /* one-sided p-value in the bad direction */
	double limit;     /* T, in the metric's unit */
	bool relative;    /* baseline median != 0: the rel_* fields hold */
	double rel_shift, rel_lower, rel_upper; /* as fractions of |median(b)| */
	/* errors */
	uint64_t errors_baseline, requests_baseline, errors_canary, requests_canary;
	double rate_baseline, rate_canary, rate_delta, max_failure_delta;
	bool require_significance;
	const char *test; /* "fisher", "z", or NULL */
	double z;         /* of the z test */
	double p_greater; /* one-sided p-value of that test */
	double p;         /* min(1, 2 p_greater), compared with alpha */
	uint64_t min_requests;
	char reason[JUDGE_REASON_MAX + 1]; /* why inconclusive, if it is */
	char explanation[JUDGE_EXPLAIN_MAX + 1];
};

struct judge_verdict {
	enum judge_outcome outcome;
	enum judge_rule rule;
	size_t metrics, passed, failed, inconclusive;
	size_t critical_failed, critical_inconclusive;
	char explanation[JUDGE_EXPLAIN_MAX + 1];
};

struct judge;

/* A new, empty judge. Returns new, caller frees with judge_free. */
struct judge *judge_new(void);
/* Frees j; accepts NULL. */
void judge_free(struct judge *j);

/* Analyses one metric now: baseline[0..nb) against canary[0..nc), which
 * are borrowed for the call only. Bad data (too few, too many, non-finite
 * values) is not an error: the metric is recorded as inconclusive with the
 * reason. -EINVAL (detail in err) for a bad name (empty, longer than
 * JUDGE_NAME_MAX, not UTF-8, control characters), bad options, or a NULL
 * array with a non-zero count; -EEXIST if the name is taken; -E2BIG past
 * JUDGE_MAX_METRICS. o NULL means JUDGE_METRIC_OPTS_INIT. */
int judge_add_metric(struct judge *j, const char *name, const double *baseline, size_t nb,
		     const double *canary, size_t nc, const struct judge_metric_opts *o,
		     struct vend_err *err);

/* Records an error-rate metric: eb errors of nb requests on the baseline,
 * ec of nc on the canary. Counts beyond their requests make the metric
 * inconclusive (malformed). Errors as judge_add_metric (o NULL means
 * JUDGE_ERRORS_OPTS_INIT); requests above 2^52 are -EINVAL. */
int judge_add_errors(struct judge *j, const char *name, uint64_t eb, uint64_t nb,
		     uint64_t ec, uint64_t nc, const struct judge_errors_opts *o,
		     struct vend_err *err);

/* Records a metric whose data could not be had (the provider failed or
 * answered something malformed): inconclusive, with reason (borrowed,
 * truncated to JUDGE_REASON_MAX bytes and sanitised). Errors as
 * judge_add_metric for name. */
int judge_add_unavailable(struct judge *j, const char *name, bool critical,
			  const char *reason, struct vend_err *err);

/* The overall verdict into *v (may be NULL), and if json is not NULL the
 * whole analysis as a new JSON object (caller decrefs; every number finite,
 * nulls where a value does not exist). May be called again after more
 * metrics are added. Returns 0. */
int judge_run(struct judge *j, struct judge_verdict *v, json_t **json);

/* The i-th metric's result, i < judge_count(j); borrowed from j. */
size_t judge_count(const struct judge *j);
const struct judge_metric_result *judge_result(const struct judge *j, size_t i);

/* Drops the first k values (warm-up): returns v + min(k, *n) and lowers *n
 * to match. Borrows v. Callers that know timestamps drop by time instead. */
const double *judge_drop_first(const double *v, size_t *n, size_t k);

/* Names for the enums, as they appear in the JSON. */
const char *judge_outcome_name(enum judge_outcome o);
const char *judge_rule_name(enum judge_rule r);

#endif
