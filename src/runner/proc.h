/*
 * A step's process: spawned with an environment built from scratch, in its
 * own session and process group, with no inherited descriptors; its stdout
 * and stderr read line by line. The caller owns the event loop: it polls
 * the descriptors proc_pollfds() gives, then lets proc_read() consume what
 * is ready, so one loop can also serve HTTP (the runner's heartbeats).
 */
#ifndef VEND_RUNNER_PROC_H
#define VEND_RUNNER_PROC_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runner/spawn.h"
#include "util/buf.h"

#define PROC_MAX_LINE (16 * 1024) /* longer lines are split */

struct proc_spec {
	const char *command;   /* run by /bin/sh -c */
	char *const *envp;     /* NULL-terminated, the whole environment */
	const char *cwd;
	/*
	 * Or how to start it instead (the sandbox: bwrap, limits, ids); its
	 * stdio is set here. Borrowed.
	 */
	const struct spawn_spec *how;
	/*
	 * With how: the read end of bwrap's --info-fd, or -1 (taken, even on
	 * failure; closed by proc):
	 * through it proc learns the sandbox's first process, whose session
	 * holds the step, so that SIGTERM reaches the step and not bwrap.
	 */
	int info_fd;
	/*
	 * stderr on the same pipe as stdout (as 2>&1 would), every line then
	 * stream 1: the bytes arrive in the order they were written. With two
	 * pipes that order is lost whenever both hold data when read, so a
	 * secret printed half to stdout and half to stderr could not be
	 * masked for certain (the runner merges for steps that see secrets).
	 */
	bool merge_stderr;
};

/* Called for each line (without its newline) or each PROC_MAX_LINE piece. */
typedef void (*proc_line_fn)(void *ctx, int stream /* 1 out, 2 err */,
			     const char *line, size_t len);

struct proc;

/* Transforms the output before it is cut into lines (the runner's
 * redactor): stdout and stderr go through it as one stream, in the order
 * they are read. Appends what is certain to out; with flush, everything
 * it holds back. 0, or a negative errno (the output is then dropped). */
typedef int (*proc_filter_fn)(void *ctx, const char *data, size_t len, bool flush,
			      struct buf *out);

/* Starts the process. On failure returns a negative errno and a message
 * in errbuf. Returns new in *out; free with proc_free (which kills the
 * group if it still runs). */
int proc_spawn(const struct proc_spec *spec, struct proc **out, char *errbuf, size_t errlen);
pid_t proc_pid(const struct proc *p);
/* Sets the filter (before the first proc_read); ctx is borrowed. */
void proc_set_filter(struct proc *p, proc_filter_fn fn, void *ctx);
/* Makes the filter give up what it holds back (a flush timer): those
 * bytes join the stream read last, and complete lines go to fn. */
void proc_flush_filter(struct proc *p, proc_line_fn fn, void *ctx);

/* The descriptors to poll (at most 3); returns how many. */
int proc_pollfds(const struct proc *p, struct pollfd *fds);
/* Reads whatever is ready without blocking, calling fn per line.
 * Returns true once the process has exited and its output is drained. */
bool proc_read(struct proc *p, proc_line_fn fn, void *ctx);
/*
 * Sends sig to the whole process group. In a sandbox: SIGKILL goes to
 * bwrap (whose death takes the sandbox's PID namespace, and every process
 * in it, along) and to the step's session; other signals go to the step's
 * session only, so the step may clean up in its grace period.
 */
void proc_kill(struct proc *p, int sig);
/* After proc_read returned true: exit code, or the signal that killed it. */
void proc_status(const struct proc *p, int *exit_code, int *signal);
void proc_free(struct proc *p);

#endif
