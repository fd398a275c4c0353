/*
 * The sandbox every step runs in (DESIGN §6; docs/sandbox.md says what a
 * step sees). A step runs under bubblewrap: new user, mount, PID, IPC, UTS,
 * cgroup and (unless it says `network: true`) network namespaces; a
 * read-only system (/usr and a few files of /etc); its own job directory
 * at /vend, its working directory /vend/work and its own /tmp; a fresh
 * /proc and a minimal /dev; the runner's --bind paths and nothing else;
 * no capabilities, no_new_privs, rlimits. When the runner is root, steps
 * run as an unprivileged step uid (65536 unless --step-uid says), never as
 * root on the host; each step also gets a user namespace of its own, in
 * which its process limit counts its processes only.
 *
 * With --sandbox none a step runs as the runner's user with only the
 * rlimits, and its log says so.
 */
#ifndef VEND_RUNNER_SANDBOX_H
#define VEND_RUNNER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "runner/spawn.h"
#include "util/err.h"

enum sandbox_mode { SANDBOX_BWRAP, SANDBOX_NONE };

/* Where the step finds its things, in the sandbox. */
#define SANDBOX_JOB "/vend"            /* the job's directory */
#define SANDBOX_WORK "/vend/work"      /* working directory and HOME */
#define SANDBOX_OUTPUT "/vend/output"  /* $VEND_OUTPUT */
#define SANDBOX_TMP "/tmp"             /* $TMPDIR */

/* Whom steps run as when the runner is root: a uid no account uses. */
#define SANDBOX_STEP_UID 65536

struct sandbox_bind {
	char *host;   /* host path (absolute) */
	char *path;   /* where the step sees it (absolute) */
	bool rw;      /* read-only unless :rw */
};

/* Per-step resource limits; 0 means none. */
struct sandbox_limits {
	long long cpu_s;      /* CPU seconds per process (RLIMIT_CPU) */
	long long memory;     /* address space per process, bytes (RLIMIT_AS) */
	long long files;      /* open files per process (RLIMIT_NOFILE) */
	long long processes;  /* the step's processes (RLIMIT_NPROC; root only) */
};

/* The runner's defaults, which are also the most a step may ask for. */
#define SANDBOX_DEFAULT_LIMITS { 2 * 3600, 16LL << 30, 4096, 1024 }

struct sandbox_config {
	enum sandbox_mode mode;
	const struct sandbox_bind *binds;   /* borrowed */
	size_t n_binds;
	struct sandbox_limits limits;       /* defaults and ceilings */
	uid_t step_uid;                     /* when root; 0: SANDBOX_STEP_UID */
	gid_t step_gid;                     /* 0: the same number as step_uid */
};

/* Parsers for the flags of vend runner, up and server. */
int sandbox_parse_mode(const char *s, enum sandbox_mode *out);
/* "HOST:PATH[:rw|:ro]" or "HOST" (the same path inside). Fills out with
 * new strings (free with sandbox_bind_free). -EINVAL with why in err. */
int sandbox_parse_bind(const char *s, struct sandbox_bind *out, struct vend_err *err);
void sandbox_bind_free(struct sandbox_bind *b);
/* For a repeated --bind flag: parses s and appends it to *binds (grown;
 * free the lot with sandbox_binds_free). At most SANDBOX_MAX_BINDS. */
#define SANDBOX_MAX_BINDS 32
int sandbox_add_bind(struct sandbox_bind **binds, size_t *n, const char *s,
		     struct vend_err *err);
void sandbox_binds_free(struct sandbox_bind *binds, size_t n);
/* "cpu=1h,memory=8Gi,files=4096,processes=512", any subset: sets those in
 * *limits, leaves the rest; "0" or "none" lifts one. -EINVAL with why. */
int sandbox_parse_limits(const char *s, struct sandbox_limits *limits, struct vend_err *err);
/* "UID" or "UID:GID", each 1000 or more. */
int sandbox_parse_step_uid(const char *s, uid_t *uid, gid_t *gid, struct vend_err *err);

struct sandbox;

/*
 * Prepares the runner's sandbox, with job directories under jobs_dir:
 * finds bwrap (in PATH), resolves the --bind paths, and runs one probe
 * step, so that a missing or broken bubblewrap is found at start with a
 * message that says what to do. Returns new in *out (free with
 * sandbox_free). -ENOENT when bwrap is missing, -EPERM when it does not
 * work here, -EINVAL for a bad bind, with the message in err.
 */
int sandbox_open(const struct sandbox_config *cfg, const char *jobs_dir,
		 struct sandbox **out, struct vend_err *err);
void sandbox_free(struct sandbox *sb);

enum sandbox_mode sandbox_mode(const struct sandbox *sb);
/* A line for the runner's log: how steps run ("bubblewrap at
 * /usr/bin/bwrap; steps run as uid 65536"). Borrowed. */
const char *sandbox_describe(const struct sandbox *sb);
/* Something an operator should know (a limit that cannot be enforced), or
 * NULL. Borrowed. */
const char *sandbox_warning(const struct sandbox *sb);

/* Whether steps run as another user than the runner (root with the
 * sandbox), and then which: the job directory must be theirs. */
bool sandbox_step_owner(const struct sandbox *sb, uid_t *uid, gid_t *gid);

/* Paths the step is given, for its environment: in the sandbox the fixed
 * ones above, without it the host's under job_dir. Written to out (each
 * of size size). */
void sandbox_step_paths(const struct sandbox *sb, const char *job_dir, char *work,
			char *tmp, char *output, size_t size);

struct sandbox_step {
	const char *command;          /* run by /bin/sh -c */
	char *const *env;             /* NULL-terminated NAME=VALUE: all it gets */
	const char *job_dir;          /* host: holds work/, tmp/ and output */
	bool network;
	struct sandbox_limits ask;    /* the step's limits: (0: the runner's) */
};

/* What one start needs; free it once proc_spawn has returned. */
struct sandbox_run {
	struct spawn_spec spawn;      /* for proc_spec.how */
	int info_fd;                  /* for proc_spec.info_fd (then -1 here) */
	struct sandbox_limits limits; /* in effect */
	char note[512];               /* "" or what was capped, for the log */
	/* private */
	char **argv, **envp;
	int fds[2];
	struct spawn_limit lim[SPAWN_MAX_LIMITS];
	struct spawn_stage stage[SPAWN_MAX_STAGE];
	char *stage_paths[SPAWN_MAX_STAGE];
	char *cwd;
	char *etc_dir;                /* the copy of /etc this step binds */
};

int sandbox_prepare(const struct sandbox *sb, const struct sandbox_step *st,
		    struct sandbox_run **out, struct vend_err *err);
void sandbox_run_free(struct sandbox_run *r);

/*
 * The bwrap arguments (after "bwrap --args FD") for one step, as data:
 * pure, so that tests can check them. Returns a new NULL-terminated array
 * (free with sandbox_argv_free).
 */
struct sandbox_top {
	const char *path;   /* "/bin" */
	const char *link;   /* its symlink target ("usr/bin"), or NULL for a directory */
};
struct sandbox_argv_in {
	const char *job_dir;               /* the job's directory as bwrap finds it */
	const char *etc_dir;               /* the step's /etc (etc_copy.h), likewise */
	const struct sandbox_bind *binds;  /* host: as bwrap finds it */
	size_t n_binds;
	const struct sandbox_top *top;     /* /bin, /lib... of the host */
	size_t n_top;
	bool network;
	long long shm_size;                /* bytes of /dev/shm */
	char *const *env;
	int fd_info;
};
char **sandbox_bwrap_args(const struct sandbox_argv_in *in);
void sandbox_argv_free(char **argv);

#endif
