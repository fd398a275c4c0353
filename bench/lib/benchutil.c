/* Shared helpers of the benchmarks (benchutil.h). */
#include "benchutil.h"
#include "util/timeutil.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_pct(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[(int)((n - 1) * p + 0.5)];
}

void bench_die(const char *what, int rc)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, strerror(-rc));
	exit(1);
}

double bench_now_us(void)
{
	return (double)mono_ns() / 1e3;
}
