/* Inside the runner folder: what runner.c and job.c share. */
#ifndef VEND_RUNNER_RUNNER_INT_H
#define VEND_RUNNER_RUNNER_INT_H

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
	atomic_bool stop;
	pthread_t *threads;
	int nthreads;
	atomic_int next_slot;   /* the number the next worker takes */
};

/* Runs one claimed job to the end and reports it (unless stopping or
 * the claim was lost). api is the worker's client; slot its number, which
 * names its job directory (jobs/w<slot>). Returns the worker's next job if
 * the server gave it with the answer to the report (new), or NULL. */
json_t *runner__execute(struct runner *r, struct client *api, int slot, json_t *job);

#endif
