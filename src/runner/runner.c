/*
 * The runner's workers: each one long-polls the server for a job, runs
 * it, and polls again. There is no fixed-interval polling: a claim is
 * answered the moment a job is queued; only errors back off.
 */
#include <sys/stat.h>

#include "runner/runner_int.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define CLAIM_WAIT_MS 25000

/* Whether waiting for the server (a backoff, registering) is pointless:
 * the runner stops, or takes no more jobs. */
static bool stopping(struct runner *r)
{
	return atomic_load(&r->no_claims) || (r->cfg.stop && atomic_load(r->cfg.stop));
}

static void backoff(struct runner *r, int64_t *delay)
{
	int64_t until = mono_ms() + *delay;
	while (!stopping(r) && mono_ms() < until)
		sleep_ms(50);
	*delay = *delay * 2 > 10000 ? 10000 : *delay * 2;
}

static int do_register(struct runner *r, struct vend_err *err);

/* The server no longer knows runner id (its database was replaced, or an
 * operator removed it): register again, once for all workers. */
static void reregister(struct runner *r, int64_t id)
{
	struct vend_err err = VEND_ERR_INIT;

	pthread_mutex_lock(&r->lock);
	if (r->id == id) {
		log_warn("runner %s: the server does not know runner %" PRId64 "; registering "
			 "again", r->name, id);
		if (do_register(r, &err) && !atomic_load(&r->no_claims))
			log_warn("runner %s: cannot register again: %s", r->name, err.msg);
	}
	pthread_mutex_unlock(&r->lock);
	err_free(&err);
}

static void *worker(void *arg)
{
	struct runner *r = arg;
	struct client api;
	char path[128];
	int64_t delay = 250;
	struct worker_slot slot = { .n = atomic_fetch_add(&r->next_slot, 1) };

	client_init(&api, r->server, r->token);
	api.local = r->cfg.local;
	while (!atomic_load(&r->no_claims)) {
		struct vend_err err = VEND_ERR_INIT;
		json_t *job = NULL;
		long status = 0;
		int64_t id;
		int rc;

		pthread_mutex_lock(&r->lock);
		id = r->id;
		pthread_mutex_unlock(&r->lock);
		snprintf(path, sizeof(path), "/api/v1/runners/%" PRId64 "/claim?wait=%d", id,
			 CLAIM_WAIT_MS);
		/* A drain ends the long poll; only a stop ends a job's calls. */
		api.abort = &r->no_claims;
		api.timeout_ms = CLAIM_WAIT_MS + 15000;
		rc = client_call(&api, "POST", path, NULL, NULL, &status, &job, &err);
		api.timeout_ms = 0;
		api.abort = &r->stop;
		if (rc == -ENOENT && !atomic_load(&r->no_claims)) {
			reregister(r, id);
			backoff(r, &delay);
			err_free(&err);
			continue;
		}
		if (rc) {
			if (!atomic_load(&r->no_claims) && rc != -ECANCELED) {
				log_warn("runner %s: claim failed: %s; retrying", r->name, err.msg);
				backoff(r, &delay);
			}
			err_free(&err);
			continue;
		}
		delay = 250;
		/* Each report brings the next job while there is one (none is
		 * asked for once draining; one given is run all the same). */
		atomic_fetch_add(&r->busy, 1);
		while (status == 200 && json_is_object(job) && !atomic_load(&r->stop)) {
			json_t *next = runner__execute(r, &api, &slot, job);
			json_decref(job);
			job = next;
		}
		atomic_fetch_sub(&r->busy, 1);
		json_decref(job);
	}
	runner__slot_release(&slot);
	client_cleanup(&api);
	pthread_mutex_lock(&r->lock);
	r->live--;
	pthread_cond_broadcast(&r->ended);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static int do_register(struct runner *r, struct vend_err *err)
{
	struct client api;
	json_t *body, *resp = NULL;
	int64_t delay = 250;
	int rc;

	client_init(&api, r->server, r->token);
	api.abort = r->cfg.stop ? r->cfg.stop : &r->stop;
	api.local = r->cfg.local;
	api.timeout_ms = 15000;
	body = json_pack("{s:s, s:O, s:i}", "name", r->name, "labels", r->labels, "concurrency",
			 r->cfg.concurrency);
	for (int tries = 0;; tries++) {
		rc = client_call(&api, "POST", "/api/v1/runners/register", body, NULL, NULL, &resp,
				 err);
		if (rc == 0 || stopping(r) || (rc != -ECONNREFUSED && rc != -EAGAIN &&
						     rc != -ETIMEDOUT))
			break;
		if (tries == 0)
			log_warn("runner %s: cannot register yet (%s); retrying", r->name, err->msg);
		backoff(r, &delay);
	}
	if (rc == 0) {
		r->id = json_integer_value(json_object_get(resp, "id"));
		if (r->id <= 0)
			rc = err_set(err, -EPROTO, "the server sent no runner id");
	}
	json_decref(resp);
	json_decref(body);
	client_cleanup(&api);
	return rc;
}

int runner_start(const struct runner_config *cfg, struct runner **out, struct vend_err *err)
{
	struct runner *r = XNEW(struct runner, 1);
	char path[4096];
	int rc;

	r->cfg = *cfg;
	r->server = xstrdup(cfg->server);
	r->token = xstrdup(cfg->token);
	r->name = xstrdup(cfg->name);
	r->work_dir = xstrdup(cfg->work_dir);
	r->labels = cfg->labels ? json_incref(cfg->labels) : json_array();
	r->cfg.server = r->server;
	r->cfg.token = r->token;
	r->cfg.name = r->name;
	r->cfg.work_dir = r->work_dir;
	r->cfg.labels = r->labels;
	r->cfg.sandbox.binds = NULL; /* copied by sandbox_open */
	r->cfg.sandbox.n_binds = 0;
	if (r->cfg.concurrency < 1)
		r->cfg.concurrency = 1;
	if (r->cfg.kill_grace_ms <= 0)
		r->cfg.kill_grace_ms = 5000;
	atomic_init(&r->stop, false);
	atomic_init(&r->no_claims, false);
	pthread_mutex_init(&r->lock, NULL);
	{
		/* runner_wait's deadline must not move with the wall clock. */
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&r->ended, &ca);
		pthread_condattr_destroy(&ca);
	}

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", r->work_dir, i ? "cache" : "jobs");
		rc = fs_mkdirs(path, 0700);
		if (rc) {
			err_set(err, rc, "cannot create %s: %s", path, strerror(-rc));
			goto fail;
		}
	}
	/* Working directories of a previous life are stale. */
	snprintf(path, sizeof(path), "%s/jobs", r->work_dir);
	fs_remove_tree(path);
	fs_mkdirs(path, 0700);

	/* Before registering: a runner whose steps cannot run takes no work. */
	rc = sandbox_open(&cfg->sandbox, path, &r->sb, err);
	if (rc) {
		if (rc != -EINVAL)
			rc = -ENOEXEC;
		goto fail;
	}
	if (sandbox_mode(r->sb) == SANDBOX_NONE)
		log_warn("runner %s: %s; every step's log says so", r->name,
			 sandbox_describe(r->sb));
	else
		log_info("runner %s: sandbox: %s", r->name, sandbox_describe(r->sb));
	if (sandbox_warning(r->sb))
		log_warn("runner %s: %s", r->name, sandbox_warning(r->sb));

	rc = do_register(r, err);
	if (rc)
		goto fail;
	r->threads = XNEW(pthread_t, (size_t)r->cfg.concurrency);
	for (int i = 0; i < r->cfg.concurrency; i++) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 1024 * 1024);
		/* Counted under the lock a worker takes to count itself out. */
		pthread_mutex_lock(&r->lock);
		rc = -pthread_create(&r->threads[i], &attr, worker, r);
		r->live += !rc;
		pthread_mutex_unlock(&r->lock);
		pthread_attr_destroy(&attr);
		if (rc) {
			err_set(err, rc, "cannot start a runner thread");
			runner_stop(r);
			runner_free(r);
			return rc;
		}
		r->nthreads++;
	}
	log_info("runner %s: registered as %" PRId64 ", %d at once", r->name, r->id,
		 r->cfg.concurrency);
	*out = r;
	return 0;
fail:
	runner_free(r);
	return rc;
}

/* A long poll served in this process (vend up) sees no_claims only when
 * woken; one over HTTP ends as the client sees the flag. */
static void end_claims(struct runner *r)
{
	atomic_store(&r->no_claims, true);
	if (r->cfg.local && r->cfg.local->wake)
		r->cfg.local->wake(r->cfg.local->cls);
}

void runner_drain(struct runner *r)
{
	if (r)
		end_claims(r);
}

int runner_busy(struct runner *r)
{
	return r ? atomic_load(&r->busy) : 0;
}

int runner_wait(struct runner *r, int64_t timeout_ms)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&r->lock);
	while (r->live > 0 && !atomic_load(&r->stop) && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&r->ended, &r->lock, &until);
	rc = r->live == 0 ? 0 : atomic_load(&r->stop) ? -ECANCELED : -ETIMEDOUT;
	pthread_mutex_unlock(&r->lock);
	return rc;
}

void runner_stop(struct runner *r)
{
	if (!r)
		return;
	/* Set before taking the lock: a worker registering again holds it
	 * until it sees them. */
	atomic_store(&r->stop, true);
	end_claims(r);
	pthread_mutex_lock(&r->lock);
	pthread_cond_broadcast(&r->ended);
	pthread_mutex_unlock(&r->lock);
}

void runner_free(struct runner *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->nthreads; i++)
		pthread_join(r->threads[i], NULL);
	free(r->threads);
	sandbox_free(r->sb);
	free(r->server);
	free(r->token);
	free(r->name);
	free(r->work_dir);
	json_decref(r->labels);
	pthread_cond_destroy(&r->ended);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
