/*
 * The drain on a stop signal (see shutdown.h). A thread of its own waits
 * for the second signal while the caller waits for the workers; it stays
 * blocked in sigwait() afterwards (the process is ending), holding no
 * runner: later signals find nothing to stop.
 */
#include <pthread.h>

#include "runner/runner_int.h"
#include "runner/shutdown.h"
#include "util/log.h"
#include "util/sig.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct runner *draining; /* until runner_shutdown returns (lock) */

static void *second_signal(void *arg)
{
	int sig = sig_wait_stop(arg);

	pthread_mutex_lock(&lock);
	if (draining) {
		log_info("received %s again; stopping the running steps", sig_stop_name(sig));
		runner_stop(draining);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

void runner_shutdown(struct runner *r, const sigset_t *set, int64_t drain_ms)
{
	static sigset_t watched;
	pthread_t th;
	int rc, busy;

	if (!r)
		return;
	runner_drain(r);
	busy = runner_busy(r);
	pthread_mutex_lock(&lock);
	draining = r;
	pthread_mutex_unlock(&lock);
	watched = *set;
	if (pthread_create(&th, NULL, second_signal, &watched) == 0)
		pthread_detach(th);
	if (busy)
		log_info("runner %s: draining: taking no more jobs; %d running step%s ha%s %lld s "
			 "to finish (a second SIGINT or SIGTERM stops %s now)", r->name, busy,
			 busy == 1 ? "" : "s", busy == 1 ? "s" : "ve",
			 (long long)(drain_ms / 1000), busy == 1 ? "it" : "them");
	else
		log_info("runner %s: draining: taking no more jobs; no step is running", r->name);
	rc = runner_wait(r, drain_ms);
	if (rc == -ETIMEDOUT)
		log_warn("runner %s: the drain time is up; stopping what still runs", r->name);
	else if (rc == 0)
		log_info("runner %s: drained", r->name);
	pthread_mutex_lock(&lock);
	draining = NULL;
	pthread_mutex_unlock(&lock);
	runner_stop(r);
}
