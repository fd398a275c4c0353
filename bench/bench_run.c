/*
 * Benchmarks of the run path against the floors of this machine, measured
 * side by side in one process (the machine is shared and noisy, so every
 * figure is a median over repeated trials, and comparisons are ratios):
 *
 *  1. per-step overhead: a 20-step template of `true`, end to end through
 *     the API, the store and the embedded runner; against the same 20
 *     commands as a plain shell script, and against 20 fork/execs of
 *     `sh -c true` (what a step costs at the very least).
 *  2. request to first step: from just before POST /api/v1/runs to the
 *     moment the step's process starts (it prints the wall clock).
 *
 * Needs a running server: VEND_DATA (or VEND_SERVER/VEND_TOKEN) as for the
 * CLI, with bench/catalog loaded. scripts/bench.sh sets that up.
 */
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>

#include "benchutil.h"
#include "client/client.h"
#include "util/timeutil.h"

extern char **environ;

static int64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void spawn_wait(char *const argv[])
{
	pid_t pid;
	int st;
	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) == 0)
		waitpid(pid, &st, 0);
}

/* Waits until run id ends; 0 if it succeeded. */
static int wait_run(struct client *c, int64_t id)
{
	struct vend_err err = VEND_ERR_INIT;
	char path[96];
	int rc = -1;

	snprintf(path, sizeof(path), "/api/v1/runs/%" PRId64, id);
	for (;;) {
		json_t *cur = NULL;
		const char *state;
		if (client_call(c, "GET", path, NULL, NULL, NULL, &cur, &err))
			break;
		state = json_string_value(json_object_get(cur, "state"));
		if (!strcmp(state, "succeeded") || !strcmp(state, "failed")) {
			rc = strcmp(state, "succeeded") ? -1 : 0;
			json_decref(cur);
			break;
		}
		json_decref(cur);
		sleep_ms(1);
	}
	err_free(&err);
	return rc;
}

/* Requests a run of tpl; returns its id, or -1. */
static int64_t start(struct client *c, const char *tpl)
{
	struct vend_err err = VEND_ERR_INIT;
	json_t *body = json_pack("{s:s}", "template", tpl), *r = NULL;
	int64_t id = -1;

	if (client_call(c, "POST", "/api/v1/runs", body, NULL, NULL, &r, &err))
		fprintf(stderr, "bench: POST failed: %s\n", err.msg);
	else
		id = json_integer_value(json_object_get(r, "id"));
	json_decref(body);
	json_decref(r);
	err_free(&err);
	return id;
}

/* Runs a template to the end; returns its id, or -1. */
static int64_t run(struct client *c, const char *tpl)
{
	int64_t id = start(c, tpl);
	return id > 0 && wait_run(c, id) == 0 ? id : -1;
}

int main(int argc, char **argv)
{
	struct client c;
	struct vend_err err = VEND_ERR_INIT;
	char *server, *token;
	enum { TRIALS = 15, LAT = 40 };
	double vend_ms[TRIALS], script_ms[TRIALS], fork_ms[TRIALS], lat[LAT];
	char *script[] = { "/bin/sh", "-c",
			   "true\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\n"
			   "true\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\n",
			   NULL };
	char *one[] = { "/bin/sh", "-c", "true", NULL };

	if (client_resolve(NULL, NULL, &server, &token, &err)) {
		fprintf(stderr, "bench: %s\n", err.msg);
		return 1;
	}
	client_init(&c, server, token);
	run(&c, "steps20"); /* warm up: caches, connections */

	for (int t = 0; t < TRIALS; t++) {
		int64_t t0 = mono_ns();
		if (run(&c, "steps20") < 0)
			return 1;
		vend_ms[t] = (double)(mono_ns() - t0) / 1e6;
		t0 = mono_ns();
		spawn_wait(script);
		script_ms[t] = (double)(mono_ns() - t0) / 1e6;
		t0 = mono_ns();
		for (int i = 0; i < 20; i++)
			spawn_wait(one);
		fork_ms[t] = (double)(mono_ns() - t0) / 1e6;
	}
	{
		double v = bench_pct(vend_ms, TRIALS, 0.5), s = bench_pct(script_ms, TRIALS, 0.5);
		double f = bench_pct(fork_ms, TRIALS, 0.5);
		printf("per-step overhead, 20 steps of `true` (median of %d):\n", TRIALS);
		printf("  vend, through API + store + runner  %8.2f ms  %7.3f ms/step\n", v, v / 20);
		printf("  20 x fork/exec of sh -c true         %8.2f ms  %7.3f ms/step\n", f, f / 20);
		printf("  plain shell script of 20 lines       %8.2f ms  %7.3f ms/step\n", s, s / 20);
		printf("  ratio vend / fork-exec floor         %8.1fx\n", v / f);
		printf("  ratio vend / plain script            %8.1fx\n", v / s);
		printf("  vend cost above the floor            %8.3f ms/step\n", (v - f) / 20);
	}

	for (int t = 0; t < LAT; t++) {
		struct vend_err e = VEND_ERR_INIT;
		json_t *logs = NULL, *l;
		int64_t t0 = realtime_ns(), id = start(&c, "first-step");
		char path[96];
		size_t i;

		if (id < 0 || wait_run(&c, id))
			return 1;
		snprintf(path, sizeof(path), "/api/v1/runs/%" PRId64 "/logs", id);
		if (client_call(&c, "GET", path, NULL, NULL, NULL, &logs, &e))
			return 1;
		lat[t] = -1;
		json_array_foreach(json_object_get(logs, "lines"), i, l) {
			const char *s = json_string_value(json_object_get(l, "line"));
			if (!strcmp(json_string_value(json_object_get(l, "stream")), "out"))
				lat[t] = (double)(strtoll(s, NULL, 10) - t0) / 1e6;
		}
		json_decref(logs);
	}
	printf("POST /api/v1/runs to the first step's process start (%d runs):\n", LAT);
	printf("  median %.2f ms   p90 %.2f ms   min %.2f ms\n", bench_pct(lat, LAT, 0.5),
	       bench_pct(lat, LAT, 0.9), bench_pct(lat, LAT, 0.0));
	client_cleanup(&c);
	free(server);
	free(token);
	(void)argc;
	(void)argv;
	return 0;
}
