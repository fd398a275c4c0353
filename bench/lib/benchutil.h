/*
 * What every benchmark needs: medians and percentiles of repeated trials
 * (the machine is shared and noisy, so no figure is a single run), and a
 * way to stop with a message.
 */
#ifndef VEND_BENCH_BENCHUTIL_H
#define VEND_BENCH_BENCHUTIL_H

/* Both sort v in place. The median of an even count is the mean of the
 * two middle values; bench_pct(v, n, 0.99) is the nearest-rank p99. */
double bench_median(double *v, int n);
double bench_pct(double *v, int n, double p);
/* The monotonic clock in microseconds (util/timeutil.h's mono_ns). */
double bench_now_us(void);
/* The floors a step is measured against: `sh -c true` bare, and in a
 * bubblewrap sandbox as bare as a step's (namespaces, a read-only /usr,
 * /proc, /dev, a private /tmp). argv for posix_spawnp. */
extern char *const bench_sh_true[];
extern char *const bench_bwrap_true[];
/* Prints "PROG: WHAT: strerror(-rc)" and exits 1. */
void bench_die(const char *what, int rc) __attribute__((noreturn));

#endif
