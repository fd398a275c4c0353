/*
 * Unit tests for verify/stats.c against published reference values. Each
 * test names its source. "R 4.2.2" values were printed by R's own
 * wilcox.test / fisher.test / prop.test (Debian package r-base-core) on the
 * data of R's documented examples; the short figures in quotes are the
 * ones printed in those help pages. Property tests (symmetry, shift
 * invariance, agreement with brute force) need no reference.
 */
#include <math.h>

#include "tap.h"
#include "verify/stats.h"

#define NEAR(a, b, tol)                                                        \
	do {                                                                   \
		double n_a = (a), n_b = (b);                                   \
		if (!(fabs(n_a - n_b) <= (tol)))                               \
			tap_fail(__FILE__, __LINE__, "%s == %.17g, want %.17g (+-%g)", \
				 #a, n_a, n_b, (double)(tol));                 \
	} while (0)

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* R's ?wilcox.test, two-sample example: "Hollander & Wolfe (1973), 69f.
 * Permeability constants of the human chorioamnion (a placental membrane)
 * at term (x) and between 12 to 26 weeks gestational age (y)." */
static const double hw_x[] = { 0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46 };
static const double hw_y[] = { 1.15, 0.88, 0.90, 0.74, 1.21 };

/* R's ?wilcox.test, formula example: airquality Ozone, Month 5 (x) against
 * Month 8 (y), NAs removed (R's datasets package). */
static const double oz5[] = { 41, 36, 12, 18, 28, 23, 19, 8, 7, 16, 11, 14, 18,
			      14, 34, 6, 30, 11, 1, 11, 4, 32, 23, 45, 115, 37 };
static const double oz8[] = { 39, 9, 16, 78, 35, 66, 122, 89, 110, 44, 28, 65, 22,
			      59, 23, 31, 44, 21, 9, 45, 168, 73, 76, 118, 84, 85 };

TEST(wilcox_exact_hollander_wolfe)
{
	struct stats_mw r;

	/* R: wilcox.test(x, y, alternative = "g") prints "W = 35, p-value =
	 * 0.1272"; r$p.value is 0.127206127206127 (= 382/3003). */
	CHECK_INT(stats_mann_whitney(hw_x, N(hw_x), hw_y, N(hw_y), &r), 0);
	CHECK(r.exact);
	CHECK(!r.ties);
	NEAR(r.u, 35, 0);
	NEAR(r.p_greater, 0.1272, 5e-5);
	NEAR(r.p_greater, 0.127206127206127, 1e-13);
	/* R 4.2.2: wilcox.test(x, y)$p.value, two-sided exact */
	NEAR(r.p_two_sided, 0.254412254412254, 1e-13);
}

TEST(wilcox_normal_uncorrected_hollander_wolfe)
{
	struct stats_mw r;

	/* R: wilcox.test(x, y, alternative = "greater", exact = FALSE,
	 * correct = FALSE), "H&W large sample approximation": p = 0.1103
	 * (R 4.2.2: 0.110335680959923). */
	CHECK_INT(stats_mann_whitney_normal(hw_x, N(hw_x), hw_y, N(hw_y), false, &r), 0);
	NEAR(r.p_greater, 0.1103, 5e-5);
	NEAR(r.p_greater, 0.110335680959923, 1e-12);
	/* R 4.2.2: wilcox.test(x, y, exact = FALSE)$p.value, corrected */
	CHECK_INT(stats_mann_whitney_normal(hw_x, N(hw_x), hw_y, N(hw_y), true, &r), 0);
	NEAR(r.p_two_sided, 0.244623605126983, 1e-12);
}

TEST(hodges_lehmann_hollander_wolfe)
{
	struct stats_hl h;

	/* R 4.2.2: wilcox.test(x, y, conf.int = TRUE): "difference in
	 * location 0.305", 95 percent confidence interval -0.15 0.76; with
	 * conf.level = 0.90: -0.08 0.72. */
	CHECK_INT(stats_hodges_lehmann(hw_x, N(hw_x), hw_y, N(hw_y), 0.05, &h), 0);
	CHECK(h.exact);
	NEAR(h.estimate, 0.305, 1e-12);
	NEAR(h.lower, -0.15, 1e-12);
	NEAR(h.upper, 0.76, 1e-12);
	/* R: qwilcox(0.025, 10, 5) = 9 */
	CHECK_INT(h.k, 9);
	CHECK(h.achieved >= 0.95);
	CHECK_INT(stats_hodges_lehmann(hw_x, N(hw_x), hw_y, N(hw_y), 0.10, &h), 0);
	NEAR(h.lower, -0.08, 1e-12);
	NEAR(h.upper, 0.72, 1e-12);
}

TEST(wilcox_ties_airquality)
{
	struct stats_mw r;
	struct stats_hl h;

	/* R: wilcox.test(Ozone ~ Month, data = airquality, subset = Month %in%
	 * c(5, 8)) prints "W = 127.5, p-value = 0.0001208" (normal
	 * approximation with ties and continuity correction; R 4.2.2:
	 * 0.000120807830768774). */
	CHECK_INT(stats_compare(oz5, N(oz5), oz8, N(oz8), 0.05, &r, &h), 0);
	CHECK(!r.exact);
	CHECK(r.ties);
	NEAR(r.u, 127.5, 0);
	NEAR(r.p_two_sided, 0.0001208, 5e-8);
	NEAR(r.p_two_sided, 0.000120807830768774, 1e-15);
	/* R 4.2.2, alternative = "less": 6.04039153843872e-05 */
	NEAR(r.p_less, 6.04039153843872e-05, 1e-16);
	/* R 4.2.2, conf.int = TRUE: estimate -31.99996, interval -52.99999
	 * -14.99998 (R inverts the test by root finding, to tol 1e-4; the
	 * order statistics it approximates are -32, -53 and -15). */
	NEAR(h.estimate, -31.9999587219324, 1e-3);
	NEAR(h.lower, -52.9999854162704, 1e-3);
	NEAR(h.upper, -14.9999789830252, 1e-3);
}

TEST(scipy_mannwhitneyu_example)
{
	struct stats_mw r;
	/* SciPy docs, scipy.stats.mannwhitneyu: ages at diagnosis of type II
	 * diabetes; "MannwhitneyuResult(statistic=17.0,
	 * pvalue=0.1111111111111111)", and with method="asymptotic"
	 * "pvalue=0.11134688653314041". */
	static const double males[] = { 19, 22, 16, 29, 24 };
	static const double females[] = { 20, 11, 17, 12 };

	CHECK_INT(stats_mann_whitney(males, 5, females, 4, &r), 0);
	CHECK(r.exact);
	NEAR(r.u, 17, 0);
	NEAR(r.p_two_sided, 0.1111111111111111, 1e-15);
	CHECK_INT(stats_mann_whitney_normal(males, 5, females, 4, true, &r), 0);
	NEAR(r.p_two_sided, 0.11134688653314041, 1e-14);
	/* and U2 = 20 - 17 = 3 with the samples swapped */
	CHECK_INT(stats_mann_whitney(females, 4, males, 5, &r), 0);
	NEAR(r.u, 3, 0);
}

TEST(exact_distribution_tables)
{
	static const double mw47_n3[] = { 0.050, 0.100, 0.200, 0.350, 0.500 };
	/* R 4.2.2: pwilcox(0:5, 10, 5) */
	static const double r_10_5[] = { 0.000333000333000333, 0.000666000666000666,
					 0.001332001332001332, 0.002331002331002331,
					 0.003996003996003996, 0.006327006327006327 };
	double p;

	/* Mann & Whitney (1947), Table I, n = m = 3: P(U <= u), u = 0..4 */
	for (int u = 0; u <= 4; u++) {
		CHECK_INT(stats_mw_cdf_exact(3, 3, u, &p), 0);
		NEAR(p, mw47_n3[u], 1e-12);
	}
	for (int u = 0; u <= 5; u++) {
		CHECK_INT(stats_mw_cdf_exact(10, 5, u, &p), 0);
		NEAR(p, r_10_5[u], 1e-15);
		CHECK_INT(stats_mw_cdf_exact(5, 10, u, &p), 0);
		NEAR(p, r_10_5[u], 1e-15);
	}
	CHECK_INT(stats_mw_cdf_exact(10, 5, 50, &p), 0);
	NEAR(p, 1, 0);
	CHECK_INT(stats_mw_cdf_exact(10, 5, -1, &p), 0);
	NEAR(p, 0, 0);
	CHECK_INT(stats_mw_cdf_exact(0, 5, 1, &p), -EINVAL);
	CHECK_INT(stats_mw_cdf_exact(50, 5, 1, &p), -EINVAL);
}

/* The largest u with P(U <= u) <= alpha/2: a table's critical value. */
static int critical_u(size_t n, double alpha)
{
	double p;
	int u = -1;
	while (stats_mw_cdf_exact(n, n, u + 1, &p) == 0 && p <= alpha / 2)
		u++;
	return u;
}

TEST(exact_critical_values)
{
	/* Critical values of U, two-sided alpha = 0.05, equal sizes, as in
	 * the usual printed tables of the Mann-Whitney U (the largest U
	 * significant at 0.05); R 4.2.2 agrees: qwilcox(0.025, n, n) - 1.
	 * n = 5: 2, n = 8: 13, n = 10: 23, n = 20: 127. */
	CHECK_INT(critical_u(5, 0.05), 2);
	CHECK_INT(critical_u(8, 0.05), 13);
	CHECK_INT(critical_u(10, 0.05), 23);
	CHECK_INT(critical_u(20, 0.05), 127);
}

TEST(exact_matches_enumeration)
{
	/* Property: the recurrence equals counting every one of the C(9, 4)
	 * placements of 4 x's among 9 ranks. */
	double count[21] = { 0 }, total = 0, cum = 0, p;

	for (unsigned mask = 0; mask < (1u << 9); mask++) {
		int u = 0, seen_y = 0;
		if (__builtin_popcount(mask) != 4)
			continue;
		for (int r = 0; r < 9; r++) {
			if (mask & (1u << r))
				u += seen_y; /* an x beats every y below it */
			else
				seen_y++;
		}
		count[u]++;
		total++;
	}
	for (int u = 0; u <= 20; u++) {
		cum += count[u];
		CHECK_INT(stats_mw_cdf_exact(4, 5, u, &p), 0);
		NEAR(p, cum / total, 1e-15);
	}
}

TEST(normal_quantiles)
{
	/* Abramowitz & Stegun (1964), Table 26.5: upper percentage points
	 * of the normal distribution */
	NEAR(stats_norm_quantile(0.975), 1.959963985, 1e-9);
	NEAR(stats_norm_quantile(0.95), 1.644853627, 1e-9);
	NEAR(stats_norm_quantile(0.995), 2.575829304, 1e-9);
	NEAR(stats_norm_quantile(0.025), -1.959963985, 1e-9);
	NEAR(stats_norm_quantile(0.5), 0, 0);
	NEAR(stats_norm_cdf(stats_norm_quantile(1e-10)), 1e-10, 1e-20);
	CHECK(isnan(stats_norm_quantile(0)));
	CHECK(isnan(stats_norm_quantile(1)));
}

TEST(fisher_exact_published)
{
	double p;

	/* R's ?fisher.test, Fisher's Tea Tasting: "fisher.test(TeaTasting,
	 * alternative = "greater") ## => p = 0.2429" (= 17/70; Agresti 2013,
	 * §3.5.2). 3 of 4 right among cups with milk first, 1 of 4 other. */
	CHECK_INT(stats_fisher_greater(3, 4, 1, 4, &p), 0);
	NEAR(p, 0.2429, 5e-5);
	NEAR(p, 17.0 / 70, 1e-14);
	/* R's ?fisher.test, Convictions of like-sex twins of criminals
	 * (Fisher 1962, 1970): monozygotic 10 of 13 convicted, dizygotic 2 of 17;
	 * "fisher.test(Convictions, alternative = "less")" p-value =
	 * 0.0004652 (R 4.2.2: 0.000465180943362905). */
	CHECK_INT(stats_fisher_greater(10, 13, 2, 17, &p), 0);
	NEAR(p, 0.000465180943362905, 1e-15);
	/* no errors at all: nothing is significant */
	CHECK_INT(stats_fisher_greater(0, 400, 0, 400, &p), 0);
	NEAR(p, 1, 0);
	CHECK_INT(stats_fisher_greater(5, 4, 0, 4, &p), -EINVAL);
}

TEST(fisher_large_counts_stay_bounded)
{
	double p, z, pz;

	/* Property: with millions of requests the sum stops early and
	 * agrees with the z test to within the normal approximation. */
	CHECK_INT(stats_fisher_greater(10300, 1000000, 10000, 1000000, &p), 0);
	CHECK_INT(stats_prop_z_greater(10300, 1000000, 10000, 1000000, &z, &pz), 0);
	CHECK(p > 0.01 && p < 0.03);
	NEAR(p, pz, 0.005);
}

TEST(two_proportion_z_aspirin)
{
	double z, p;

	/* Physicians' Health Study, the aspirin 2x2 table of Agresti's
	 * textbooks (Categorical Data Analysis, ch. 2-3): 189
	 * myocardial infarctions of 11034 on placebo, 104 of 11037 on
	 * aspirin. R 4.2.2: prop.test(c(189, 104), c(11034, 11037), correct
	 * = FALSE): X-squared = 25.0138839671941 (= z^2); alternative =
	 * "greater": p = 2.84594848687042e-07. */
	CHECK_INT(stats_prop_z_greater(189, 11034, 104, 11037, &z, &p), 0);
	NEAR(z * z, 25.0138839671941, 1e-9);
	NEAR(p, 2.84594848687042e-07, 1e-17);
	CHECK_INT(stats_prop_z_greater(0, 10, 0, 10, &z, &p), 0);
	NEAR(p, 1, 0);
	CHECK_INT(stats_prop_z_greater(1, 0, 0, 10, &z, &p), -EINVAL);
}

TEST(quantiles_definition_7)
{
	static const double v[] = { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 };
	struct stats_summary s;

	/* R 4.2.2: quantile(1:10, c(0.5, 0.9, 0.99)) = 5.50 9.10 9.91
	 * (type 7, Hyndman & Fan 1996) */
	CHECK_INT(stats_summary(v, N(v), &s), 0);
	NEAR(s.median, 5.5, 1e-12);
	NEAR(s.p90, 9.1, 1e-12);
	NEAR(s.p99, 9.91, 1e-12);
	NEAR(s.mean, 5.5, 1e-12);
	NEAR(s.min, 1, 0);
	NEAR(s.max, 10, 0);
	CHECK_INT(stats_summary(v, 0, &s), 0);
	CHECK_INT(s.n, 0);
}

/* A small deterministic generator for the property tests. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static double rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double wild(size_t i)
{
	switch (i % 7) {
	case 0: return 1e300 * rnd();
	case 1: return -1e299 * rnd();
	case 2: return 1e-300 * rnd();
	case 3: return exp(rnd() * 40);
	default: return rnd();
	}
}

TEST(selection_matches_brute_force)
{
	/* Property: the HL estimate and bounds are the median and order
	 * statistics of the materialised differences, for sizes on both
	 * sides of the exact limit, with and without ties. */
	static const size_t sizes[][2] = { { 1, 1 },    { 3, 7 },    { 12, 12 }, { 49, 30 },
					   { 60, 75 },  { 120, 33 }, { 300, 250 }, { 900, 700 } };
	for (size_t t = 0; t < N(sizes); t++) {
		for (int ties = 0; ties < 3; ties++) {
			size_t m = sizes[t][0], n = sizes[t][1], mn = m * n;
			double *x = malloc(m * sizeof(double)), *y = malloc(n * sizeof(double));
			double *d = malloc(mn * sizeof(double)), med;
			struct stats_hl h;

			/* 0: continuous; 1: heavy ties; 2: heavy tails and
			 * extreme magnitudes, the worst case for bisection */
			for (size_t i = 0; i < m; i++)
				x[i] = ties == 1 ? floor(rnd() * 8)
				       : ties == 2 ? wild(i)
						   : rnd() * 100 - 30;
			for (size_t i = 0; i < n; i++)
				y[i] = ties == 1 ? floor(rnd() * 8)
				       : ties == 2 ? wild(i + 7)
						   : rnd() * 90 - 20;
			for (size_t i = 0; i < m; i++)
				for (size_t k = 0; k < n; k++)
					d[i * n + k] = x[i] - y[k];
			qsort(d, mn, sizeof(double), cmp_d);
			med = mn % 2 ? d[mn / 2] : d[mn / 2 - 1] / 2 + d[mn / 2] / 2;
			CHECK_INT(stats_hodges_lehmann(x, m, y, n, 0.05, &h), 0);
			NEAR(h.estimate, med, 0);
			CHECK(h.k >= 1 && h.k <= (mn + 1) / 2);
			NEAR(h.lower, d[h.k - 1], 0);
			NEAR(h.upper, d[mn - h.k], 0);
			free(x);
			free(y);
			free(d);
		}
	}
}

TEST(swapping_samples_mirrors)
{
	/* Property: U(y, x) = mn - U(x, y), the shift and interval change
	 * sign, the two one-sided p-values trade places. */
	double x[40], y[33];
	struct stats_mw a, b;
	struct stats_hl ha, hb;

	for (size_t i = 0; i < 40; i++)
		x[i] = exp(rnd());
	for (size_t i = 0; i < 33; i++)
		y[i] = exp(rnd()) + 0.2;
	CHECK_INT(stats_compare(x, 40, y, 33, 0.05, &a, &ha), 0);
	CHECK_INT(stats_compare(y, 33, x, 40, 0.05, &b, &hb), 0);
	CHECK(a.exact && b.exact);
	NEAR(a.u + b.u, 40 * 33, 0);
	NEAR(a.p_two_sided, b.p_two_sided, 1e-15);
	NEAR(a.p_greater, b.p_less, 1e-15);
	NEAR(ha.estimate, -hb.estimate, 0);
	NEAR(ha.lower, -hb.upper, 0);
	NEAR(ha.upper, -hb.lower, 0);
}

TEST(shift_moves_estimate)
{
	/* Property: adding c to every canary value adds c to the estimate
	 * and both bounds (integers, so the arithmetic is exact); the
	 * U test of x + c against y + c is unchanged. */
	double x[300], y[250], xc[300], yc[250];
	struct stats_mw a, b;
	struct stats_hl ha, hb;

	for (size_t i = 0; i < 300; i++) {
		x[i] = floor(rnd() * 1000);
		xc[i] = x[i] + 37;
	}
	for (size_t i = 0; i < 250; i++) {
		y[i] = floor(rnd() * 900);
		yc[i] = y[i] + 37;
	}
	CHECK_INT(stats_compare(x, 300, y, 250, 0.05, &a, &ha), 0);
	CHECK_INT(stats_compare(xc, 300, y, 250, 0.05, NULL, &hb), 0);
	NEAR(hb.estimate, ha.estimate + 37, 0);
	NEAR(hb.lower, ha.lower + 37, 0);
	NEAR(hb.upper, ha.upper + 37, 0);
	CHECK_INT(stats_compare(xc, 300, yc, 250, 0.05, &b, NULL), 0);
	NEAR(a.u, b.u, 0);
	NEAR(a.p_two_sided, b.p_two_sided, 0);
}

TEST(identical_samples_give_p_one)
{
	double x[30];
	struct stats_mw r;
	struct stats_hl h;

	for (size_t i = 0; i < 30; i++)
		x[i] = rnd() * 10;
	CHECK_INT(stats_compare(x, 30, x, 30, 0.05, &r, &h), 0);
	NEAR(r.p_two_sided, 1, 0);
	NEAR(r.u, 450, 0);
	NEAR(h.estimate, 0, 0);
	CHECK(h.lower < 0 && h.upper > 0);
	/* all values equal: no variance, p = 1, the interval is a point */
	for (size_t i = 0; i < 30; i++)
		x[i] = 4;
	CHECK_INT(stats_compare(x, 30, x, 12, 0.05, &r, &h), 0);
	NEAR(r.p_two_sided, 1, 0);
	NEAR(r.sigma, 0, 0);
	NEAR(h.lower, 0, 0);
	NEAR(h.upper, 0, 0);
}

TEST(bad_input_is_refused)
{
	double ok[3] = { 1, 2, 3 }, nan3[3] = { 1, NAN, 3 }, inf3[3] = { 1, 2, INFINITY };
	double huge[3] = { 1, 2, 1e301 };
	struct stats_mw r;
	struct stats_hl h;
	struct stats_summary s;
	double *big;

	CHECK_INT(stats_mann_whitney(ok, 3, nan3, 3, &r), -EINVAL);
	CHECK_INT(stats_mann_whitney(inf3, 3, ok, 3, &r), -EINVAL);
	CHECK_INT(stats_mann_whitney(huge, 3, ok, 3, &r), -EINVAL);
	CHECK_INT(stats_mann_whitney(ok, 0, ok, 3, &r), -EINVAL);
	CHECK_INT(stats_summary(nan3, 3, &s), -EINVAL);
	CHECK_INT(stats_hodges_lehmann(ok, 3, ok, 3, 0.7, &h), -EINVAL);
	CHECK_INT(stats_hodges_lehmann(ok, 3, ok, 3, NAN, &h), -EINVAL);
	big = calloc(STATS_MAX_N + 1, sizeof(double));
	CHECK_INT(stats_mann_whitney(big, STATS_MAX_N + 1, ok, 3, &r), -E2BIG);
	free(big);
}

TEST(largest_samples_are_fast_and_exact)
{
	/* 100,000 values a side: 10^10 differences, never materialised. */
	size_t n = STATS_MAX_N;
	double *x = malloc(n * sizeof(double)), *y = malloc(n * sizeof(double));
	struct stats_mw r;
	struct stats_hl h;

	for (size_t i = 0; i < n; i++) {
		x[i] = (double)i + 5; /* x = y + 5 exactly */
		y[i] = (double)i;
	}
	CHECK_INT(stats_compare(x, n, y, n, 0.05, &r, &h), 0);
	CHECK(!r.exact);
	NEAR(h.estimate, 5, 0);
	CHECK(h.lower <= 5 && h.upper >= 5);
	/* the interval of a 5-unit shift among 1e5 spread values is narrow */
	CHECK(h.upper - h.lower < 1000);
	free(x);
	free(y);
}
