/*
 * The runner: claims jobs from a server over the HTTP API and runs each
 * step as a local process. `vend runner` runs one on any machine; `vend
 * up` runs one inside its own process, through the same API (its requests
 * reach the same routes without a socket: struct client_local), so both
 * take the same code path.
 */
#ifndef VEND_RUNNER_RUNNER_H
#define VEND_RUNNER_RUNNER_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

#include "runner/sandbox.h"
#include "util/err.h"

struct runner_config {
	const char *server;     /* base URL */
	const char *token;      /* a runner-role token */
	const char *name;       /* how steps and logs name this runner */
	const char *work_dir;   /* jobs/ and cache/ live here */
	int concurrency;        /* steps at once */
	json_t *labels;         /* array of strings, or NULL */
	int64_t kill_grace_ms;  /* SIGTERM .. SIGKILL on timeout or cancel */
	struct sandbox_config sandbox; /* how steps run; binds borrowed for runner_start */
	atomic_bool *stop;      /* or NULL: when it becomes true, runner_start gives up */
	/* or NULL: the server is in this process (vend up); its requests go
	 * through this, but for heartbeats and files, which go over HTTP */
	const struct client_local *local;
};

struct runner;
struct client_local;

/*
 * Creates the work directories, sets up the sandbox, registers with the
 * server (retrying while it cannot be reached, until cfg->stop) and starts
 * the workers. A runner whose steps cannot run does not register: it
 * returns -ENOEXEC when bubblewrap is missing or does not work here, and
 * -EINVAL for a bad --bind, with what to do in err. Otherwise the
 * client's codes (-EPROTO: the token is refused; -ECANCELED: stopped).
 */
int runner_start(const struct runner_config *cfg, struct runner **out, struct vend_err *err);
/* Asks the workers to take no more jobs: claims end, running steps go on
 * and are reported, and each worker ends after its job. */
void runner_drain(struct runner *r);
/* How many jobs its workers are running now. */
int runner_busy(struct runner *r);
/* Waits up to timeout_ms for every worker to end (after runner_drain):
 * 0 once they have, -ETIMEDOUT if some have not, -ECANCELED if
 * runner_stop came first. */
int runner_wait(struct runner *r, int64_t timeout_ms);
/* Asks the workers to stop: claims end, running steps are killed and
 * their jobs given back unfinished (the server resolves them as
 * interrupted; as lost if it cannot be told). */
void runner_stop(struct runner *r);
/* Waits for the workers and frees. */
void runner_free(struct runner *r);

#endif
