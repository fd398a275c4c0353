/* Inside the runner folder: what runner.c and job.c share. */
#ifndef VEND_RUNNER_RUNNER_INT_H
#define VEND_RUNNER_RUNNER_INT_H

#include <curl/curl.h>
#include <pthread.h>

#include "client/client.h"
#include "runner/runner.h"
#include "runner/sandbox.h"

struct runner {
	struct runner_config cfg;
	char *server, *token, *name, *work_dir;
	json_t *labels;
	pthread_mutex_t lock;   /* guards id */
	int64_t id;             /* as registered */
	struct sandbox *sb;
	atomic_bool stop;       /* end now: running steps are killed */
	atomic_bool no_claims;  /* take no more jobs (runner_drain, runner_stop) */
	pthread_cond_t ended;   /* a worker ended, or stop (with lock) */
	int live;               /* workers not ended (guarded by lock) */
	atomic_int busy;        /* workers running a job */
	pthread_t *threads;
	int nthreads;
	atomic_int next_slot;   /* the number the next worker takes */
};

/* A worker's own, kept from one job to the next: its number, which names
 * its job directory (jobs/w<n>); whether the last job's end left that
 * directory as a new job needs it, and with which of that job's files
 * (so the next job of the same template sets up nothing again); and the
 * curl multi handle its heartbeats go through. */
struct worker_slot {
	int n;
	bool clean;
	json_t *kept;    /* the last job's files (the only ones left in work/) */
	CURLM *multi;
};

/* Runs one claimed job to the end and reports it (unless stopping or
 * the claim was lost). api is the worker's client. Returns the worker's
 * next job if the server gave it with the answer to the report (new), or
 * NULL. */
json_t *runner__execute(struct runner *r, struct client *api, struct worker_slot *slot,
			json_t *job);
/* Frees what the slot holds (the worker is done). */
void runner__slot_release(struct worker_slot *slot);

#endif
