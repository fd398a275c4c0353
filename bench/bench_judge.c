/*
 * The statistical quality and the cost of the canary judge (issue 6,
 * point 4), measured by simulation (tests/unit/judge_sim.h): many A/A
 * analyses (baseline and canary from the same distribution) give the
 * false-fail rate, many A/B analyses (the canary 50% slower, or failing 6%
 * of requests instead of 1%) the detection rate, for four shapes of data
 * and 10 to 500 samples a side. Goals: false fails <= 5%, detection >= 95%;
 * a '!' marks a figure that misses its goal. Then the judge's time per
 * metric (median of repeats).
 *
 * Every analysis judges two critical metrics as the analysis step does:
 * latency (Mann-Whitney U + Hodges-Lehmann, alpha 0.05, tolerance 0.10
 * unless said) and the error rate (max_failure_delta 0.01, significance
 * required). Nothing here passes or fails: tests/unit/test_judge.c holds
 * the judge to the goals on a fixed seed.
 *
 * Usage: bench_judge [TRIALS]   (default 2000 per cell; fixed seed)
 */
#include <time.h>

#include "benchutil.h"
#include "../tests/unit/judge_sim.h"

#define SEED 20240607u

static const size_t sizes[] = { 10, 50, 200, 500 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static long trials = 2000;
static uint64_t cells; /* a different seed for every cell */

static struct sim_counts run(const struct sim_case *c)
{
	return sim_run(c, trials, SEED + 7919 * cells++);
}

/* " 4.9% " and a '!' after a figure that misses its goal. */
static void cell(long k, long n, bool detection)
{
	double p = sim_pct(k, n);
	printf(" %5.1f%%%s", p, (detection ? p >= 95 : p <= 5) ? " " : "!");
}

static void header(const char *first, int width)
{
	printf("%-*s", width, first);
	for (size_t z = 0; z < NSIZES; z++)
		printf("  n=%-4zu", sizes[z]);
}

/* One cell a size: the latency or the error metric's fails in c. */
static void row(struct sim_case c, bool errors, bool detection)
{
	for (size_t z = 0; z < NSIZES; z++) {
		struct sim_counts k;
		c.n = sizes[z];
		k = run(&c);
		cell(errors ? k.errors : k.latency, k.trials, detection);
	}
}

static void false_fails(void)
{
	static const double tols[] = { 0.10, 0 };
	struct sim_case c = SIM_CASE_INIT;

	printf("A/A false-fail rate (same distribution both sides; goal <= 5%%)\n");
	header("shape      tolerance", 22);
	printf(" |");
	for (size_t z = 0; z < NSIZES; z++)
		printf("  n=%-4zu", sizes[z]);
	printf("\n%-22s %-31s | %s\n", "", "latency metric fails",
	       "verdict fails (latency or errors)");
	for (int s = 0; s < SIM_SHAPES; s++)
		for (size_t t = 0; t < sizeof(tols) / sizeof(tols[0]); t++) {
			struct sim_counts k[NSIZES];
			c.shape = (enum sim_shape)s;
			c.tolerance = tols[t];
			for (size_t z = 0; z < NSIZES; z++) {
				c.n = sizes[z];
				k[z] = run(&c);
			}
			printf("%-10s %-11s", sim_shape_name(c.shape), t ? "0 (raw)" : "0.10");
			for (size_t z = 0; z < NSIZES; z++)
				cell(k[z].latency, k[z].trials, false);
			printf(" |");
			for (size_t z = 0; z < NSIZES; z++)
				cell(k[z].overall, k[z].trials, false);
			printf("\n");
		}
	/* the error rate alone, at a higher base rate */
	c = (struct sim_case)SIM_CASE_INIT;
	c.err_base = c.err_canary = 0.10;
	c.errors_only = true;
	printf("%-22s", "errors 10% vs 10%");
	row(c, true, false);
	printf("   (error metric alone)\n");
}

static void detections(void)
{
	struct sim_case c = SIM_CASE_INIT;

	printf("\nA/B detection rate (the metric that regressed fails; goal >= 95%%)\n");
	header("regression  shape      tolerance", 34);
	printf("\n");
	/* +50%, and the issue's +20% (against a 10% tolerance, or none). */
	for (int f = 0; f < 2; f++)
		for (int s = 0; s < SIM_SHAPES; s++)
			for (int t = 0; t < 2; t++) {
				static const double tol[2][2] = { { 0.10, 0.25 }, { 0, 0.10 } };
				c.shape = (enum sim_shape)s;
				c.factor = f ? 1.2 : 1.5;
				c.tolerance = tol[f][t];
				printf("%-11s %-10s %-11s", f ? "latency+20%" : "latency+50%",
				       sim_shape_name(c.shape), c.tolerance == 0 ? "0 (raw)"
				       : c.tolerance == 0.10 ? "0.10" : "0.25");
				row(c, false, true);
				printf("\n");
			}
	c = (struct sim_case)SIM_CASE_INIT;
	c.err_canary = 0.06;
	c.errors_only = true;
	printf("%-34s", "errors 1% -> 6%   (delta 0.01)");
	row(c, true, true);
	printf("\n");

	/* The 2x error rate needs far more requests; and a delta
	 * below the +1 point it adds (at 0.01 it would be allowed). */
	printf("\nerrors 1%% -> 2%% (2x), by requests a side: A/A false fails, A/B detection\n");
	printf("%-10s %15s %15s %14s %14s\n", "requests", "A/A delta 0.005", "A/B delta 0.005",
	       "A/A delta 0", "A/B delta 0");
	for (size_t n = 500; n <= 8000; n *= 2) {
		printf("%-10zu", n);
		for (int d = 0; d < 2; d++) {
			for (int ab = 0; ab < 2; ab++) {
				struct sim_counts k;
				c = (struct sim_case)SIM_CASE_INIT;
				c.errors_only = true;
				c.n = n;
				c.err_canary = ab ? 0.02 : 0.01;
				c.max_failure_delta = d ? 0 : 0.005;
				k = run(&c);
				printf("       ");
				cell(k.errors, k.trials, ab);
			}
		}
		printf("\n");
	}
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The median time of one latency metric judged with its JSON, n a side. */
static double judge_time(size_t n, int repeats)
{
	double *b = malloc(n * sizeof(double)), *c = malloc(n * sizeof(double));
	double *t = malloc((size_t)repeats * sizeof(double)), med;
	struct sim_rng r;

	sim_seed(&r, SEED);
	for (size_t i = 0; i < n; i++) {
		b[i] = sim_draw(&r, SIM_LONG_TAIL, 1);
		c[i] = sim_draw(&r, SIM_LONG_TAIL, 1.05);
	}
	for (int i = 0; i < repeats; i++) {
		double t0 = now();
		struct judge *j = judge_new();
		json_t *json = NULL;
		judge_add_metric(j, "latency", b, n, c, n, NULL, NULL);
		judge_run(j, NULL, &json);
		json_decref(json);
		judge_free(j);
		t[i] = now() - t0;
	}
	med = bench_median(t, repeats);
	free(b);
	free(c);
	free(t);
	return med;
}

static void timings(void)
{
	static const struct {
		size_t n;
		int repeats;
	} runs[] = { { 10, 1001 }, { 200, 301 }, { 10000, 31 }, { STATS_MAX_N, 7 } };

	printf("\njudge time per metric (long-tail latency, canary +5%%; median of repeats;\n"
	       "add_metric + judge_run with its JSON)\n");
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		double s = judge_time(runs[i].n, runs[i].repeats);
		printf("  n=%-6zu a side  %9.1f us   (%d repeats)\n", runs[i].n, s * 1e6,
		       runs[i].repeats);
	}
}

int main(int argc, char **argv)
{
	double t0 = now();

	if (argc > 1)
		trials = strtol(argv[1], NULL, 10);
	if (trials < 1 || trials > 1000000)
		trials = 2000;
	printf("judge quality: %ld trials a cell, alpha 0.05, max_failure_delta 0.01, "
	       "seed %u\n\n", trials, SEED);
	false_fails();
	detections();
	timings();
	printf("\n%.1f s\n", now() - t0);
	return 0;
}
