/*
 * Pickup latency: from the moment a job's enqueue commits to the moment a
 * runner's waiting claim returns it (issue 5: goal median <= 2 ms;
 * graphile-worker publishes 4.16 ms). Measured in one process against a
 * real SQLite store in WAL mode (fsync on), two ways side by side:
 *
 *   engine   a thread blocked in engine_claim (the server's long poll)
 *   http     a runner thread long-polling POST /api/v1/runners/{id}/claim
 *            over loopback HTTP, as `vend runner` does
 *
 * The enqueue is the store transaction that inserts the job and notifies;
 * both latencies include the claim's own write transaction (and its fsync),
 * which is part of picking a job up durably.
 */
#include <pthread.h>
#include <time.h>

#include "benchutil.h"
#include "client/client.h"
#include "engine/auth.h"
#include "engine/catalog_apply.h"
#include "engine/engine.h"
#include "http/http.h"
#include "template/catalog.h"
#include "util/timeutil.h"

#define SAMPLES 200

static const char tpl[] = "apiVersion: vend/v1\nkind: Template\nmetadata: {name: b}\n"
			  "spec:\n  steps:\n    - {name: s, run: 'true'}\n";

struct shared {
	struct vend_ctx *ctx;
	int64_t runner;
	const char *url, *token;
	bool http;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int64_t got_ns;        /* when the claim returned */
	int done;              /* claims made */
	volatile bool stop;
};

static void *claimer(void *arg)
{
	struct shared *sh = arg;
	struct client c;
	char path[96];

	if (sh->http) {
		client_init(&c, sh->url, sh->token);
		snprintf(path, sizeof(path), "/api/v1/runners/%" PRId64 "/claim?wait=5000", sh->runner);
	}
	while (!sh->stop) {
		json_t *job = NULL;
		struct vend_err err = VEND_ERR_INIT;
		if (sh->http)
			client_call(&c, "POST", path, NULL, NULL, NULL, &job, &err);
		else
			engine_claim(sh->ctx, sh->runner, 5000, &job);
		if (job && json_is_object(job)) {
			pthread_mutex_lock(&sh->lock);
			sh->got_ns = mono_ns();
			sh->done++;
			pthread_cond_signal(&sh->cond);
			pthread_mutex_unlock(&sh->lock);
		}
		json_decref(job);
		err_free(&err);
	}
	if (sh->http)
		client_cleanup(&c);
	return NULL;
}

static void enqueue(struct vend_ctx *ctx, int64_t run_id)
{
	struct store_tx *tx;
	struct job_row j = { 0 };
	int64_t id;

	j.run_id = run_id;
	j.phase = "main";
	j.spec = "{\"step\": {\"name\": \"s\", \"run\": \"true\"}}";
	j.available_at = now_ms();
	j.created_at = j.available_at;
	store_begin(ctx->store, STORE_WRITE, &tx);
	store_job_insert(tx, &j, &id);
	store_notify(tx, CHAN_JOBS);
	store_commit(tx);
}

static void measure(struct shared *sh, int64_t run_id, const char *label)
{
	double lat[SAMPLES];
	pthread_t th;

	sh->stop = false;
	sh->done = 0;
	pthread_create(&th, NULL, claimer, sh);
	for (int i = 0; i < SAMPLES; i++) {
		int64_t t0;
		sleep_ms(2); /* let the claimer block in its long poll */
		enqueue(sh->ctx, run_id);
		t0 = mono_ns();
		pthread_mutex_lock(&sh->lock);
		while (sh->done <= i)
			pthread_cond_wait(&sh->cond, &sh->lock);
		lat[i] = (double)(sh->got_ns - t0) / 1e6;
		pthread_mutex_unlock(&sh->lock);
	}
	sh->stop = true;
	enqueue(sh->ctx, run_id); /* release the last long poll */
	pthread_join(th, NULL);
	printf("  %-8s median %6.2f ms   p90 %6.2f ms   p99 %6.2f ms   (%d pickups)\n", label,
	       bench_median(lat, SAMPLES), bench_pct(lat, SAMPLES, 0.9),
	       bench_pct(lat, SAMPLES, 0.99), SAMPLES);
}

int main(void)
{
	char dir[] = "/tmp/vend-bench-claim-XXXXXX", url[128];
	struct vend_err err = VEND_ERR_INIT;
	struct catalog_files fs = { 0 };
	struct diags d = DIAGS_INIT;
	struct http_server *srv;
	struct store *st;
	struct shared sh = { 0 };
	struct run_request rr = { .template = "b" };
	struct principal admin = { 1, "admin", ROLE_ADMIN, NULL, NULL, NULL, NULL };
	char token[AUTH_TOKEN_LEN + 8];
	json_t *run = NULL, *roles = json_pack("[s]", "runner");
	struct token_spec spec = { .name = "bench-runner", .roles = roles };
	bool created;

	if (!mkdtemp(dir))
		return 1;
	snprintf(url, sizeof(url), "sqlite:%s/vend.db", dir);
	if (store_open(url, &st, &err))
		return fprintf(stderr, "bench: %s\n", err.msg), 1;
	sh.ctx = vend_ctx_new(st);
	catalog_files_add(&fs, "t/b.yaml", tpl, sizeof(tpl) - 1, 0644, &err);
	if (engine_catalog_apply(sh.ctx, NULL, &fs, &d, NULL, &err))
		return fprintf(stderr, "bench: %s\n", err.msg), 1;
	rr.params = json_object();
	engine_submit(sh.ctx, &admin, &rr, &run, &created, &err);
	engine_runner_register(sh.ctx, "bench", NULL, &sh.runner);
	{
		/* The run's own first job: take it out of the way. */
		json_t *first = NULL;
		engine_claim(sh.ctx, sh.runner, 0, &first);
		json_decref(first);
	}
	auth_token_create(sh.ctx, &spec, true, token, &err);
	if (http_start(sh.ctx, "127.0.0.1:0", &srv, &err))
		return fprintf(stderr, "bench: %s\n", err.msg), 1;
	sh.url = http_url(srv);
	sh.token = token;
	pthread_mutex_init(&sh.lock, NULL);
	pthread_cond_init(&sh.cond, NULL);

	printf("pickup latency, enqueue committed -> claim returned (SQLite WAL, fsync on):\n");
	measure(&sh, json_integer_value(json_object_get(run, "id")), "engine");
	sh.http = true;
	measure(&sh, json_integer_value(json_object_get(run, "id")), "http");

	atomic_store(&sh.ctx->stopping, true);
	store_wake_all(st);
	http_stop(srv);
	vend_ctx_free(sh.ctx);
	catalog_files_free(&fs);
	json_decref(run);
	json_decref(roles);
	json_decref(rr.params);
	return 0;
}
