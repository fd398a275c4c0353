/* Unit tests for runner/proc: spawning, line capture, exit status, killing a tree. */
#include <signal.h>

#include "runner/proc.h"
#include "tap.h"
#include "util/buf.h"
#include "util/timeutil.h"

struct capture {
	struct buf out, err;
	int lines;
};

static void on_line(void *ctx, int stream, const char *line, size_t len)
{
	struct capture *c = ctx;
	struct buf *b = stream == 2 ? &c->err : &c->out;
	buf_add(b, line, len);
	buf_addc(b, '|');
	c->lines++;
}

static int run_spec(const struct proc_spec *spec, struct capture *c, int *code, int *sig)
{
	struct proc *p;
	char errbuf[256];
	int rc = proc_spawn(spec, &p, errbuf, sizeof(errbuf));

	if (rc)
		return rc;
	for (;;) {
		struct pollfd fds[3];
		int n = proc_pollfds(p, fds);
		poll(fds, (nfds_t)n, 100);
		if (proc_read(p, on_line, c))
			break;
	}
	proc_status(p, code, sig);
	proc_free(p);
	return 0;
}

static int run(const char *cmd, char *const *envp, struct capture *c, int *code, int *sig)
{
	struct proc_spec spec = { .command = cmd, .envp = envp, .cwd = "/" };
	return run_spec(&spec, c, code, sig);
}

TEST(proc_captures_lines_and_exit_code)
{
	struct capture c = { BUF_INIT, BUF_INIT, 0 };
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	int code, sig;

	CHECK_INT(run("echo one; echo two >&2; printf 'no newline'; exit 3", env, &c, &code, &sig), 0);
	CHECK_STR(c.out.data, "one|no newline|");
	CHECK_STR(c.err.data, "two|");
	CHECK_INT(code, 3);
	CHECK_INT(sig, 0);
}

/* Both streams written before the parent reads either: with two pipes the
 * order between them is gone; merged, it is the order written. */
TEST(proc_merged_stderr_keeps_the_order_written)
{
	struct proc_spec spec = {
		.command = "printf 'a1'; printf 'b2' >&2; printf 'c3\\n'; echo d4 >&2; sleep 0.2",
		.envp = (char *[]){ "PATH=/usr/bin:/bin", NULL },
		.cwd = "/",
		.merge_stderr = true,
	};
	struct capture c = { BUF_INIT, BUF_INIT, 0 };
	int code, sig;

	CHECK_INT(run_spec(&spec, &c, &code, &sig), 0);
	CHECK_STR(c.out.data, "a1b2c3|d4|");
	CHECK(c.err.len == 0);
	CHECK_INT(code, 0);
}

TEST(proc_environment_is_only_what_we_pass)
{
	struct capture c = { BUF_INIT, BUF_INIT, 0 };
	char *env[] = { "PATH=/usr/bin:/bin", "ONLY=this", NULL };
	int code, sig;

	setenv("LEAKED_SECRET", "x", 1);
	CHECK_INT(run("env | sort", env, &c, &code, &sig), 0);
	CHECK_CONTAINS(c.out.data, "ONLY=this|");
	CHECK(strstr(c.out.data, "LEAKED_SECRET") == NULL);
	CHECK_INT(code, 0);
}

TEST(proc_inherits_no_descriptors)
{
	struct capture c = { BUF_INIT, BUF_INIT, 0 };
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	int code, sig;
	int fd = dup(1); /* not close-on-exec: the child must still not see it */

	CHECK(fd > 2);
	CHECK_INT(run("ls /proc/self/fd | sort -n | tr '\\n' ' '", env, &c, &code, &sig), 0);
	/* 0, 1, 2 and the fd that ls opens to read the directory itself */
	CHECK_STR(c.out.data, "0 1 2 3 |");
}

TEST(proc_splits_long_lines)
{
	struct capture c = { BUF_INIT, BUF_INIT, 0 };
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	int code, sig;

	CHECK_INT(run("head -c 40000 /dev/zero | tr '\\0' x", env, &c, &code, &sig), 0);
	CHECK_INT(c.lines, 3); /* 16384 + 16384 + 7232 */
	CHECK_INT(c.out.len, 40000 + 3);
}

TEST(proc_reports_a_missing_directory)
{
	struct proc_spec spec = { .command = "true", .envp = (char *[]){ NULL }, .cwd = "/nonexistent" };
	struct proc *p;
	char errbuf[256];

	CHECK(proc_spawn(&spec, &p, errbuf, sizeof(errbuf)) == -ENOENT);
	CHECK_CONTAINS(errbuf, "/nonexistent");
}

TEST(proc_kill_reaches_the_whole_tree)
{
	struct proc_spec spec = {
		.command = "sh -c 'sleep 100 & echo $!; wait' & echo $!; sleep 100 & echo $!; wait",
		.envp = (char *[]){ "PATH=/usr/bin:/bin", NULL },
		.cwd = "/",
	};
	struct capture c = { BUF_INIT, BUF_INIT, 0 };
	struct proc *p;
	char errbuf[256];
	int64_t deadline = mono_ms() + 5000;
	int code, sig;

	CHECK_INT(proc_spawn(&spec, &p, errbuf, sizeof(errbuf)), 0);
	while (c.lines < 3 && mono_ms() < deadline) {
		struct pollfd fds[3];
		poll(fds, (nfds_t)proc_pollfds(p, fds), 50);
		proc_read(p, on_line, &c);
	}
	CHECK_INT(c.lines, 3);
	proc_kill(p, SIGTERM);
	while (!proc_read(p, on_line, &c) && mono_ms() < deadline + 5000) {
		struct pollfd fds[3];
		poll(fds, (nfds_t)proc_pollfds(p, fds), 50);
	}
	proc_status(p, &code, &sig);
	CHECK_INT(sig, SIGTERM);
	proc_free(p);
	/* Every pid printed is gone. */
	for (char *s = c.out.data; *s;) {
		long pid = strtol(s, &s, 10);
		if (*s == '|')
			s++;
		for (int i = 0; i < 100 && kill((pid_t)pid, 0) == 0; i++)
			sleep_ms(20);
		CHECK(kill((pid_t)pid, 0) < 0);
	}
}

TEST(proc_kills_leftovers_when_the_command_ends)
{
	struct capture c = { BUF_INIT, BUF_INIT, 0 };
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	int64_t t0 = mono_ms();
	int code, sig;

	/* The background sleep holds the pipes; the step still ends. */
	CHECK_INT(run("sleep 100 & echo started", env, &c, &code, &sig), 0);
	CHECK_STR(c.out.data, "started|");
	CHECK(mono_ms() - t0 < 10000);
}
