/*
 * bench_cel: how fast vend's CEL compiles and evaluates (issue 3, point 8).
 * For each expression: the median compile time, and the median time of one
 * evaluation of the compiled program, each over repeated trials. Prints a
 * table, or with --tsv "name<TAB>eval_ns<TAB>compile_ns" lines for
 * scripts/bench-cel.sh. The inputs are the same as bench/cel-js/bench.mjs.
 *
 *	bench_cel [--tsv] [--trials N]
 */
#include <jansson.h>
#include <time.h>

#include "benchutil.h"
#include "cel/cel.h"
#include "util/timeutil.h"

static const struct {
	const char *name;
	const char *expr;
} cases[] = {
	{ "rule5", "user.teams.exists(t, t == 'payments') && params.replicas <= 10 && "
		   "run.environment in ['staging', 'prod'] && !('x' in user.teams) && "
		   "size(user.teams) < 50" },
	{ "simple", "params.replicas <= 10" },
	{ "arith", "double(params.replicas) * 35.0 < 500.0 && params.replicas + 1 == 4" },
	{ "strings", "run.environment.startsWith('pro') && user.name.contains('an') && "
		     "run.template + '/' + run.environment == 'deploy/prod'" },
	{ "regex", "user.name.matches('^[a-z]+$')" },
	{ "macros", "user.teams.map(t, t + '!').filter(t, t.startsWith('p')).size() == 1" },
	{ "map", "{'prod': 3, 'staging': 1}[run.environment] == params.replicas && "
		 "has(params.replicas)" },
	{ "time", "timestamp('2024-03-15T10:00:00Z') + duration('1h') > timestamp('2024-03-15T10:30:00Z')" },
};

static const char *const inputs[] = {
	"user", "{\"name\": \"ana\", \"teams\": [\"payments\", \"sre\", \"web\"]}",
	"params", "{\"replicas\": 3, \"environment\": \"prod\", \"service\": \"api\"}",
	"run", "{\"template\": \"deploy\", \"environment\": \"prod\", \"requester\": \"ana\"}",
};

int main(int argc, char **argv)
{
	struct cel_activation *act = cel_activation_new();
	struct cel_ctx *ctx = cel_ctx_new();
	int trials = 21, tsv = 0;
	double samples[201];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tsv"))
			tsv = 1;
		else if (!strcmp(argv[i], "--trials") && i + 1 < argc)
			trials = (int)strtol(argv[++i], NULL, 10);
	}
	if (trials < 1 || trials > 201)
		trials = 21;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(*inputs); i += 2) {
		json_t *j = json_loads(inputs[i + 1], 0, NULL);
		cel_activation_bind(act, inputs[i], cel_value_from_json(j));
		json_decref(j);
	}
	if (!tsv)
		printf("%-8s %12s %10s %14s  %s\n", "case", "eval ns/op", "(best)",
		       "compile ns/op", "(medians of trials; one thread)");
	for (size_t c = 0; c < sizeof(cases) / sizeof(*cases); c++) {
		const char *src = cases[c].expr;
		struct cel_program *p;
		struct cel_error err;
		const struct cel_value *v;
		double eval_ns, eval_best, compile_ns;
		long iters;

		if (cel_compile(src, strlen(src), NULL, &p, &err) < 0 ||
		    cel_eval(p, act, ctx, &v, &err) < 0 || !cel_value_is_true(v)) {
			fprintf(stderr, "bench_cel: %s: %s\n", cases[c].name, err.message);
			return 1;
		}
		/* size a trial to about 20 ms */
		int64_t t0 = mono_ns();
		for (iters = 0; mono_ns() - t0 < 20000000; iters++)
			cel_eval(p, act, ctx, &v, &err);
		for (int t = 0; t < trials; t++) {
			t0 = mono_ns();
			for (long i = 0; i < iters; i++)
				cel_eval(p, act, ctx, &v, &err);
			samples[t] = (double)(mono_ns() - t0) / (double)iters;
		}
		eval_ns = bench_median(samples, trials);
		eval_best = samples[0]; /* sorted by bench_median() */
		cel_program_free(p);
		for (int t = 0; t < trials; t++) {
			const int k = 200;
			t0 = mono_ns();
			for (int i = 0; i < k; i++) {
				cel_compile(src, strlen(src), NULL, &p, &err);
				cel_program_free(p);
			}
			samples[t] = (double)(mono_ns() - t0) / k;
		}
		compile_ns = bench_median(samples, trials);
		if (tsv)
			printf("%s\t%.1f\t%.1f\n", cases[c].name, eval_ns, compile_ns);
		else
			printf("%-8s %12.1f %10.1f %14.1f\n", cases[c].name, eval_ns, eval_best,
			       compile_ns);
	}
	cel_ctx_free(ctx);
	cel_activation_free(act);
	return 0;
}
