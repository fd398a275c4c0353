/*
 * Stopping a runner on signals, one way for `vend runner` and for the
 * runner of `vend up` and `vend server --runner`, as Buildkite's agent and
 * Kubernetes' graceful termination do: the first SIGINT or SIGTERM drains
 * it, a second stops it.
 */
#ifndef VEND_RUNNER_SHUTDOWN_H
#define VEND_RUNNER_SHUTDOWN_H

#include <signal.h>
#include <stdint.h>

struct runner;

/*
 * Call after the first stop signal (sig_wait_stop; `set` is blocked in
 * every thread). Drains r: it takes no more jobs, its running steps
 * finish and report. Returns once they have, or after drain_ms, or at a
 * second signal from `set`, having stopped what still runs (killed, its
 * jobs given back: the server resolves them). Once per process; r is not
 * freed.
 */
void runner_shutdown(struct runner *r, const sigset_t *set, int64_t drain_ms);

#endif
