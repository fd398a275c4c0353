/*
 * Sustained throughput of whole runs (issue 5): 1-step `true` runs,
 * requested by several clients at once through the API, every state change
 * durable (SQLite WAL, fsync on), executed by the server's runner; against
 * the floor of spawning the same processes with no vend at all, measured in
 * the same run. Needs a server as for the CLI (scripts/bench.sh starts one
 * with bench/catalog).
 */
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>

#include "client/client.h"
#include "util/timeutil.h"

#define RUNS 400
#define CLIENTS 4

extern char **environ;

struct worker {
	const char *server, *token;
	int first, count;
	int64_t *ids;
	int failed;
};

static void *submit(void *arg)
{
	struct worker *w = arg;
	struct client c;
	json_t *body = json_pack("{s:s}", "template", "one");

	client_init(&c, w->server, w->token);
	for (int i = 0; i < w->count; i++) {
		struct vend_err err = VEND_ERR_INIT;
		json_t *r = NULL;
		if (client_call(&c, "POST", "/api/v1/runs", body, NULL, NULL, &r, &err)) {
			fprintf(stderr, "bench: POST failed: %s\n", err.msg);
			w->failed++;
		}
		else
			w->ids[w->first + i] = json_integer_value(json_object_get(r, "id"));
		json_decref(r);
		err_free(&err);
	}
	json_decref(body);
	client_cleanup(&c);
	return NULL;
}

static int wait_all(const char *server, const char *token, int64_t *ids, int n)
{
	struct client c;
	int ok = 0;

	client_init(&c, server, token);
	for (int i = 0; i < n; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/api/v1/runs/%" PRId64, ids[i]);
		for (;;) {
			struct vend_err err = VEND_ERR_INIT;
			json_t *r = NULL;
			const char *st;
			if (client_call(&c, "GET", path, NULL, NULL, NULL, &r, &err)) {
				fprintf(stderr, "bench: GET %s failed: %s\n", path, err.msg);
				err_free(&err);
				break;
			}
			st = json_string_value(json_object_get(r, "state"));
			if (!strcmp(st, "succeeded") || !strcmp(st, "failed")) {
				ok += !strcmp(st, "succeeded");
				if (strcmp(st, "succeeded"))
					fprintf(stderr, "bench: run %" PRId64 " %s: %s\n", ids[i], st,
						json_string_value(json_object_get(r, "reason")));
				json_decref(r);
				break;
			}
			json_decref(r);
			sleep_ms(2);
		}
	}
	client_cleanup(&c);
	return ok;
}

static void *spawner(void *arg)
{
	int n = *(int *)arg;
	char *argv[] = { "/bin/sh", "-c", "true", NULL };
	for (int i = 0; i < n; i++) {
		pid_t pid;
		int st;
		if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) == 0)
			waitpid(pid, &st, 0);
	}
	return NULL;
}

int main(void)
{
	struct vend_err err = VEND_ERR_INIT;
	char *server, *token;
	int64_t ids[RUNS];
	struct worker w[CLIENTS];
	pthread_t th[CLIENTS];
	int64_t t0;
	double vend_s, floor_s;
	int ok, per = RUNS / 2;

	if (client_resolve(NULL, NULL, &server, &token, &err))
		return fprintf(stderr, "bench: %s\n", err.msg), 1;
	t0 = mono_ns();
	for (int i = 0; i < CLIENTS; i++) {
		w[i] = (struct worker){ server, token, i * (RUNS / CLIENTS), RUNS / CLIENTS, ids, 0 };
		pthread_create(&th[i], NULL, submit, &w[i]);
	}
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	ok = wait_all(server, token, ids, RUNS);
	vend_s = (double)(mono_ns() - t0) / 1e9;

	/* The floor: the same processes, two at a time (two cores), no vend. */
	t0 = mono_ns();
	pthread_create(&th[0], NULL, spawner, &per);
	pthread_create(&th[1], NULL, spawner, &per);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	floor_s = (double)(mono_ns() - t0) / 1e9;

	printf("throughput of 1-step `true` runs, %d runs from %d clients, state durable:\n", RUNS,
	       CLIENTS);
	printf("  vend (API + store + runner, no sandbox)  %7.1f runs/s  (%d succeeded)\n",
	       RUNS / vend_s, ok);
	printf("  floor: spawn sh -c true, 2 at a time     %7.1f processes/s\n", RUNS / floor_s);
	printf("  ratio vend / floor                        %7.2f\n", (RUNS / vend_s) / (RUNS / floor_s));
	free(server);
	free(token);
	return 0;
}
