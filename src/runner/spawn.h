/*
 * Starting a process with what posix_spawn cannot give it: resource
 * limits, another user and group, a user namespace of its own,
 * no_new_privs, a parent-death signal, extra descriptors at fixed numbers,
 * and (for the sandbox when the runner is root) a private mount namespace
 * in which host paths are staged where an unprivileged bwrap can reach
 * them. Everything is set in the child before execve, so nothing of the
 * program runs without it: there is no window to race, unlike prlimit()
 * on a process that already runs.
 */
#ifndef VEND_RUNNER_SPAWN_H
#define VEND_RUNNER_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#define SPAWN_MAX_FDS 8     /* extra descriptors */
#define SPAWN_MAX_LIMITS 8
#define SPAWN_MAX_STAGE 40  /* staged paths */

struct spawn_limit {
	int resource;       /* RLIMIT_* */
	rlim_t soft, hard;
};

/* A host path bind-mounted (recursively) at target, inside the tmpfs at
 * stage_dir of the child's private mount namespace. */
struct spawn_stage {
	const char *source;   /* host path, resolved as the runner (root) */
	const char *target;   /* absolute, under stage_dir */
	bool is_dir;          /* the mount point to make: a directory or a file */
};

struct spawn_spec {
	const char *path;        /* the program, an absolute path */
	char *const *argv;
	char *const *envp;       /* the whole environment */
	const char *cwd;         /* or NULL */
	int stdio[3];            /* descriptors that become 0, 1 and 2 */
	const int *fds;          /* descriptors that become 3, 4, ... */
	int n_fds;
	const struct spawn_limit *limits;
	int n_limits;
	bool set_ids;            /* become uid/gid, with no supplementary groups */
	uid_t uid;
	gid_t gid;
	/*
	 * Then enter a new user namespace that maps the (new) uid and gid to
	 * themselves, before the limits are set. RLIMIT_NPROC is counted per
	 * user and namespace, and checked up the chain of namespaces against
	 * the limit their creator had: set inside a namespace of the step's
	 * own it counts that step's processes, even when steps share a uid.
	 */
	bool new_userns;
	const char *stage_dir;   /* non-NULL: a private mount namespace, a fresh
				  * tmpfs (mode 1777) here, and stage[] in it */
	const struct spawn_stage *stage;
	int n_stage;
	bool die_with_parent;    /* SIGKILL when the spawning thread ends */
};

/*
 * Starts the process: a new session (so it leads its own process group),
 * default signal dispositions, an empty signal mask, no descriptors but
 * 0..2+n_fds, then execve. On success returns 0 with its pid and a pidfd
 * (close-on-exec; -1 if the kernel has none). On failure returns a
 * negative errno and says what failed in errbuf ("chdir /x: No such file
 * or directory").
 */
int spawn_start(const struct spawn_spec *s, pid_t *pid, int *pidfd, char *errbuf,
		size_t errlen);

#endif
