/*
 * Benchmarks of the run path against the floors of this machine, measured
 * side by side in one process (the machine is shared and noisy, so every
 * figure is a median over repeated trials, and comparisons are ratios):
 *
 *  1. per-step overhead: a 20-step template of `true`, end to end through
 *     the API, the store and the embedded runner; against 20 spawns of the
 *     same step without vend (what a step costs at the very least: `sh -c
 *     true` in a bare bubblewrap sandbox for the server whose runner
 *     sandboxes, bare for one started with --sandbox none), and against
 *     the same 20 commands as one plain shell script.
 *  2. request to first step: from just before POST /api/v1/runs to the
 *     moment the step's process starts (it prints the wall clock).
 *
 * Needs a running server: VEND_DATA (or VEND_SERVER/VEND_TOKEN) as for the
 * CLI, with bench/catalog loaded, whose runner sandboxes steps; and
 * optionally one started with --sandbox none (VEND_BENCH_NOSANDBOX_DATA).
 * scripts/bench.sh starts both.
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
	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) == 0)
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

enum { TRIALS = 15, LAT = 40 };

/* A server to measure, and the floor its steps are held to. */
struct target {
	const char *what, *floor_what;
	char *const *floor;
	struct client c;
	char *server, *token;
	double vend_ms[TRIALS], floor_ms[TRIALS], lat[LAT];
};

/* The server of data (VEND_DATA's way), or of the environment if NULL. */
static int target_open(struct target *t, const char *data)
{
	struct vend_err err = VEND_ERR_INIT;

	if (data)
		setenv("VEND_DATA", data, 1);
	if (client_resolve(NULL, NULL, &t->server, &t->token, &err)) {
		fprintf(stderr, "bench: %s\n", err.msg);
		err_free(&err);
		return -1;
	}
	client_init(&t->c, t->server, t->token);
	return run(&t->c, "steps20") < 0 ? -1 : 0; /* warm up: caches, connections */
}

/* One request-to-first-step latency in ms, or -1. */
static double first_step_ms(struct client *c)
{
	struct vend_err e = VEND_ERR_INIT;
	json_t *logs = NULL, *l;
	int64_t t0 = realtime_ns(), id = start(c, "first-step");
	char path[96];
	double ms = -1;
	size_t i;

	if (id < 0 || wait_run(c, id))
		return -1;
	snprintf(path, sizeof(path), "/api/v1/runs/%" PRId64 "/logs", id);
	if (client_call(c, "GET", path, NULL, NULL, NULL, &logs, &e)) {
		err_free(&e);
		return -1;
	}
	json_array_foreach(json_object_get(logs, "lines"), i, l) {
		const char *s = json_string_value(json_object_get(l, "line"));
		if (!strcmp(json_string_value(json_object_get(l, "stream")), "out"))
			ms = (double)(strtoll(s, NULL, 10) - t0) / 1e6;
	}
	json_decref(logs);
	return ms;
}

int main(void)
{
	const char *plain = getenv("VEND_BENCH_NOSANDBOX_DATA");
	char *sandboxed = getenv("VEND_DATA") ? strdup(getenv("VEND_DATA")) : NULL;
	static struct target tg[2] = {
		{ .what = "vend, steps in bubblewrap", .floor_what = "bwrap ... sh -c true",
		  .floor = bench_bwrap_true },
		{ .what = "vend, --sandbox none", .floor_what = "sh -c true",
		  .floor = bench_sh_true },
	};
	int n = plain ? 2 : 1;
	double script_ms[TRIALS];
	char *script[] = { "/bin/sh", "-c",
			   "true\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\n"
			   "true\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\n",
			   NULL };

	if (target_open(&tg[0], sandboxed) || (plain && target_open(&tg[1], plain)))
		return 1;
	/* Trial by trial, each server and its floor side by side. */
	for (int t = 0; t < TRIALS; t++) {
		for (int k = 0; k < n; k++) {
			int64_t t0 = mono_ns();
			if (run(&tg[k].c, "steps20") < 0)
				return 1;
			tg[k].vend_ms[t] = (double)(mono_ns() - t0) / 1e6;
			t0 = mono_ns();
			for (int i = 0; i < 20; i++)
				spawn_wait(tg[k].floor);
			tg[k].floor_ms[t] = (double)(mono_ns() - t0) / 1e6;
		}
		int64_t t0 = mono_ns();
		spawn_wait(script);
		script_ms[t] = (double)(mono_ns() - t0) / 1e6;
	}
	printf("per-step overhead, 20 steps of `true`, each against 20 spawns of its step "
	       "without vend (median of %d):\n", TRIALS);
	for (int k = 0; k < n; k++) {
		double v = bench_pct(tg[k].vend_ms, TRIALS, 0.5);
		double f = bench_pct(tg[k].floor_ms, TRIALS, 0.5);
		char floor[64];
		snprintf(floor, sizeof(floor), "  floor: 20 x %s", tg[k].floor_what);
		printf("  %-36s %8.2f ms  %7.3f ms/step\n", tg[k].what, v, v / 20);
		printf("  %-36s %8.2f ms  %7.3f ms/step\n", floor, f, f / 20);
		printf("  %-36s %8.1fx     %7.3f ms/step above it\n", "  ratio to the floor", v / f,
		       (v - f) / 20);
	}
	{
		double sm = bench_pct(script_ms, TRIALS, 0.5);
		printf("  %-36s %8.2f ms  %7.3f ms/step\n", "plain shell script of 20 lines", sm,
		       sm / 20);
	}

	for (int t = 0; t < LAT; t++)
		for (int k = 0; k < n; k++)
			if ((tg[k].lat[t] = first_step_ms(&tg[k].c)) < 0)
				return 1;
	printf("POST /api/v1/runs to the first step's process start (%d runs each):\n", LAT);
	for (int k = 0; k < n; k++) {
		printf("  %-36s median %.2f ms   p90 %.2f ms   min %.2f ms\n", tg[k].what,
		       bench_pct(tg[k].lat, LAT, 0.5), bench_pct(tg[k].lat, LAT, 0.9),
		       bench_pct(tg[k].lat, LAT, 0.0));
		client_cleanup(&tg[k].c);
		free(tg[k].server);
		free(tg[k].token);
	}
	free(sandboxed);
	return 0;
}
