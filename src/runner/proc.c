/*
 * Step processes (see proc.h). The child gets a new session (so a step's
 * whole process tree can be signalled as one group), stdin from
 * /dev/null, stdout and stderr on pipes (or both on one, merge_stderr),
 * every other descriptor closed,
 * default signal dispositions and an empty signal mask. Its exit is seen
 * through a pidfd, so the parent never blocks in waitpid and never
 * confuses it with another child.
 *
 * When the main process exits, anything it left running in its group is
 * killed once the pipes have been drained of what was already written:
 * a step ends when its command ends, as in GitHub Actions. In a sandbox
 * the PID namespace does the same: when the command ends, bwrap ends, and
 * the kernel kills whatever was left inside.
 */
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sys/wait.h>

#include "runner/proc.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/timeutil.h"
#include "util/xalloc.h"

#define INFO_WAIT_MS 500 /* how long a kill waits to learn the sandbox's pid */

struct proc {
	pid_t pid;
	int out, err;      /* -1 once at EOF */
	int pidfd;         /* -1 once reaped */
	int info;          /* bwrap's --info-fd, -1 once read or if none */
	bool sandboxed;
	pid_t inner;       /* the sandbox's first process and session, 0 if unknown */
	bool exited;
	int status;
	int64_t exited_at; /* mono ms */
	struct buf line[2];
	proc_filter_fn filter;
	void *filter_ctx;
	struct buf fout;   /* the filter's output for one read */
	int last;          /* the stream read last (1 or 2) */
};

/*
 * The child starts through spawn_start: clone(CLONE_VM|CLONE_VFORK) as
 * glibc's posix_spawn, not fork, so the cost does not grow with the
 * runner's memory and threads (a fork of a busy server copies its page
 * tables: milliseconds per step).
 */
int proc_spawn(const struct proc_spec *spec, struct proc **out, char *errbuf, size_t errlen)
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, null = -1, info = -1, pidfd = -1;
	char *argv[] = { "sh", "-c", (char *)spec->command, NULL };
	struct spawn_spec how;
	struct proc *p;
	pid_t pid;
	int rc;

	if (spec->how) {
		how = *spec->how;
		info = spec->info_fd;
	} else {
		how = (struct spawn_spec){ .path = "/bin/sh", .argv = argv, .envp = spec->envp,
					   .cwd = spec->cwd };
	}
	if (pipe2(po, O_CLOEXEC) < 0 || (!spec->merge_stderr && pipe2(pe, O_CLOEXEC) < 0)) {
		rc = -errno;
		snprintf(errbuf, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0) {
		rc = -errno;
		snprintf(errbuf, errlen, "/dev/null: %s", strerror(errno));
		goto fail;
	}
	how.stdio[0] = null;
	how.stdio[1] = po[1];
	how.stdio[2] = spec->merge_stderr ? po[1] : pe[1];
	rc = spawn_start(&how, &pid, &pidfd, errbuf, errlen);
	close(null);
	close(po[1]);
	if (pe[1] >= 0)
		close(pe[1]);
	null = po[1] = pe[1] = -1;
	if (rc)
		goto fail;
	p = XNEW(struct proc, 1);
	p->pid = pid;
	p->out = po[0];
	p->err = pe[0];
	p->pidfd = pidfd;
	p->info = info;
	p->sandboxed = spec->how && info >= 0;
	fs_set_nonblock(p->out);
	if (p->err >= 0)
		fs_set_nonblock(p->err);
	buf_init(&p->line[0], PROC_MAX_LINE + 1);
	buf_init(&p->line[1], PROC_MAX_LINE + 1);
	*out = p;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	if (null >= 0)
		close(null);
	if (info >= 0)
		close(info);
	return rc;
}

/*
 * Learns the sandbox's first process from bwrap's --info-fd, waiting up to
 * wait_ms for bwrap to write it (it does so right after making the
 * namespaces, before anything of the step runs).
 */
static void read_info(struct proc *p, int wait_ms)
{
	struct pollfd pfd = { .fd = p->info, .events = POLLIN };
	char data[4096];
	ssize_t n;
	json_t *j;

	if (p->info < 0 || poll(&pfd, 1, wait_ms) <= 0)
		return;
	n = read(p->info, data, sizeof(data) - 1);
	if (n > 0 && (j = json_loadb(data, (size_t)n, 0, NULL))) {
		json_int_t pid = json_integer_value(json_object_get(j, "child-pid"));
		if (pid > 1 && pid <= INT_MAX)
			p->inner = (pid_t)pid;
		json_decref(j);
	}
	close(p->info);
	p->info = -1;
}

pid_t proc_pid(const struct proc *p)
{
	return p->pid;
}

int proc_pollfds(const struct proc *p, struct pollfd *fds)
{
	int n = 0;
	if (p->out >= 0)
		fds[n++] = (struct pollfd){ .fd = p->out, .events = POLLIN };
	if (p->err >= 0)
		fds[n++] = (struct pollfd){ .fd = p->err, .events = POLLIN };
	if (p->pidfd >= 0 && !p->exited)
		fds[n++] = (struct pollfd){ .fd = p->pidfd, .events = POLLIN };
	return n;
}

static void emit(struct buf *b, int stream, proc_line_fn fn, void *ctx, bool all)
{
	size_t start = 0;

	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] == '\n') {
			size_t len = i - start;
			if (len && b->data[start + len - 1] == '\r')
				len--; /* CRLF from tools that print for terminals */
			fn(ctx, stream, b->data + start, len);
			start = i + 1;
		}
	}
	/* A line longer than the cap is passed on in pieces. */
	while (b->len - start >= PROC_MAX_LINE) {
		fn(ctx, stream, b->data + start, PROC_MAX_LINE);
		start += PROC_MAX_LINE;
	}
	if (all && b->len > start) {
		fn(ctx, stream, b->data + start, b->len - start);
		start = b->len;
	}
	if (start) {
		memmove(b->data, b->data + start, b->len - start);
		buf_truncate(b, b->len - start);
	}
}

/* Adds bytes to a stream's line buffer, passing complete lines on. */
static void feed(struct proc *p, int stream, const char *data, size_t n, proc_line_fn fn,
		 void *ctx)
{
	struct buf *b = &p->line[stream - 1];

	for (size_t off = 0; off < n;) {
		size_t room = PROC_MAX_LINE - b->len;
		size_t take = n - off < room ? n - off : room;
		buf_add(b, data + off, take);
		off += take;
		emit(b, stream, fn, ctx, false);
	}
}

void proc_set_filter(struct proc *p, proc_filter_fn fn, void *ctx)
{
	p->filter = fn;
	p->filter_ctx = ctx;
	buf_init(&p->fout, 64 << 20);
}

void proc_flush_filter(struct proc *p, proc_line_fn fn, void *ctx)
{
	if (!p->filter)
		return;
	buf_reset(&p->fout);
	if (p->filter(p->filter_ctx, NULL, 0, true, &p->fout) == 0)
		feed(p, p->last ? p->last : 1, p->fout.data, p->fout.len, fn, ctx);
}

/* Reads one pipe until it would block; closes it at EOF. */
static void drain(struct proc *p, int *fd, int stream, proc_line_fn fn, void *ctx)
{
	char chunk[8192];
	struct buf *b = &p->line[stream - 1];

	while (*fd >= 0) {
		ssize_t n = read(*fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			close(*fd);
			*fd = -1;
			proc_flush_filter(p, fn, ctx);
			emit(b, stream, fn, ctx, true);
			break;
		}
		if (p->filter) {
			buf_reset(&p->fout);
			if (p->filter(p->filter_ctx, chunk, (size_t)n, false, &p->fout) == 0)
				feed(p, stream, p->fout.data, p->fout.len, fn, ctx);
			p->last = stream;
		} else {
			feed(p, stream, chunk, (size_t)n, fn, ctx);
		}
	}
}

static void reap(struct proc *p, bool block)
{
	int status;
	pid_t r;

	if (p->exited)
		return;
	while ((r = waitpid(p->pid, &status, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == p->pid) {
		p->exited = true;
		p->exited_at = mono_ms();
		p->status = status;
		if (p->pidfd >= 0) {
			close(p->pidfd);
			p->pidfd = -1;
		}
	}
}

bool proc_read(struct proc *p, proc_line_fn fn, void *ctx)
{
	bool was_running = !p->exited;

	drain(p, &p->out, 1, fn, ctx);
	drain(p, &p->err, 2, fn, ctx);
	reap(p, false);
	if (p->exited && was_running && (p->out >= 0 || p->err >= 0)) {
		/* The command is done; what it left behind in its group goes,
		 * after we took what they had already written. */
		drain(p, &p->out, 1, fn, ctx);
		drain(p, &p->err, 2, fn, ctx);
		proc_kill(p, SIGKILL);
	}
	if (p->exited && mono_ms() - p->exited_at > 2000) {
		/* Someone escaped the group and holds the pipes: stop reading. */
		for (int i = 0; i < 2; i++) {
			int *fd = i ? &p->err : &p->out;
			if (*fd >= 0) {
				close(*fd);
				*fd = -1;
				proc_flush_filter(p, fn, ctx);
				emit(&p->line[i], i + 1, fn, ctx, true);
			}
		}
	}
	return p->exited && p->out < 0 && p->err < 0;
}

void proc_kill(struct proc *p, int sig)
{
	if (!p->sandboxed) {
		/* The group outlives its leader until every member is gone. */
		kill(-p->pid, sig);
		return;
	}
	/* bwrap's --new-session puts the step in a session of its own, led by
	 * the sandbox's first process (bwrap's init, which ignores SIGTERM as
	 * every PID namespace's init does). */
	if (!p->inner)
		read_info(p, p->exited ? 0 : INFO_WAIT_MS);
	if (sig == SIGKILL || !p->inner) {
		/* bwrap first: until it has made the session, everything is in
		 * its group; once it is gone its init is killed (die-with-parent),
		 * and with it every process of the PID namespace. */
		kill(-p->pid, SIGKILL);
		if (p->inner)
			kill(-p->inner, SIGKILL);
		return;
	}
	kill(-p->inner, sig);
}

void proc_status(const struct proc *p, int *exit_code, int *sig)
{
	*exit_code = -1;
	*sig = 0;
	if (!p->exited)
		return;
	if (WIFEXITED(p->status))
		*exit_code = WEXITSTATUS(p->status);
	else if (WIFSIGNALED(p->status))
		*sig = WTERMSIG(p->status);
}

void proc_free(struct proc *p)
{
	if (!p)
		return;
	if (!p->exited) {
		proc_kill(p, SIGKILL);
		reap(p, true);
	}
	if (p->out >= 0)
		close(p->out);
	if (p->err >= 0)
		close(p->err);
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->info >= 0)
		close(p->info);
	buf_release(&p->line[0]);
	buf_release(&p->line[1]);
	buf_release(&p->fout);
	free(p);
}
