/* Shared helpers of the benchmarks (benchutil.h). */
#include "benchutil.h"
#include "util/timeutil.h"

char *const bench_sh_true[] = { "/bin/sh", "-c", "true", NULL };
char *const bench_bwrap_true[] = {
	"bwrap", "--unshare-all", "--die-with-parent", "--new-session",
	"--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
	"--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
	"--", "/bin/sh", "-c", "true", NULL
};

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
