/*
 * spawn_start (see spawn.h). Like glibc's posix_spawn, the child is made
 * with clone(CLONE_VM | CLONE_VFORK): it borrows the runner's memory until
 * execve, so the cost does not grow with the runner's size and threads (a
 * fork of a busy server copies its page tables), and the calling thread
 * sleeps until the child has called execve or exited.
 *
 * Sharing memory with a multi-threaded process sets the rules for the
 * child: it runs on a stack of its own; it makes raw system calls only (no
 * malloc, no locks, no glibc wrapper that touches shared state: glibc's
 * setresuid, for one, would signal every thread of the runner to change
 * theirs); it is not instrumented by the sanitizers; and every signal stays
 * blocked until just before execve, so no handler of the runner's ever runs
 * in it. Whatever fails is written to memory the parent reads afterwards.
 *
 * One thing the child changes is shared after all: a change of uid makes
 * the memory map undumpable (and with it /proc/self root's), and the map
 * is the runner's until execve. So children that change ids start one at
 * a time; each makes the map dumpable again before it needs /proc/self.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "runner/spawn.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

#define CHILD_STACK (64 * 1024)

static pthread_mutex_t ids_lock = PTHREAD_MUTEX_INITIALIZER;
#define CHILD __attribute__((no_sanitize("address", "undefined")))

/* Where the child was when something failed, for the message. */
enum step {
	ST_NONE, ST_SETSID, ST_UNSHARE, ST_SLAVE, ST_OPEN_TREE, ST_TMPFS, ST_MOUNTPOINT,
	ST_MOVE_MOUNT, ST_SETGROUPS, ST_SETGID, ST_SETUID, ST_USERNS, ST_RLIMIT, ST_NNP,
	ST_PDEATHSIG, ST_FDS, ST_CHDIR, ST_EXEC,
};

struct child {
	const struct spawn_spec *s;
	char uid_map[32], gid_map[32]; /* "1000 1000 1\n", made by the parent */
	pid_t parent;
	enum step step;
	int index;  /* which stage entry or limit */
	int err;    /* errno */
};

/* The kernel's struct sigaction (rt_sigaction), on the architectures vend
 * builds for: handler, flags, restorer, mask. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

CHILD static long fail(struct child *c, enum step st, int index)
{
	c->step = st;
	c->index = index;
	c->err = errno ? errno : EINVAL;
	syscall(SYS_exit_group, 127);
	return 127;
}

/* The private mount namespace: every source cloned first (so a source
 * under the staging directory is taken before the tmpfs hides it), then
 * the tmpfs, then each clone attached at its target. */
CHILD static int stage(struct child *c)
{
	const struct spawn_spec *s = c->s;
	int trees[SPAWN_MAX_STAGE];

	if (syscall(SYS_unshare, CLONE_NEWNS) < 0)
		return fail(c, ST_UNSHARE, 0);
	/* Nothing done here reaches the host's mount table. */
	if (syscall(SYS_mount, NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return fail(c, ST_SLAVE, 0);
	for (int i = 0; i < s->n_stage; i++) {
		trees[i] = (int)syscall(SYS_open_tree, AT_FDCWD, s->stage[i].source,
					OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (trees[i] < 0)
			return fail(c, ST_OPEN_TREE, i);
	}
	if (syscall(SYS_mount, "tmpfs", s->stage_dir, "tmpfs", MS_NOSUID | MS_NODEV,
		    "mode=1777") < 0)
		return fail(c, ST_TMPFS, 0);
	for (int i = 0; i < s->n_stage; i++) {
		const struct spawn_stage *e = &s->stage[i];
		if (e->is_dir) {
			if (syscall(SYS_mkdirat, AT_FDCWD, e->target, 0755) < 0)
				return fail(c, ST_MOUNTPOINT, i);
		} else {
			int fd = (int)syscall(SYS_openat, AT_FDCWD, e->target,
					      O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			if (fd < 0)
				return fail(c, ST_MOUNTPOINT, i);
			syscall(SYS_close, fd);
		}
		if (syscall(SYS_move_mount, trees[i], "", AT_FDCWD, e->target,
			    MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return fail(c, ST_MOVE_MOUNT, i);
		syscall(SYS_close, trees[i]);
	}
	return 0;
}

CHILD static int write_proc(const char *path, const char *data)
{
	size_t len = 0;
	long n;
	int fd;

	while (data[len])
		len++;
	fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = syscall(SYS_write, fd, data, len);
	syscall(SYS_close, fd);
	return n == (long)len ? 0 : -1;
}

/* A user namespace of the step's own, its uid and gid mapped to
 * themselves (what an unprivileged process may write for itself). */
CHILD static int enter_userns(struct child *c)
{
	/* A change of uid made the (shared) mm undumpable, which makes
	 * /proc/self root's; nothing privileged is left to protect. */
	if (syscall(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_unshare, CLONE_NEWUSER) < 0 ||
	    write_proc("/proc/self/setgroups", "deny") < 0 ||
	    write_proc("/proc/self/uid_map", c->uid_map) < 0 ||
	    write_proc("/proc/self/gid_map", c->gid_map) < 0)
		return fail(c, ST_USERNS, 0);
	return 0;
}

/* stdio and fds to 0, 1, 2, 3...: each first copied above every number in
 * play, so that no move clobbers a descriptor still to be moved; then
 * everything else closed. */
CHILD static int place_fds(struct child *c)
{
	const struct spawn_spec *s = c->s;
	int n = 3 + s->n_fds, tmp[3 + SPAWN_MAX_FDS], floor = n;

	for (int i = 0; i < n; i++) {
		int src = i < 3 ? s->stdio[i] : s->fds[i - 3];
		if (src >= floor)
			floor = src + 1;
	}
	for (int i = 0; i < n; i++) {
		int src = i < 3 ? s->stdio[i] : s->fds[i - 3];
		tmp[i] = (int)syscall(SYS_fcntl, src, F_DUPFD_CLOEXEC, floor);
		if (tmp[i] < 0)
			return fail(c, ST_FDS, i);
	}
	for (int i = 0; i < n; i++)
		if (syscall(SYS_dup3, tmp[i], i, 0) < 0)
			return fail(c, ST_FDS, i);
	if (syscall(SYS_close_range, n, ~0U, 0) < 0) {
		/* Kernels before 5.9: close them one by one. */
		for (int fd = n; fd < floor + n + 1024; fd++)
			syscall(SYS_close, fd);
	}
	return 0;
}

CHILD static int child_main(void *arg)
{
	struct child *c = arg;
	const struct spawn_spec *s = c->s;
	unsigned long none = 0;

	/* Default dispositions: the runner ignores SIGPIPE, a step must not. */
	for (int sig = 1; sig < 65; sig++) {
		struct ksigaction sa = { 0 };
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &sa, NULL, sizeof(sa.mask));
	}
	/* Its own session and process group: a timeout signals the group. */
	if (syscall(SYS_setsid) < 0)
		return fail(c, ST_SETSID, 0);
	if (s->stage_dir && stage(c))
		return 127;
	if (s->set_ids) {
		if (syscall(SYS_setgroups, 0, NULL) < 0)
			return fail(c, ST_SETGROUPS, 0);
		if (syscall(SYS_setresgid, s->gid, s->gid, s->gid) < 0)
			return fail(c, ST_SETGID, 0);
		if (syscall(SYS_setresuid, s->uid, s->uid, s->uid) < 0)
			return fail(c, ST_SETUID, 0);
	}
	if (s->new_userns && enter_userns(c))
		return 127;
	for (int i = 0; i < s->n_limits; i++) {
		struct rlimit rl = { s->limits[i].soft, s->limits[i].hard };
		if (syscall(SYS_prlimit64, 0, s->limits[i].resource, &rl, NULL) < 0)
			return fail(c, ST_RLIMIT, i);
	}
	/* No setuid binary, no file capability grants anything from here on. */
	if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(c, ST_NNP, 0);
	if (s->die_with_parent) {
		/* After the change of ids, which clears it. If the runner is
		 * already gone, nobody would send it: stop here. */
		if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
			return fail(c, ST_PDEATHSIG, 0);
		if (syscall(SYS_getppid) != c->parent) {
			errno = ESRCH;
			return fail(c, ST_PDEATHSIG, 0);
		}
	}
	if (place_fds(c))
		return 127;
	if (s->cwd && syscall(SYS_chdir, s->cwd) < 0)
		return fail(c, ST_CHDIR, 0);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none));
	syscall(SYS_execve, s->path, s->argv, s->envp);
	return fail(c, ST_EXEC, 0);
}

static void describe(const struct child *c, char *buf, size_t len)
{
	const struct spawn_spec *s = c->s;
	const char *e = strerror(c->err);

	switch (c->step) {
	case ST_SETSID: snprintf(buf, len, "setsid: %s", e); break;
	case ST_UNSHARE: snprintf(buf, len, "a private mount namespace: %s", e); break;
	case ST_SLAVE: snprintf(buf, len, "mount --make-rslave /: %s", e); break;
	case ST_OPEN_TREE:
		snprintf(buf, len, "%s: %s", s->stage[c->index].source, e);
		break;
	case ST_TMPFS: snprintf(buf, len, "tmpfs on %s: %s", s->stage_dir, e); break;
	case ST_MOUNTPOINT:
	case ST_MOVE_MOUNT:
		snprintf(buf, len, "staging %s at %s: %s", s->stage[c->index].source,
			 s->stage[c->index].target, e);
		break;
	case ST_SETGROUPS: snprintf(buf, len, "setgroups: %s", e); break;
	case ST_SETGID: snprintf(buf, len, "setresgid %u: %s", (unsigned)s->gid, e); break;
	case ST_SETUID: snprintf(buf, len, "setresuid %u: %s", (unsigned)s->uid, e); break;
	case ST_USERNS: snprintf(buf, len, "a user namespace: %s", e); break;
	case ST_RLIMIT:
		snprintf(buf, len, "setrlimit %d: %s", s->limits[c->index].resource, e);
		break;
	case ST_NNP: snprintf(buf, len, "no_new_privs: %s", e); break;
	case ST_PDEATHSIG: snprintf(buf, len, "parent-death signal: %s", e); break;
	case ST_FDS: snprintf(buf, len, "descriptors: %s", e); break;
	case ST_CHDIR: snprintf(buf, len, "cannot start the step in %s: %s", s->cwd, e); break;
	case ST_EXEC: snprintf(buf, len, "cannot run %s: %s", s->path, e); break;
	default: snprintf(buf, len, "the child failed: %s", e); break;
	}
}

int spawn_start(const struct spawn_spec *s, pid_t *pid_out, int *pidfd_out, char *errbuf,
		size_t errlen)
{
	struct child c = { .s = s, .parent = getpid() };
	uid_t uid = s->set_ids ? s->uid : getuid();
	gid_t gid = s->set_ids ? s->gid : getgid();
	sigset_t all, old;
	void *stack;
	int pidfd = -1, saved;
	pid_t pid;

	if (s->n_fds > SPAWN_MAX_FDS || s->n_limits > SPAWN_MAX_LIMITS ||
	    s->n_stage > SPAWN_MAX_STAGE || (s->n_stage && !s->stage_dir)) {
		snprintf(errbuf, errlen, "spawn: too many descriptors, limits or paths");
		return -E2BIG;
	}
	snprintf(c.uid_map, sizeof(c.uid_map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	snprintf(c.gid_map, sizeof(c.gid_map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		snprintf(errbuf, errlen, "spawn: %s", strerror(errno));
		return -ENOMEM;
	}
	/* No handler of ours may run in the child: block everything until it
	 * has reset them. (glibc keeps its own two internal signals, which
	 * only ever go to threads it knows, never to this child.) */
	if (s->set_ids || s->new_userns)
		pthread_mutex_lock(&ids_lock);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = clone(child_main, (char *)stack + CHILD_STACK,
		    CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &c, &pidfd);
	saved = errno;
	if (pid < 0 && saved == EINVAL) {
		/* A kernel without pidfds (before 5.2). */
		pidfd = -1;
		pid = clone(child_main, (char *)stack + CHILD_STACK,
			    CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
		saved = errno;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (s->set_ids || s->new_userns)
		pthread_mutex_unlock(&ids_lock);
	munmap(stack, CHILD_STACK);
	if (pid < 0) {
		snprintf(errbuf, errlen, "clone: %s", strerror(saved));
		return -saved;
	}
	if (c.step != ST_NONE) {
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		if (pidfd >= 0)
			close(pidfd);
		describe(&c, errbuf, errlen);
		return -c.err;
	}
	*pid_out = pid;
	*pidfd_out = pidfd;
	return 0;
}
