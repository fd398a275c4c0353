/*
 * Two-sample statistics for canary analysis: the Mann-Whitney U test (also
 * called the Wilcoxon rank-sum test), the Hodges-Lehmann estimate of the
 * shift between two samples with its distribution-free confidence
 * interval, robust summaries (median, p90, p99), and the tests used for
 * error rates (Fisher's exact test, the two-proportion z test).
 *
 * Conventions: x is the canary, y the baseline. U counts the pairs in which
 * the canary is larger, ties counting one half:
 *
 *	U = #{(i, j): x_i > y_j} + 1/2 #{(i, j): x_i = y_j}
 *	  = R_x - m(m + 1)/2      (R_x: the sum of x's mid-ranks in x and y)
 *
 * the statistic R calls W in wilcox.test(x, y) and SciPy calls U1 in
 * mannwhitneyu(x, y). "greater" means the canary tends to be larger.
 *
 * The methods: Hollander, Wolfe & Chicken, Nonparametric Statistical
 * Methods, 3rd ed. (2014), §4.1 (the test), §4.2 (the estimator), §4.3 (the
 * interval); Mann & Whitney (1947), Ann. Math. Statist. 18:50-60; Hodges &
 * Lehmann (1963), Ann. Math. Statist. 34:598-611; Lehmann, Nonparametrics
 * (1975), ch. 1-2 for the tie correction. Fisher's exact test and the
 * two-proportion z test: Agresti, Categorical Data Analysis, 3rd ed.
 * (2013), §3.5 and §3.1.
 *
 * Bounds: at most STATS_MAX_N values per sample; a call allocates two
 * sorted copies (8 bytes a value) and, for the exact distribution, a table
 * of (m + 1)(mn + 1) doubles, under 1 MiB since m, n < STATS_EXACT_MAX_N;
 * the time is O((m + n) log(m + n)) plus, per order statistic of the m*n
 * pairwise differences, a few dozen counting passes of O(m + n) (at most
 * 64 bisections of the 64-bit key plus those that cut the count by a
 * quarter) and one selection among at most m + n of them; the m*n
 * differences are never materialised (see stats_hodges_lehmann).
 */
#ifndef VEND_VERIFY_STATS_H
#define VEND_VERIFY_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most values a sample may have; more is -E2BIG. */
#define STATS_MAX_N 100000
/* The U test is exact when both samples have fewer values than this and
 * there are no ties (as R's wilcox.test); otherwise normal approximation. */
#define STATS_EXACT_MAX_N 50
/* Values beyond +-1e300 are refused so that every difference is finite. */
#define STATS_MAX_ABS 1e300

struct stats_summary {
	size_t n;
	double min, median, p90, p99, max, mean;
};

struct stats_mw {
	size_t m, n;        /* sizes of x (canary) and y (baseline) */
	double u;           /* U of x, in [0, m*n], a multiple of 1/2 */
	double z;           /* (U - mn/2 -+ 1/2) / sigma, the two-sided form;
			     * 0 when sigma is 0; reported for exact tests too */
	double sigma;       /* sqrt of the tie-corrected null variance of U */
	double tie_term;    /* sum over tied groups of t^3 - t; 0 if none */
	double p_two_sided; /* each p-value in [0, 1] */
	double p_greater;   /* H1: x tends to be larger than y */
	double p_less;      /* H1: x tends to be smaller than y */
	bool exact;         /* p-values from the exact null distribution */
	bool ties;          /* some value occurs more than once in x and y */
};

struct stats_hl {
	double estimate;    /* median of the m*n differences x_i - y_j */
	double lower;       /* k-th smallest difference */
	double upper;       /* k-th largest difference */
	double conf;        /* the nominal level 1 - alpha */
	double achieved;    /* the interval's coverage under H0 shape
			     * (exact: 1 - 2 P(U <= k - 1); else = conf) */
	uint64_t k;         /* the rank used for the bounds, >= 1 */
	bool exact;         /* k from the exact distribution of U */
};

/* The robust summary of v[0..n): min, max, mean, and the median, p90 and
 * p99 by linear interpolation between order statistics (Hyndman & Fan 1996,
 * definition 7: R's and NumPy's default). n = 0 gives all zeros.
 * -EINVAL if a value is NaN, infinite or beyond STATS_MAX_ABS; -E2BIG if
 * n > STATS_MAX_N. Borrows v; writes *out only on success. */
int stats_summary(const double *v, size_t n, struct stats_summary *out);

/* The quantile q in [0, 1] of sorted[0..n), n >= 1, by definition 7
 * above. Borrows sorted (ascending, finite). */
double stats_quantile_sorted(const double *sorted, size_t n, double q);

/* The Mann-Whitney U test of x[0..m) against y[0..n), m, n >= 1. Exact when
 * m, n < STATS_EXACT_MAX_N and there are no ties; otherwise the normal
 * approximation with the tie-corrected variance and a continuity correction
 * of 1/2 (the p-values R's wilcox.test gives with correct = TRUE).
 * -EINVAL if a sample is empty or a value is NaN, infinite or beyond
 * STATS_MAX_ABS; -E2BIG if a sample exceeds STATS_MAX_N. Borrows x and y;
 * writes *out only on success. */
int stats_mann_whitney(const double *x, size_t m, const double *y, size_t n,
		       struct stats_mw *out);

/* The same test by the normal approximation whatever the sizes, with the
 * continuity correction of 1/2 if correct (R's wilcox.test(exact = FALSE,
 * correct = ...), SciPy's method = "asymptotic"). Errors as above. */
int stats_mann_whitney_normal(const double *x, size_t m, const double *y, size_t n,
			      bool correct, struct stats_mw *out);

/* The Hodges-Lehmann estimate of the shift x - y (the median of the m*n
 * differences x_i - y_j) and its confidence interval at 1 - alpha:
 * [d_(k), d_(mn+1-k)], the k-th smallest and k-th largest difference
 * (Hollander & Wolfe 2014, §4.3). With the exact distribution (m, n <
 * STATS_EXACT_MAX_N, no ties) k is the least u with P(U <= u) >= alpha/2,
 * as R's qwilcox, so P(U <= k - 1) < alpha/2; otherwise k = floor(mn/2 +
 * 1/2 - z_{1-alpha/2} sigma), sigma tie-corrected: the shifts that the
 * continuity-corrected test does not reject. Always 1 <= k <= (mn+1)/2.
 * Each order statistic is found without forming the differences, by
 * bisection with a counting walk, then quickselect once at most m + n
 * candidates remain (see stats.c).
 * -EINVAL as stats_mann_whitney, or alpha not in [1e-6, 0.5]; -E2BIG as
 * stats_mann_whitney. Borrows x and y; writes *out only on success. */
int stats_hodges_lehmann(const double *x, size_t m, const double *y, size_t n,
			 double alpha, struct stats_hl *out);

/* Both of the above on one pair of samples, sorting once. Either out-param
 * may be NULL. Errors as stats_hodges_lehmann. */
int stats_compare(const double *x, size_t m, const double *y, size_t n, double alpha,
		  struct stats_mw *mw, struct stats_hl *hl);

/* The exact null distribution of U for sizes m and n (no ties):
 * P(U <= u). -EINVAL if m or n is 0 or not below STATS_EXACT_MAX_N, or u is
 * NaN. u below 0 gives 0, at or above m*n gives 1. */
int stats_mw_cdf_exact(size_t m, size_t n, double u, double *p);

/* The standard normal distribution: Phi(z) (via erfc, accurate in both
 * tails) and its inverse for p in (0, 1) (NaN outside). */
double stats_norm_cdf(double z);
double stats_norm_quantile(double p);

/* Fisher's exact test, one-sided, on the 2x2 table of errors a of na trials
 * (canary) against b of nb (baseline): P(A >= a) under the hypergeometric
 * distribution of A given the margins, i.e. the p-value for H1 "the
 * canary's error rate is higher". -EINVAL if a > na, b > nb or
 * na + nb > 2^52. The sum stops once its terms no longer change the
 * result (at most 2^20 terms, then -ERANGE). */
int stats_fisher_greater(uint64_t a, uint64_t na, uint64_t b, uint64_t nb, double *p);

/* The pooled two-proportion z test of a/na against b/nb, one-sided for H1
 * "a/na is higher": z = (pa - pb) / sqrt(p(1-p)(1/na + 1/nb)) with
 * p = (a + b)/(na + nb); p-value 1 - Phi(z). z = 0 and p = 1 when the
 * pooled rate is 0 or 1. -EINVAL as stats_fisher_greater or na, nb = 0. */
int stats_prop_z_greater(uint64_t a, uint64_t na, uint64_t b, uint64_t nb, double *z,
			 double *p);

#endif
