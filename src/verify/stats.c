/*
 * Two-sample statistics (see stats.h): the Mann-Whitney U test, the
 * Hodges-Lehmann shift and interval, robust summaries, and the 2x2 tests
 * for error rates.
 *
 * Three choices worth knowing:
 *
 *  - The exact null distribution of U (no ties, m, n < 50) comes from the
 *    q-binomial Pascal recurrence on the largest of N = m + n values, which
 *    is either an x (it beats the N - k y's) or a y (it beats none):
 *	G(k, N) = q^(N-k) G(k-1, N-1) + G(k, N-1),   G(0, N) = 1
 *    where G(k, N) is the generating polynomial of U for k x's among N
 *    values (Mann & Whitney 1947, eq. 1; Andrews, The Theory of
 *    Partitions, 1976, Thm. 3.3). Every coefficient is a positive count, so
 *    the doubles only round, never cancel.
 *  - The order statistics of the m*n differences x_i - y_j are selected
 *    without forming them. With x and y sorted, the number of differences
 *    at most t is counted by one staircase walk in O(m + n) (the matrix
 *    x_i - y_j is sorted along rows and columns: Frederickson & Johnson,
 *    "The complexity of selection and ranking in X + Y", SIAM J. Comput.
 *    13, 1984). The k-th smallest difference is the least double t with
 *    count(t) >= k; bisection finds it exactly: no sampling, no
 *    approximation error, O(m + n) memory. Bisecting the values converges
 *    in a dozen or two walks on real data; bisecting the 64-bit ordered
 *    representation of doubles bounds it to 64 more whatever the data;
 *    once at most m + n differences remain in the bracket they are
 *    collected and the one wanted is picked by quickselect.
 *  - Computed differences are rounded, but rounding is monotone, so the
 *    rounded x_i - y_j still decrease along j and increase along i, and
 *    the walk counts exactly the rounded values it selects among.
 */
#include <math.h>

#include "verify/stats.h"
#include "util/xalloc.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Copies v into a new sorted array, refusing what the module cannot judge.
 * -0.0 becomes +0.0 so that equal values compare and print alike. */
static int sorted_copy(const double *v, size_t n, double **out)
{
	double *s;

	if (n > STATS_MAX_N)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(v[i]) || fabs(v[i]) > STATS_MAX_ABS)
			return -EINVAL;
	s = xmalloc((n ? n : 1) * sizeof(*s));
	for (size_t i = 0; i < n; i++)
		s[i] = v[i] + 0.0;
	qsort(s, n, sizeof(*s), cmp_double);
	*out = s;
	return 0;
}

double stats_quantile_sorted(const double *sorted, size_t n, double q)
{
	double h, frac;
	size_t lo;

	if (n == 0)
		return 0;
	if (!(q > 0))
		return sorted[0];
	if (q >= 1)
		return sorted[n - 1];
	h = (double)(n - 1) * q; /* Hyndman & Fan 1996, definition 7 */
	lo = (size_t)h;
	if (lo >= n - 1)
		return sorted[n - 1];
	frac = h - (double)lo;
	return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

static void summarise_sorted(const double *s, size_t n, struct stats_summary *out)
{
	double sum = 0;

	memset(out, 0, sizeof(*out));
	out->n = n;
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	out->min = s[0];
	out->max = s[n - 1];
	out->mean = sum / (double)n;
	out->median = stats_quantile_sorted(s, n, 0.5);
	out->p90 = stats_quantile_sorted(s, n, 0.9);
	out->p99 = stats_quantile_sorted(s, n, 0.99);
}

int stats_summary(const double *v, size_t n, struct stats_summary *out)
{
	double *s;
	int rc;

	if ((rc = sorted_copy(v, n, &s)) < 0)
		return rc;
	summarise_sorted(s, n, out);
	free(s);
	return 0;
}

/* The standard normal distribution. */

double stats_norm_cdf(double z)
{
	if (isnan(z))
		return z;
	return 0.5 * erfc(-z / M_SQRT2);
}

static double norm_sf(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

double stats_norm_quantile(double p)
{
	double lo = -40, hi = 40, target;
	bool upper;

	if (!(p > 0 && p < 1))
		return NAN;
	if (p == 0.5)
		return 0;
	/* Bisect on the tail the answer lies in, so that small tail
	 * probabilities keep their precision; 128 halvings of [-40, 40] reach
	 * adjacent doubles, and the loop stops there. */
	upper = p > 0.5;
	target = upper ? 1 - p : p;
	for (int i = 0; i < 128; i++) {
		double mid = lo + (hi - lo) / 2;
		double f = upper ? norm_sf(mid) : stats_norm_cdf(mid);
		if (mid <= lo || mid >= hi)
			break;
		if (upper ? f > target : f < target)
			lo = mid;
		else
			hi = mid;
	}
	return lo + (hi - lo) / 2;
}

/* The exact null distribution of U. */

/* counts[u], u = 0..m*n: the number of the C(m+n, m) arrangements of m x's
 * and n y's in which U = u. Returns new, caller frees. m, n >= 1 and both
 * below STATS_EXACT_MAX_N. */
static double *mw_counts(size_t m, size_t n)
{
	size_t w = m * n + 1;
	double *g, *out;

	if (m > n) { /* U's distribution is the same with the roles swapped */
		size_t t = m;
		m = n;
		n = t;
	}
	g = XNEW(double, (m + 1) * w);
	g[0] = 1; /* G(0, N) = 1 for every N */
	for (size_t N = 1; N <= m + n; N++) {
		size_t kmax = N < m ? N : m;
		size_t kmin = N > n ? N - n : 1;
		for (size_t k = kmax; k >= kmin && k >= 1; k--) {
			/* G(k, N) = q^(N-k) G(k-1, N-1) + G(k, N-1), in place:
			 * row k-1 still holds N-1 since k descends. */
			size_t shift = N - k;
			size_t deg = (k - 1) * (N - k); /* of G(k-1, N-1) */
			const double *src = g + (k - 1) * w;
			double *dst = g + k * w;
			for (size_t u = deg + 1; u-- > 0;)
				dst[u + shift] += src[u];
		}
	}
	out = xmalloc(w * sizeof(*out));
	memcpy(out, g + m * w, w * sizeof(*out));
	free(g);
	return out;
}

/* P(U <= u) from counts; u an integer in [0, mn]. */
static double counts_cdf(const double *c, size_t mn, double total, double u)
{
	double s = 0;
	if (u < 0)
		return 0;
	if (u >= (double)mn)
		return 1;
	for (size_t v = 0; v <= (size_t)u; v++)
		s += c[v];
	return s / total > 1 ? 1 : s / total;
}

static double counts_total(const double *c, size_t mn)
{
	double t = 0;
	for (size_t v = 0; v <= mn; v++)
		t += c[v];
	return t;
}

int stats_mw_cdf_exact(size_t m, size_t n, double u, double *p)
{
	double *c;

	if (m == 0 || n == 0 || m >= STATS_EXACT_MAX_N || n >= STATS_EXACT_MAX_N || isnan(u))
		return -EINVAL;
	c = mw_counts(m, n);
	*p = counts_cdf(c, m * n, counts_total(c, m * n), floor(u));
	free(c);
	return 0;
}

/* Ranks: U, ties, and the null variance from the two sorted samples. */
static void rank_sums(const double *xs, size_t m, const double *ys, size_t n,
		      struct stats_mw *r)
{
	size_t i = 0, j = 0;
	double u = 0, tie = 0, N = (double)(m + n), var;

	while (i < m || j < n) {
		double v = (j >= n || (i < m && xs[i] <= ys[j])) ? xs[i] : ys[j];
		size_t cx = 0, cy = 0, t;
		while (i + cx < m && xs[i + cx] == v)
			cx++;
		while (j + cy < n && ys[j + cy] == v)
			cy++;
		/* each of these x's beats the j smaller y's and ties cy */
		u += (double)cx * ((double)j + (double)cy / 2);
		t = cx + cy;
		if (t > 1)
			tie += (double)t * (double)t * (double)t - (double)t;
		i += cx;
		j += cy;
	}
	memset(r, 0, sizeof(*r));
	r->m = m;
	r->n = n;
	r->u = u;
	r->tie_term = tie;
	r->ties = tie > 0;
	/* Lehmann 1975, eq. 1.52: Var U = mn/12 (N + 1 - sum(t^3 - t)/(N(N - 1))) */
	var = N > 1 ? (double)m * (double)n / 12 * ((N + 1) - tie / (N * (N - 1))) : 0;
	r->sigma = var > 0 ? sqrt(var) : 0;
}

static double clamp01(double p)
{
	return p < 0 ? 0 : p > 1 ? 1 : p;
}

/* p-values by the normal approximation with continuity correction, each
 * alternative with its own correction (as R's wilcox.test). */
static void normal_pvalues(struct stats_mw *r, double cc)
{
	double mn = (double)r->m * (double)r->n, d = r->u - mn / 2;

	r->exact = false;
	if (r->sigma <= 0) {
		r->z = 0;
		r->p_two_sided = r->p_greater = r->p_less = 1;
		return;
	}
	r->z = (d - (d > 0 ? cc : d < 0 ? -cc : 0)) / r->sigma;
	r->p_two_sided = clamp01(2 * fmin(stats_norm_cdf(r->z), norm_sf(r->z)));
	r->p_greater = clamp01(norm_sf((d - cc) / r->sigma));
	r->p_less = clamp01(stats_norm_cdf((d + cc) / r->sigma));
}

static void exact_pvalues(struct stats_mw *r, const double *c, double total)
{
	size_t mn = r->m * r->n;
	double mnd = (double)mn, d = r->u - mnd / 2;

	r->exact = true;
	r->z = r->sigma > 0 ? (d - (d > 0 ? 0.5 : d < 0 ? -0.5 : 0)) / r->sigma : 0;
	/* P(U >= u) = P(U <= mn - u) by symmetry; no cancellation */
	r->p_less = counts_cdf(c, mn, total, r->u);
	r->p_greater = counts_cdf(c, mn, total, mnd - r->u);
	r->p_two_sided = clamp01(2 * fmin(r->p_less, r->p_greater));
}

/* Order statistics of the differences x_i - y_j. */

static int64_t dkey(double d)
{
	int64_t b;
	memcpy(&b, &d, sizeof(b));
	return b >= 0 ? b : -(b & INT64_MAX) - 1;
}

static double dval(int64_t k)
{
	int64_t b = k >= 0 ? k : ((-(k + 1)) | INT64_MIN);
	double d;
	memcpy(&d, &b, sizeof(d));
	return d;
}

/* The number of pairs with x_i - y_j <= t (as computed), by a staircase:
 * for ascending x_i, the first y index at which the difference drops to t
 * never moves back. */
static uint64_t count_le(const double *xs, size_t m, const double *ys, size_t n, double t)
{
	uint64_t c = 0;
	size_t j = 0;

	for (size_t i = 0; i < m; i++) {
		while (j < n && xs[i] - ys[j] > t)
			j++;
		c += n - j;
	}
	return c;
}

/* The differences in (lo, hi], which number `want`, into out[]. The two
 * staircases of count_le, for lo and for hi, walked together. */
static void diff_collect(const double *xs, size_t m, const double *ys, size_t n, double lo,
			 double hi, double *out, uint64_t want)
{
	size_t jl = 0, jh = 0, c = 0;

	for (size_t i = 0; i < m; i++) {
		while (jh < n && xs[i] - ys[jh] > hi)
			jh++;
		while (jl < n && xs[i] - ys[jl] > lo)
			jl++;
		for (size_t j = jh; j < jl && c < want; j++)
			out[c++] = xs[i] - ys[j];
	}
}

/* The element of rank k (0-based) of v[0..n), reordering v: Hoare's FIND
 * (CACM 4(7), 1961) with a median-of-three pivot. */
static double quickselect(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (hi > lo) {
		size_t mid = lo + (hi - lo) / 2, i = lo, j = hi;
		double a = v[lo], b = v[mid], c = v[hi], pivot, t;
		pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

/* The k-th smallest of the m*n differences, 1 <= k <= m*n.
 *
 * Invariant: count_le(dval(lo)) < k <= count_le(dval(hi)). Each step
 * halves either the value range (fast on real data: the counts shrink
 * with it) or, when that did not shrink the count by a quarter, the range
 * of 64-bit keys (at most 64 such steps whatever the data). Once at most
 * m + n differences remain in (lo, hi], they are collected and the one
 * wanted is selected. */
static double diff_select(const double *xs, size_t m, const double *ys, size_t n, uint64_t k)
{
	int64_t lo = dkey(xs[0] - ys[n - 1]) - 1, hi = dkey(xs[m - 1] - ys[0]);
	uint64_t clo = 0, chi = (uint64_t)m * n, room = m + n;
	bool by_value = true;
	double *cand, r;

	while ((uint64_t)hi - (uint64_t)lo > 1 && chi - clo > room) {
		uint64_t span = (uint64_t)hi - (uint64_t)lo, before = chi - clo, c;
		int64_t mid = lo + (int64_t)(span / 2);
		if (by_value) {
			double v = dval(lo) / 2 + dval(hi) / 2;
			int64_t kv = dkey(v);
			if (kv > lo && kv < hi)
				mid = kv;
		}
		c = count_le(xs, m, ys, n, dval(mid));
		if (c >= k) {
			hi = mid;
			chi = c;
		} else {
			lo = mid;
			clo = c;
		}
		by_value = chi - clo <= before - before / 4;
	}
	if ((uint64_t)hi - (uint64_t)lo <= 1)
		return dval(hi) + 0.0;
	cand = xmalloc((size_t)(chi - clo) * sizeof(*cand));
	diff_collect(xs, m, ys, n, dval(lo), dval(hi), cand, chi - clo);
	r = quickselect(cand, (size_t)(chi - clo), (size_t)(k - clo - 1)) + 0.0;
	free(cand);
	return r;
}

static void hodges_lehmann(const double *xs, size_t m, const double *ys, size_t n,
			   double alpha, const struct stats_mw *mw, const double *c,
			   double total, struct stats_hl *out)
{
	uint64_t mn = (uint64_t)m * n, k;

	memset(out, 0, sizeof(*out));
	if (mn % 2)
		out->estimate = diff_select(xs, m, ys, n, mn / 2 + 1);
	else
		out->estimate = diff_select(xs, m, ys, n, mn / 2) / 2 +
				diff_select(xs, m, ys, n, mn / 2 + 1) / 2;
	out->conf = 1 - alpha;
	if (c) {
		/* k = the least u with P(U <= u) >= alpha/2 (R's qwilcox),
		 * so P(U <= k - 1) < alpha/2 and coverage >= 1 - alpha. */
		double s = 0;
		k = 0;
		while (k < mn && (s + c[k]) / total < alpha / 2)
			s += c[k++];
		out->exact = true;
		if (k == 0)
			k = 1;
		out->achieved = 1 - 2 * counts_cdf(c, (size_t)mn, total, (double)k - 1);
	} else {
		/* The shifts the continuity-corrected test does not reject:
		 * k = floor(mn/2 + 1/2 - z sigma) (Hollander & Wolfe 2014,
		 * §4.3, large-sample approximation to C_alpha). */
		double z = stats_norm_quantile(1 - alpha / 2);
		double kk = floor((double)mn / 2 + 0.5 - z * mw->sigma);
		k = kk < 1 ? 1 : kk > (double)mn ? mn : (uint64_t)kk;
		out->achieved = out->conf;
	}
	if (k > (mn + 1) / 2)
		k = (mn + 1) / 2;
	out->k = k;
	out->lower = diff_select(xs, m, ys, n, k);
	out->upper = diff_select(xs, m, ys, n, mn + 1 - k);
}

int stats_compare(const double *x, size_t m, const double *y, size_t n, double alpha,
		  struct stats_mw *mw, struct stats_hl *hl)
{
	double *xs = NULL, *ys = NULL, *c = NULL, total = 0;
	struct stats_mw r;
	int rc;

	if (m == 0 || n == 0)
		return -EINVAL;
	if (hl && !(alpha >= 1e-6 && alpha <= 0.5))
		return -EINVAL;
	if ((rc = sorted_copy(x, m, &xs)) < 0)
		return rc;
	if ((rc = sorted_copy(y, n, &ys)) < 0)
		goto out;
	rank_sums(xs, m, ys, n, &r);
	if (!r.ties && m < STATS_EXACT_MAX_N && n < STATS_EXACT_MAX_N) {
		c = mw_counts(m, n);
		total = counts_total(c, m * n);
		exact_pvalues(&r, c, total);
	} else {
		normal_pvalues(&r, 0.5);
	}
	if (hl)
		hodges_lehmann(xs, m, ys, n, alpha, &r, c, total, hl);
	if (mw)
		*mw = r;
out:
	free(c);
	free(xs);
	free(ys);
	return rc;
}

int stats_mann_whitney(const double *x, size_t m, const double *y, size_t n,
		       struct stats_mw *out)
{
	return stats_compare(x, m, y, n, 0.05, out, NULL);
}

int stats_mann_whitney_normal(const double *x, size_t m, const double *y, size_t n,
			      bool correct, struct stats_mw *out)
{
	double *xs = NULL, *ys = NULL;
	struct stats_mw r;
	int rc;

	if (m == 0 || n == 0)
		return -EINVAL;
	if ((rc = sorted_copy(x, m, &xs)) < 0)
		return rc;
	if ((rc = sorted_copy(y, n, &ys)) == 0) {
		rank_sums(xs, m, ys, n, &r);
		normal_pvalues(&r, correct ? 0.5 : 0);
		*out = r;
	}
	free(xs);
	free(ys);
	return rc;
}

int stats_hodges_lehmann(const double *x, size_t m, const double *y, size_t n,
			 double alpha, struct stats_hl *out)
{
	return stats_compare(x, m, y, n, alpha, NULL, out);
}

/* 2x2 tables. */

#define COUNT_MAX ((uint64_t)1 << 52)

int stats_fisher_greater(uint64_t a, uint64_t na, uint64_t b, uint64_t nb, double *p)
{
	/* A ~ Hypergeometric(N, K, na): the canary's share of the K errors. */
	double N, K, NA, up = 0, total = 1, t;
	int64_t lo, hi, mode;
	long steps = 0;

	if (a > na || b > nb || na > COUNT_MAX || nb > COUNT_MAX || na + nb > COUNT_MAX)
		return -EINVAL;
	N = (double)(na + nb);
	K = (double)(a + b);
	NA = (double)na;
	lo = (int64_t)(a + b > nb ? a + b - nb : 0); /* max(0, na + K - N) */
	hi = (int64_t)(a + b < na ? a + b : na);
	if ((int64_t)a <= lo) {
		*p = 1;
		return 0;
	}
	/* Sum the probabilities relative to the mode's, outwards, until the
	 * terms no longer matter: no factorials, no overflow (Agresti 2013,
	 * §3.5.1; the ratio of successive hypergeometric terms). */
	mode = (int64_t)floor((NA + 1) * (K + 1) / (N + 2));
	if (mode < lo)
		mode = lo;
	if (mode > hi)
		mode = hi;
	if (mode >= (int64_t)a)
		up = 1;
	t = 1;
	for (int64_t k = mode; k < hi; k++) { /* term k+1 from term k */
		double kd = (double)k;
		t *= (K - kd) * (NA - kd) / ((kd + 1) * (N - K - NA + kd + 1));
		total += t;
		if (k + 1 >= (int64_t)a)
			up += t;
		if (t < total * 1e-20)
			break;
		if (++steps > (1L << 20))
			return -ERANGE;
	}
	t = 1;
	for (int64_t k = mode; k > lo; k--) { /* term k-1 from term k */
		double kd = (double)k - 1;
		t /= (K - kd) * (NA - kd) / ((kd + 1) * (N - K - NA + kd + 1));
		total += t;
		if (k - 1 >= (int64_t)a)
			up += t;
		if (t < total * 1e-20)
			break;
		if (++steps > (2L << 20))
			return -ERANGE;
	}
	*p = clamp01(up / total);
	return 0;
}

int stats_prop_z_greater(uint64_t a, uint64_t na, uint64_t b, uint64_t nb, double *z,
			 double *p)
{
	double pa, pb, pp, se;

	if (na == 0 || nb == 0 || a > na || b > nb || na > COUNT_MAX || nb > COUNT_MAX ||
	    na + nb > COUNT_MAX)
		return -EINVAL;
	pa = (double)a / (double)na;
	pb = (double)b / (double)nb;
	pp = (double)(a + b) / (double)(na + nb);
	se = sqrt(pp * (1 - pp) * (1 / (double)na + 1 / (double)nb));
	if (!(se > 0)) {
		*z = 0;
		*p = 1;
		return 0;
	}
	*z = (pa - pb) / se;
	*p = clamp01(norm_sf(*z));
	return 0;
}
