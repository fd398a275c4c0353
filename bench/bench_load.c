/*
 * Sustained throughput of whole runs (issue 5): 1-step `true` runs,
 * requested by several clients at once through the API, every state change
 * durable (SQLite WAL, fsync on), executed by the server's runner; against
 * the floors of spawning the same processes with no vend at all, bare and
 * under bubblewrap, measured in the same run, round after round. Needs a server as for the
 * CLI, whose runner sandboxes steps (VEND_DATA), and optionally a second one
 * started with --sandbox none (VEND_BENCH_NOSANDBOX_DATA); scripts/bench.sh
 * starts both with bench/catalog.
 *
 * Beside the rates, what a run costs in CPU, which a loaded machine
 * disturbs less than the rates: the server's own (its process, found as the
 * holder of its data directory's lock) and its steps' (its reaped
 * children), in ms per run.
 */
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>

#include "benchutil.h"
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


struct spawn_job {
	int n;
	char *const *argv;
};

static void *spawner(void *arg)
{
	struct spawn_job *sj = arg;
	for (int i = 0; i < sj->n; i++) {
		pid_t pid;
		int st;
		if (posix_spawnp(&pid, sj->argv[0], NULL, NULL, sj->argv, environ) == 0)
			waitpid(pid, &st, 0);
	}
	return NULL;
}

/* Processes per second spawning argv, two at a time (two cores). */
static double spawn_rate(char *const *argv, int n)
{
	struct spawn_job sj = { n / 2, argv };
	pthread_t th[2];
	int64_t t0 = mono_ns();

	pthread_create(&th[0], NULL, spawner, &sj);
	pthread_create(&th[1], NULL, spawner, &sj);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	return (double)n / ((double)(mono_ns() - t0) / 1e9);
}

/* CPU time (ms) the server of data dir `data` has used so far, its own
 * and its reaped children's (the steps); false if it cannot be read. */
static bool server_cpu(const char *data, double *self_ms, double *children_ms)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[4096], stat[1024], *p;
	unsigned long long ut, st;
	long long cut, cst;
	size_t n;
	FILE *f;
	int fd;

	if (!data)
		return false;
	snprintf(path, sizeof(path), "%s/lock", data);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	if (!n)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)fl.l_pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = 0;
	p = strrchr(stat, ')'); /* past "pid (comm)", whatever comm holds */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld",
			 &ut, &st, &cut, &cst) != 4)
		return false;
	*self_ms = (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
	*children_ms = (double)(cut + cst) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
	return true;
}

/* Runs per second through the server of data dir `data` (NULL: the
 * environment's), RUNS runs from CLIENTS clients; -1 if unreachable.
 * cpu[0], cpu[1]: the server's own CPU and its steps', ms per run (-1 if
 * not known). */
static double run_rate(const char *data, int *ok, double cpu[2])
{
	struct vend_err err = VEND_ERR_INIT;
	char *server, *token;
	int64_t ids[RUNS];
	struct worker w[CLIENTS];
	pthread_t th[CLIENTS];
	int64_t t0;

	if (data)
		setenv("VEND_DATA", data, 1);
	double self0 = 0, child0 = 0, self1, child1;
	bool cpu_known;

	cpu[0] = cpu[1] = -1;
	if (client_resolve(NULL, NULL, &server, &token, &err)) {
		fprintf(stderr, "bench: %s\n", err.msg);
		err_free(&err);
		return -1;
	}
	cpu_known = server_cpu(getenv("VEND_DATA"), &self0, &child0);
	t0 = mono_ns();
	for (int i = 0; i < CLIENTS; i++) {
		w[i] = (struct worker){ server, token, i * (RUNS / CLIENTS), RUNS / CLIENTS, ids, 0 };
		pthread_create(&th[i], NULL, submit, &w[i]);
	}
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	*ok = wait_all(server, token, ids, RUNS);
	t0 = mono_ns() - t0;
	if (cpu_known && server_cpu(getenv("VEND_DATA"), &self1, &child1)) {
		cpu[0] = (self1 - self0) / RUNS;
		cpu[1] = (child1 - child0) / RUNS;
	}
	free(server);
	free(token);
	return RUNS / ((double)t0 / 1e9);
}

/* TRIALS rounds, each measuring all four side by side (the machine is
 * shared: a round is as loaded as its neighbours); medians are reported,
 * with each round's figures. */
#define TRIALS 3

int main(void)
{
	const char *plain = getenv("VEND_BENCH_NOSANDBOX_DATA");
	char *sandboxed = getenv("VEND_DATA") ? strdup(getenv("VEND_DATA")) : NULL;
	int ok_sb = 0, ok_none = 0;
	double sb[TRIALS], none[TRIALS], bare[TRIALS], bw[TRIALS];
	/* [mode][own, steps][round]: CPU ms per run, sandboxed and not */
	double cpu[2][2][TRIALS];
	double msb, mnone = -1, mbare, mbw;

	for (int t = 0; t < TRIALS; t++) {
		double c[2];
		int ok;
		sb[t] = run_rate(sandboxed, &ok, c);
		cpu[0][0][t] = c[0];
		cpu[0][1][t] = c[1];
		ok_sb += ok;
		none[t] = -1;
		cpu[1][0][t] = cpu[1][1][t] = -1;
		if (plain) {
			none[t] = run_rate(plain, &ok, c);
			cpu[1][0][t] = c[0];
			cpu[1][1][t] = c[1];
			ok_none += ok;
		}
		bare[t] = spawn_rate(bench_sh_true, RUNS);
		bw[t] = spawn_rate(bench_bwrap_true, RUNS);
		fprintf(stderr, "  round %d: bwrap %.1f, none %.1f runs/s; floors %.1f, %.1f "
			"processes/s\n", t + 1, sb[t], none[t], bare[t], bw[t]);
	}
	msb = bench_median(sb, TRIALS);
	if (plain)
		mnone = bench_median(none, TRIALS);
	mbare = bench_median(bare, TRIALS);
	mbw = bench_median(bw, TRIALS);

	printf("throughput of 1-step `true` runs, %d runs from %d clients, state durable, "
	       "median of %d rounds:\n", RUNS, CLIENTS, TRIALS);
	printf("  vend, steps in bubblewrap                %7.1f runs/s  (%d of %d succeeded)\n",
	       msb, ok_sb, RUNS * TRIALS);
	if (mnone > 0)
		printf("  vend, --sandbox none                     %7.1f runs/s  (%d of %d "
		       "succeeded)\n", mnone, ok_none, RUNS * TRIALS);
	printf("  floor: spawn sh -c true, 2 at a time     %7.1f processes/s\n", mbare);
	printf("  floor: spawn bwrap ... sh -c true        %7.1f processes/s\n", mbw);
	printf("  ratio vend in bwrap / bwrap floor         %7.2f\n", msb / mbw);
	if (mnone > 0)
		printf("  ratio vend unsandboxed / bare floor       %7.2f\n", mnone / mbare);
	for (int m = 0; m < 2; m++) {
		double own = bench_median(cpu[m][0], TRIALS), steps = bench_median(cpu[m][1], TRIALS);
		if (own >= 0)
			printf("  CPU per run, %-9s server %5.2f ms, its steps %5.2f ms\n",
			       m ? "unsandboxed" : "bubblewrap", own, steps);
	}
	free(sandboxed);
	return 0;
}
