/*
 * Simulated canary analyses, shared by bench/bench_judge.c (which prints
 * the figures) and tests/unit/test_judge.c (which holds the judge to
 * them): baseline and canary samples drawn from a known distribution, the
 * canary's values multiplied by a factor and its errors drawn at their own
 * rate, judged as the analysis step would (one critical latency metric,
 * one critical error-rate metric), many times over.
 *
 * A/A (factor 1, equal error rates) measures the false-fail rate, A/B the
 * detection rate. The generator is xoshiro256** (Blackman & Vigna,
 * "Scrambled linear pseudorandom number generators", ACM TOMS 47(4), 2021)
 * seeded by splitmix64, so a seed always gives the same figures.
 *
 * Header-only (static inline) so that the bench and the test share one
 * copy without putting a simulator in the library.
 */
#ifndef VEND_TESTS_JUDGE_SIM_H
#define VEND_TESTS_JUDGE_SIM_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "verify/judge.h"

struct sim_rng {
	uint64_t s[4];
};

static inline uint64_t sim_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t sim_next(struct sim_rng *r)
{
	uint64_t *s = r->s, res = sim_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = sim_rotl(s[3], 45);
	return res;
}

static inline void sim_seed(struct sim_rng *r, uint64_t x)
{
	for (int i = 0; i < 4; i++) { /* splitmix64 */
		uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		r->s[i] = z ^ (z >> 31);
	}
}

/* Uniform on [0, 1). */
static inline double sim_unif(struct sim_rng *r)
{
	return (double)(sim_next(r) >> 11) * 0x1.0p-53;
}

/* Standard normal, by Marsaglia's polar method. */
static inline double sim_normal(struct sim_rng *r)
{
	double u, v, s;
	do {
		u = 2 * sim_unif(r) - 1;
		v = 2 * sim_unif(r) - 1;
		s = u * u + v * v;
	} while (s >= 1 || s == 0);
	return u * sqrt(-2 * log(s) / s);
}

enum sim_shape {
	SIM_NORMAL,    /* N(100, 15^2): a well-behaved gauge */
	SIM_LOGNORMAL, /* median 45 ms, sigma 0.5: a typical latency */
	SIM_LONG_TAIL, /* median 45 ms, sigma 0.35, and 2% of requests a
			* 40 ms x Pareto(1.5) stall: infinite variance */
	SIM_DISCRETE,  /* whole milliseconds, median 10: mostly ties */
	SIM_SHAPES
};

static inline const char *sim_shape_name(enum sim_shape s)
{
	static const char *const names[] = { "normal", "lognormal", "long tail", "discrete" };
	return names[s];
}

/* One value of the shape, its scale multiplied by factor. */
static inline double sim_draw(struct sim_rng *r, enum sim_shape shape, double factor)
{
	double v;

	switch (shape) {
	case SIM_NORMAL: return (100 + 15 * sim_normal(r)) * factor;
	case SIM_LOGNORMAL: return 45 * exp(0.5 * sim_normal(r)) * factor;
	case SIM_LONG_TAIL:
		v = 45 * exp(0.35 * sim_normal(r));
		if (sim_unif(r) < 0.02)
			v += 40 * pow(1 - sim_unif(r), -1 / 1.5);
		return v * factor;
	default: return round(10 * exp(0.4 * sim_normal(r)) * factor);
	}
}

/* One kind of comparison, repeated. */
struct sim_case {
	enum sim_shape shape;
	size_t n;                   /* samples and requests a side */
	double factor;              /* canary scale: 1 for A/A */
	double err_base, err_canary; /* error probabilities per request */
	double tolerance;           /* of the latency metric */
	double max_failure_delta;   /* of the error metric */
	bool errors_only;           /* no latency metric */
};

#define SIM_CASE_INIT { SIM_LOGNORMAL, 200, 1, 0.01, 0.01, JUDGE_DEFAULT_TOLERANCE, \
			JUDGE_DEFAULT_MAX_FAILURE_DELTA, false }

/* Failures counted over the trials. */
struct sim_counts {
	long trials;
	long latency;  /* the latency metric failed */
	long errors;   /* the error-rate metric failed */
	long overall;  /* the judge's verdict was fail */
	long other;    /* a verdict neither pass nor fail: never expected */
};

/* Runs trials analyses of c from seed and counts the failures. */
static inline struct sim_counts sim_run(const struct sim_case *c, long trials, uint64_t seed)
{
	struct sim_counts k = { trials, 0, 0, 0, 0 };
	struct judge_metric_opts lo = JUDGE_METRIC_OPTS_INIT;
	struct judge_errors_opts eo = JUDGE_ERRORS_OPTS_INIT;
	double *b = malloc(c->n * sizeof(double)), *cv = malloc(c->n * sizeof(double));
	struct sim_rng r;

	lo.tolerance = c->tolerance;
	lo.unit = "ms";
	eo.max_failure_delta = c->max_failure_delta;
	sim_seed(&r, seed);
	for (long t = 0; t < trials; t++) {
		struct judge *j = judge_new();
		struct judge_verdict v;
		uint64_t eb = 0, ec = 0;

		for (size_t i = 0; i < c->n; i++) {
			if (!c->errors_only) {
				b[i] = sim_draw(&r, c->shape, 1);
				cv[i] = sim_draw(&r, c->shape, c->factor);
			}
			eb += sim_unif(&r) < c->err_base;
			ec += sim_unif(&r) < c->err_canary;
		}
		if ((!c->errors_only &&
		     judge_add_metric(j, "latency", b, c->n, cv, c->n, &lo, NULL) < 0) ||
		    judge_add_errors(j, "errors", eb, c->n, ec, c->n, &eo, NULL) < 0 ||
		    judge_run(j, &v, NULL) < 0) {
			k.other++;
			judge_free(j);
			continue;
		}
		for (size_t i = 0; i < judge_count(j); i++) {
			const struct judge_metric_result *m = judge_result(j, i);
			if (m->outcome == JUDGE_FAIL)
				(*(m->kind == JUDGE_KIND_ERRORS ? &k.errors : &k.latency))++;
		}
		k.overall += v.outcome == JUDGE_FAIL;
		k.other += v.outcome != JUDGE_FAIL && v.outcome != JUDGE_PASS;
		judge_free(j);
	}
	free(b);
	free(cv);
	return k;
}

/* A count as a percentage of the trials. */
static inline double sim_pct(long k, long trials)
{
	return trials ? 100.0 * (double)k / (double)trials : 0;
}

#endif
